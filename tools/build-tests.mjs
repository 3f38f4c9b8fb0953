#!/usr/bin/env node
/**
 * Compile src/, test/ and tools/ once into .test-build/ (esbuild: types stripped, one .js per
 * .ts, same layout), so `npm test` runs plain JavaScript instead of starting tsx's loader and
 * transforming every module again in each of ~110 test processes. Files that are not TypeScript
 * (the fake kernel's sources, stand-in scripts) are copied; fixtures/ and kernel-configs/ are
 * linked, so every `../../fixtures/...` URL a test or module computes resolves as it does in the
 * source tree. Plain JavaScript so it runs before anything is compiled: `node tools/build-tests.mjs`.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.test-build');
const DIRS = ['src', 'test', 'tools'];
const LINKS = ['fixtures', 'kernel-configs'];

/** Every file under `dir` (relative to root). */
function walk(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = join(dir, e.name);
    if (e.isDirectory()) return walk(rel);
    return e.isFile() ? [rel] : [];
  });
}

const started = Date.now();
rmSync(out, { recursive: true, force: true });
const files = DIRS.flatMap(walk);
const ts = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
for (const f of files.filter((f) => !f.endsWith('.ts'))) {
  mkdirSync(dirname(join(out, f)), { recursive: true });
  copyFileSync(join(root, f), join(out, f));
}
await build({
  entryPoints: ts.map((f) => join(root, f)),
  outbase: root,
  outdir: out,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
for (const l of LINKS) symlinkSync(join('..', l), join(out, l));
console.log(`${relative(process.cwd(), out) || out}: ${ts.length} modules compiled in ${Date.now() - started} ms`);
