/**
 * Tests run either from source through tsx (`npx tap test/x/y.test.ts`) or compiled once into
 * .test-build/ (`npm test`, tools/build-tests.mjs). A test that starts a Node child on one of the
 * project's modules starts it the same way it runs itself: the compiled module with plain node, or
 * the source with tsx (whose loader costs a few tenths of a CPU-second per process).
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** '.ts' when running from source, '.js' when compiled. */
export const EXT = extname(fileURLToPath(import.meta.url));

/** The node arguments that load a module of this tree: tsx's loader only for TypeScript. */
export const LOADER_ARGS: readonly string[] = EXT === '.ts' ? ['--import=tsx'] : [];

/** The path of a sibling module named `name` ('x.ts') next to the module at `url`, as it exists here. */
export function siblingModule(name: string, url: string | URL): string {
  return fileURLToPath(new URL(name.replace(/\.ts$/, EXT), url));
}
