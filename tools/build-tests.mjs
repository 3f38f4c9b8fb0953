#!/usr/bin/env node
/**
 * Compile src/, test/ and tools/ once into .test-build/ (esbuild: types stripped, one .js per
 * .ts, same layout), so `npm test` runs plain JavaScript instead of starting tsx's loader and
 * transforming every module again in each of ~110 test processes. Files that are not TypeScript
 * (the fake kernel's sources, stand-in scripts) are copied; fixtures/ and kernel-configs/ are
 * linked, so every `../../fixtures/...` URL a test or module computes resolves as it does in the
 * source tree. Plain JavaScript so it runs before anything is compiled: `node tools/build-tests.mjs`.
 *
 * The packages many test processes load (tap, execa; bullmq and ioredis) are also bundled, each into one module under
 * .test-build/node_modules/, which Node's resolution finds before the project's node_modules: a
 * test process then reads and links one file instead of a few hundred (tap: ~0.3 → ~0.15
 * CPU-seconds a process). tap's bundle lives under @tapjs/ so tap's stack filter still hides its
 * frames (failures point at the test's line); `tap` there is a one-line re-export of it.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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

/** Write a package `name` at .test-build/node_modules/`name`. */
function writePackage(name, index) {
  const dir = join(out, 'node_modules', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, type: 'module', exports: './index.js' }));
  writeFileSync(join(dir, 'index.js'), index);
}

/** esbuild: one ESM module from `entry`, its require() calls (CommonJS parts) resolving from here. */
async function bundle(entry, name) {
  const result = await build({
    stdin: { contents: entry, resolveDir: root, loader: 'js', sourcefile: `${name}-entry.js` },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __hmmciRequire } from 'node:module'; const require = __hmmciRequire(import.meta.url);",
    },
  });
  return result.outputFiles[0].text;
}

/**
 * Bundle package `pkg` (resolved from the project) into one ESM module, the package `as` in
 * .test-build/node_modules (and `pkg` there re-exporting it when the names differ).
 */
async function vendor(pkg, as, { hasDefault }) {
  const entry = `export * from '${pkg}';\n${hasDefault ? `export { default } from '${pkg}';\n` : ''}`;
  writePackage(as, await bundle(entry, pkg));
  if (as !== pkg) writePackage(pkg, entry.replaceAll(`'${pkg}'`, `'${as}'`));
}

/**
 * Bundle several packages into one module (`as`), so what they share is one copy (bullmq runs
 * on the ioredis the fleet code also uses); each package re-exports its part by name.
 */
async function vendorTogether(pkgs, as) {
  writePackage(as, await bundle(pkgs.map((p, i) => `export * as p${i} from '${p}';\n`).join(''), as));
  for (const [i, pkg] of pkgs.entries()) {
    const names = Object.keys(await import(pkg)).filter(
      (n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default' && n !== '__esModule',
    );
    writePackage(
      pkg,
      `import { p${i} } from '${as}';\nexport const { ${names.join(', ')} } = p${i};\nexport default p${i}.default;\n`,
    );
  }
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
await vendor('tap', '@tapjs/hmmci-test-bundle', { hasDefault: true });
// `t` of a test file: tap's root test, except in a batch (tools/test-batch.mjs runs several light
// files in one process) where it is that file's own subtest, so its hooks and teardowns stay its own.
writePackage(
  'tap',
  `import { t as root } from '@tapjs/hmmci-test-bundle';
export * from '@tapjs/hmmci-test-bundle';
const current = () => globalThis.__hmmciFileTest ?? root;
export default new Proxy(
  {},
  {
    get: (_, k) => {
      const c = current();
      const v = Reflect.get(c, k, c);
      return typeof v === 'function' ? v.bind(c) : v;
    },
    set: (_, k, v) => Reflect.set(current(), k, v),
    has: (_, k) => Reflect.has(current(), k),
  },
);
`,
);
await vendor('execa', 'execa', { hasDefault: false });
await vendorTogether(['bullmq', 'ioredis'], '@hmmci/redis-test-bundle');
console.log(`${relative(process.cwd(), out) || out}: ${ts.length} modules compiled in ${Date.now() - started} ms`);
