import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelConfigsDir } from '../../src/kconfig/key.js';
import { parseFragment } from '../../src/kconfig/fragment.js';
import { listVariants, resolveVariantSpec, variantFragment } from '../../src/kconfig/variants.js';
import { scratchDir } from '../helpers/scratch.js';

t.test(
  'the shipped named variants: debug, described by its first comment; the defaults are not variants',
  async (t) => {
    const vs = listVariants();
    const debug = vs.find((v) => v.name === 'debug');
    t.ok(debug, 'debug is a named variant');
    t.equal(debug!.fragment, join(kernelConfigsDir(), 'debug.config'));
    t.match(debug!.description, /^Debug variant: KASAN, lockdep/);
    t.notOk(
      vs.some((v) => v.name === 'base-x86_64-qemu' || v.name === 'hmm'),
      'default fragments are not variants',
    );
    const settings = new Map(
      parseFragment(readFileSync(debug!.fragment, 'utf8')).entries.map((e) => [e.name, e.value]),
    );
    for (const o of [
      'KASAN',
      'KASAN_GENERIC',
      'PROVE_LOCKING',
      'DEBUG_ATOMIC_SLEEP',
      'DEBUG_VM',
      'DEBUG_LIST',
      'DETECT_HUNG_TASK',
      'SOFTLOCKUP_DETECTOR',
      'PAGE_POISONING',
    ]) {
      t.equal(settings.get(o), 'y', `debug sets ${o}`);
    }
    t.equal(settings.get('SLUB_TINY'), 'n', "KASAN cannot run with SLUB_TINY (tinyconfig's)");
  },
);

t.test('--variant forms: a name, NAME:ITEMS with options, files and names, a lone option', async (t) => {
  const dir = scratchDir('hmmci-variants-');
  writeFileSync(join(dir, 'base-x86_64-qemu.config'), 'CONFIG_64BIT=y\n');
  writeFileSync(join(dir, 'slow.config'), '# Slow things.\nCONFIG_X=y\n');
  const user = join(dir, 'mine.config');
  writeFileSync(user, 'CONFIG_Y=y\n');
  t.same(
    listVariants(dir).map((v) => [v.name, v.description]),
    [
      ['mine', ''],
      ['slow', 'Slow things.'],
    ],
  );
  t.same(resolveVariantSpec('slow', dir), { name: 'slow', fragments: [join(dir, 'slow.config')], extra: [] });
  t.same(resolveVariantSpec(`both:slow,${user},CONFIG_Z=m,# CONFIG_W is not set`, dir), {
    name: 'both',
    fragments: [join(dir, 'slow.config'), user],
    extra: ['CONFIG_Z=m', '# CONFIG_W is not set'],
  });
  t.same(resolveVariantSpec('CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS=y', dir), {
    name: 'CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS-y',
    fragments: [],
    extra: ['CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS=y'],
  });
  t.equal(variantFragment('base-x86_64-qemu', dir), undefined, 'a default fragment is not a variant');
  t.throws(() => resolveVariantSpec('nope', dir), { message: /"nope" is neither a named variant \(mine, slow\)/ });
  t.throws(() => resolveVariantSpec('x:', dir), { message: /names no variant/ });
  t.same(listVariants(join(dir, 'absent')), [], 'no folder, no variants');
});

t.test('hmmci config --list-variants names them; a wrong --variant is a usage error before any work', async (t) => {
  const { runCli } = await import('../helpers/cli.js');
  const list = await runCli(['config', '--list-variants', '--json']);
  t.equal(list.code, 0);
  t.ok((JSON.parse(list.out) as Array<{ name: string }>).some((v) => v.name === 'debug'));
  const bad = await runCli(['build', '--variant', 'nope'], {
    cacheDir: scratchDir('hmmci-variants-cache-'),
  });
  t.equal(bad.code, 2);
  t.match(bad.err, /"nope" is neither a named variant \(debug/);
});
