import t from 'tap';
import { readFileSync } from 'node:fs';
import {
  canonicalConfig,
  configValues,
  mergeRequested,
  parseExtraOptions,
  parseFragment,
  renderFragment,
} from '../../src/kconfig/fragment.js';
import { configKey, defaultFragments } from '../../src/kconfig/key.js';

t.test('a fragment: settings, "is not set", the base directive, later lines win', async (t) => {
  const f = parseFragment(
    '# base: tinyconfig\n# a comment\nCONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_S="hello world"\nCONFIG_A=n\n',
    'x.config',
  );
  t.equal(f.base, 'tinyconfig');
  t.same(
    f.entries.map((e) => [e.name, e.value]),
    [
      ['B', 'm'],
      ['C', 'n'],
      ['S', '"hello world"'],
      ['A', 'n'],
    ],
  );
  t.equal(f.entries[0]!.source, 'x.config');
  t.same(f.problems, []);
});

t.test('a line that is not a setting is recorded, not thrown', async (t) => {
  const f = parseFragment('CONFIG_A=y\nTEST_HMM=m\n<html>\n');
  t.same(
    f.problems.map((p) => p.line),
    [2, 3],
  );
  t.equal(f.entries.length, 1);
});

t.test('the shipped fragments parse cleanly and ask for what hmm-tests needs', async (t) => {
  const [base, hmm] = defaultFragments().map((p) => parseFragment(readFileSync(p, 'utf8'), p));
  t.equal(base!.base, 'tinyconfig');
  t.same(base!.problems, []);
  t.same(hmm!.problems, []);
  const all = new Map(mergeRequested([base!.entries, hmm!.entries]).map((e) => [e.name, e.value]));
  for (const [k, v] of Object.entries({
    TEST_HMM: 'm',
    DEVICE_PRIVATE: 'y',
    ADVISE_SYSCALLS: 'y',
    TRANSPARENT_HUGEPAGE_MADVISE: 'y',
    TRANSPARENT_HUGEPAGE_ALWAYS: 'n',
    HUGETLBFS: 'y',
    DEBUG_FS: 'y',
    GUP_TEST: 'y',
    KALLSYMS: 'y',
    KALLSYMS_ALL: 'y',
    DEBUG_BUGVERBOSE: 'y',
    BUG: 'y',
    MODULES: 'y',
  })) {
    t.equal(all.get(k), v, `CONFIG_${k}=${v}`);
  }
});

t.test('--config options', async (t) => {
  t.same(
    parseExtraOptions(['CONFIG_KASAN=y', 'LOCKDEP=y', '# CONFIG_DEBUG_VM is not set', 'CONFIG_NR_CPUS=4']).entries.map(
      (e) => `${e.name}=${e.value}`,
    ),
    ['KASAN=y', 'LOCKDEP=y', 'DEBUG_VM=n', 'NR_CPUS=4'],
  );
  t.equal(parseExtraOptions(['CONFIG_KASAN']).invalid, 'CONFIG_KASAN');
  t.equal(parseExtraOptions(['KASAN y']).invalid, 'KASAN y');
});

t.test('merge order: later fragments and --config override', async (t) => {
  const m = mergeRequested([
    [
      { name: 'A', value: 'y' },
      { name: 'B', value: 'y' },
    ],
    [{ name: 'A', value: 'n' }],
  ]);
  t.same(
    m.map((e) => `${e.name}=${e.value}`),
    ['B=y', 'A=n'],
  );
  t.equal(renderFragment(m), 'CONFIG_B=y\n# CONFIG_A is not set\n');
});

t.test('configKey depends on the inputs only; configHash ignores the .config comment header', async (t) => {
  t.equal(configKey(['CONFIG_A=y\n']), configKey(['CONFIG_A=y\n']));
  t.not(configKey(['CONFIG_A=y\n']), configKey(['CONFIG_A=m\n']));
  t.not(configKey(['CONFIG_A=y\n']), configKey(['CONFIG_A=y\n'], [{ name: 'KASAN', value: 'y' }]));
  t.match(configKey([]), /^[0-9a-f]{12}$/);
  const a =
    '#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 6.12.117 Kernel Configuration\n#\nCONFIG_A=y\n# CONFIG_B is not set\n';
  t.equal(canonicalConfig(a), canonicalConfig(a.replace('6.12.117', '6.12.118')));
  t.not(canonicalConfig(a), canonicalConfig(a.replace('CONFIG_A=y', 'CONFIG_A=m')));
  t.equal(configValues(a).get('B'), 'n');
});
