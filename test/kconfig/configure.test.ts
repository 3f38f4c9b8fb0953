import t from 'tap';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../src/common/exit-codes.js';
import type { HmmciError } from '../../src/common/errors.js';
import { configure, resolveConfigInputs } from '../../src/kconfig/configure.js';
import { loadKconfigIndex } from '../../src/kconfig/load.js';
import { copyFakeKernel, tempDir } from '../../tools/fake-kernel/fixture.js';

const work = tempDir('hmmci-configure-');
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const src = copyFakeKernel(join(work, 'src'));
const frag = (name: string, text: string) => {
  const p = join(work, name);
  writeFileSync(p, text);
  return p;
};
const base = frag('base.config', '# base: tinyconfig\nCONFIG_64BIT=y\nCONFIG_MODULES=y\n');
const hmm = frag(
  'hmm.config',
  'CONFIG_MEMORY_HOTPLUG=y\nCONFIG_MEMORY_HOTREMOVE=y\nCONFIG_ZONE_DEVICE=y\nCONFIG_DEVICE_PRIVATE=y\nCONFIG_TRANSPARENT_HUGEPAGE=y\nCONFIG_TRANSPARENT_HUGEPAGE_MADVISE=y\n# CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS is not set\nCONFIG_RUNTIME_TESTING_MENU=y\nCONFIG_TEST_HMM=m\n',
);

t.test('the loader follows source directives and inherits menu/if conditions', async (t) => {
  const index = loadKconfigIndex(src);
  t.equal(index.symbols.get('TEST_HMM')?.[0]?.file, 'lib/Kconfig.debug');
  t.same(index.symbols.get('TEST_HMM')?.[0]?.depends, [
    'RUNTIME_TESTING_MENU',
    'TRANSPARENT_HUGEPAGE',
    'DEVICE_PRIVATE',
  ]);
  t.ok(index.symbols.has('MEMORY_HOTPLUG'));
});

t.test('fragments merged with merge_config.sh + olddefconfig; everything landed', async (t) => {
  const buildDir = join(work, 'out-ok');
  const r = await configure({ srcDir: src, buildDir, fragments: [base, hmm], extra: ['CONFIG_DEBUG_FS=y'] });
  t.same(r.missing, []);
  t.equal(r.configPath, join(buildDir, '.config'));
  const text = readFileSync(r.configPath, 'utf8');
  t.match(text, /^CONFIG_TEST_HMM=m$/m);
  t.match(text, /^CONFIG_DEBUG_FS=y$/m, '--config option applied');
  t.match(text, /^CONFIG_HMM_MIRROR=y$/m, 'selected by olddefconfig');
  t.match(r.configHash, /^[0-9a-f]{12}$/);
  t.equal(r.configKey, resolveConfigInputs({ fragments: [base, hmm], extra: ['CONFIG_DEBUG_FS=y'] }).key);
  t.ok(r.requested.some((e) => e.name === 'DEBUG_FS' && e.source === '--config'));
  t.ok(existsSync(join(buildDir, '.hmmci', 'config.log')), 'kconfig output kept in a log');
  const again = await configure({ srcDir: src, buildDir, fragments: [base, hmm], extra: ['CONFIG_DEBUG_FS=y'] });
  t.equal(again.configHash, r.configHash, 'same inputs, same .config');
});

t.test('an unmet dependency is a ConfigError (exit 10) naming the option and the dependency', async (t) => {
  const noBits = frag('no64.config', '# base: tinyconfig\nCONFIG_MODULES=y\n');
  const err = (await configure({ srcDir: src, buildDir: join(work, 'out-dep'), fragments: [noBits, hmm] }).catch(
    (e: unknown) => e,
  )) as HmmciError;
  t.equal(err.exitCode, ExitCode.CONFIG);
  t.match(err.message, /did not land/);
  const details = err.details.join('\n');
  t.match(details, /CONFIG_MEMORY_HOTPLUG=y is not set: depends on 64BIT \[=n\] \(mm\/Kconfig:\d+\)/);
  t.match(details, /CONFIG_TEST_HMM=m is not set: depends on .*DEVICE_PRIVATE \[=n\]/);
});

t.test('an unknown option is named as such; reportOnly returns instead of throwing', async (t) => {
  const err = (await configure({
    srcDir: src,
    buildDir: join(work, 'out-unknown'),
    fragments: [base, hmm],
    extra: ['CONFIG_NO_SUCH_THING=y'],
  }).catch((e: unknown) => e)) as HmmciError;
  t.equal(err.exitCode, ExitCode.CONFIG);
  t.match(err.message, /CONFIG_NO_SUCH_THING does not exist in this tree/);
  const r = await configure({
    srcDir: src,
    buildDir: join(work, 'out-unknown'),
    fragments: [base, hmm],
    extra: ['CONFIG_NO_SUCH_THING=y'],
    reportOnly: true,
  });
  t.equal(r.missing.length, 1);
  t.ok(r.missing[0]!.unknown);
});

t.test('bad inputs: missing fragment (exit 10), not a fragment (exit 10), malformed --config (exit 2)', async (t) => {
  const e1 = (await configure({
    srcDir: src,
    buildDir: join(work, 'out-bad'),
    fragments: [join(work, 'nope.config')],
  }).catch((e: unknown) => e)) as HmmciError;
  t.equal(e1.exitCode, ExitCode.CONFIG);
  t.match(e1.message, /nope\.config cannot be read \(ENOENT\)/);
  const html = frag('page.config', '<!DOCTYPE html>\n<html>\n');
  const e2 = (() => {
    try {
      resolveConfigInputs({ fragments: [html] });
    } catch (e) {
      return e as HmmciError;
    }
  })()!;
  t.equal(e2.exitCode, ExitCode.CONFIG);
  t.match(e2.message, /line 1: "<!DOCTYPE html>"/);
  const e3 = (() => {
    try {
      resolveConfigInputs({ fragments: [base], extra: ['KASAN'] });
    } catch (e) {
      return e as HmmciError;
    }
  })()!;
  t.equal(e3.exitCode, ExitCode.USAGE);
});

t.test('a tree without merge_config.sh is refused', async (t) => {
  const err = (await configure({ srcDir: work, buildDir: join(work, 'out-x'), fragments: [base] }).catch(
    (e: unknown) => e,
  )) as HmmciError;
  t.equal(err.exitCode, ExitCode.CONFIG);
  t.match(err.message, /merge_config\.sh/);
});
