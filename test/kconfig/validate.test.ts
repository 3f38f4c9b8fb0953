import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildKconfigIndex, parseKconfig } from '../../src/kconfig/kconfig-parse.js';
import { evalExpr } from '../../src/kconfig/expr.js';
import { configValues, mergeRequested, parseFragment } from '../../src/kconfig/fragment.js';
import { defaultFragments } from '../../src/kconfig/key.js';
import { formatMissing, validateConfig } from '../../src/kconfig/validate.js';
import type { ConfigEntry } from '../../src/kconfig/types.js';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures', 'kconfig');
const kfiles = ['mm/Kconfig', 'lib/Kconfig.debug', 'kernel/module/Kconfig'];
const index = buildKconfigIndex(
  kfiles.map((f) => parseKconfig(readFileSync(join(FIX, 'linux-6.12.117', f), 'utf8'), f)),
);
const dotconfig = (name: string) => configValues(readFileSync(join(FIX, 'dotconfig', `${name}.config`), 'utf8'));
const shipped = mergeRequested(defaultFragments().map((p) => parseFragment(readFileSync(p, 'utf8'), p).entries));
const withExtra = (line: string): ConfigEntry[] => mergeRequested([shipped, parseFragment(line, '--config').entries]);

t.test('the real Kconfig files parse: TEST_HMM with its menu condition, selects and the THP choice', async (t) => {
  const th = index.symbols.get('TEST_HMM')![0]!;
  t.equal(th.file, 'lib/Kconfig.debug');
  t.equal(th.type, 'tristate');
  t.ok(th.prompt);
  t.same(
    th.depends,
    ['RUNTIME_TESTING_MENU', 'TRANSPARENT_HUGEPAGE', 'DEVICE_PRIVATE'],
    'inherits `if RUNTIME_TESTING_MENU`',
  );
  t.same(
    th.selects.map((s) => s.target),
    ['HMM_MIRROR', 'MMU_NOTIFIER'],
  );
  t.ok(index.selectedBy.get('HMM_MIRROR')!.some((s) => s.by === 'TEST_HMM'));
  const always = index.symbols.get('TRANSPARENT_HUGEPAGE_ALWAYS')![0]!;
  const madvise = index.symbols.get('TRANSPARENT_HUGEPAGE_MADVISE')![0]!;
  t.ok(always.choice !== undefined && always.choice === madvise.choice, 'members of one choice');
  t.ok(always.depends.includes('TRANSPARENT_HUGEPAGE'), "the choice's depends on is inherited");
  t.notOk(index.symbols.get('HMM_MIRROR')![0]!.prompt, 'HMM_MIRROR has no prompt');
  t.same(index.symbols.get('GUP_TEST')![0]!.depends, ['DEBUG_FS']);
  t.notOk(index.symbols.has('help'), 'help text is not parsed as entries');
});

t.test('expressions use tristate logic', async (t) => {
  const v = new Map([
    ['A', 'y'],
    ['B', 'm'],
    ['N', '4'],
  ]);
  t.equal(evalExpr('A && B', v), 1);
  t.equal(evalExpr('A || C', v), 2);
  t.equal(evalExpr('!C && (A || B)', v), 2);
  t.equal(evalExpr('B = m', v), 2);
  t.equal(evalExpr('N > 2', v), 2);
  t.equal(evalExpr('C != n', v), 0);
});

t.test('the shipped fragments all land in the real .config', async (t) => {
  t.same(validateConfig(shipped, dotconfig('good'), index), []);
});

t.test(
  'no MEMORY_HOTREMOVE: ZONE_DEVICE, DEVICE_PRIVATE and TEST_HMM are named with the unmet dependency',
  async (t) => {
    const req = withExtra('# CONFIG_MEMORY_HOTREMOVE is not set');
    const missing = validateConfig(req, dotconfig('no-memory-hotremove'), index);
    const by = new Map(missing.map((m) => [m.option, m]));
    t.same([...by.keys()].sort(), ['CONFIG_DEVICE_PRIVATE', 'CONFIG_TEST_HMM', 'CONFIG_ZONE_DEVICE']);
    t.match(by.get('CONFIG_ZONE_DEVICE')!.reason, /depends on .*MEMORY_HOTREMOVE \[=n\]/);
    t.match(by.get('CONFIG_ZONE_DEVICE')!.reason, /mm\/Kconfig:\d+/);
    t.match(
      by.get('CONFIG_DEVICE_PRIVATE')!.reason,
      /depends on ZONE_DEVICE \[=n\].*CONFIG_ZONE_DEVICE did not land either/,
    );
    t.match(by.get('CONFIG_TEST_HMM')!.reason, /DEVICE_PRIVATE \[=n\]/);
    t.equal(by.get('CONFIG_TEST_HMM')!.wanted, 'm');
    t.equal(by.get('CONFIG_TEST_HMM')!.got, 'n');
    t.match(formatMissing(by.get('CONFIG_TEST_HMM')!), /^CONFIG_TEST_HMM=m is not set: depends on/);
  },
);

t.test('no MODULES: TEST_HMM=m became y, MODULE_UNLOAD dropped', async (t) => {
  const missing = validateConfig(withExtra('# CONFIG_MODULES is not set'), dotconfig('no-modules'), index);
  const by = new Map(missing.map((m) => [m.option, m]));
  t.equal(by.get('CONFIG_TEST_HMM')?.got, 'y');
  t.match(by.get('CONFIG_TEST_HMM')!.reason, /needs CONFIG_MODULES=y/);
  t.match(by.get('CONFIG_MODULE_UNLOAD')!.reason, /depends on MODULES \[=n\]/);
});

t.test('THP "always" asked later: the choice took it, madvise is reported', async (t) => {
  const missing = validateConfig(withExtra('CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS=y'), dotconfig('thp-always'), index);
  t.equal(missing.length, 1);
  t.equal(missing[0]!.option, 'CONFIG_TRANSPARENT_HUGEPAGE_MADVISE');
  t.match(missing[0]!.reason, /choice and CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS \[=y\] was chosen/);
});

t.test('no DEBUG_FS: GUP_TEST cannot be enabled', async (t) => {
  const missing = validateConfig(withExtra('# CONFIG_DEBUG_FS is not set'), dotconfig('no-debug-fs'), index);
  t.same(
    missing.map((m) => m.option),
    ['CONFIG_GUP_TEST'],
  );
  t.match(missing[0]!.reason, /^depends on DEBUG_FS \[=n\]/);
});

t.test('switching off a selected symbol: named with who selects it', async (t) => {
  const missing = validateConfig(withExtra('# CONFIG_HMM_MIRROR is not set'), dotconfig('good'), index);
  t.equal(missing.length, 1);
  t.match(missing[0]!.reason, /selected by .*CONFIG_TEST_HMM \[=m\]|selected by .*CONFIG_DEVICE_PRIVATE \[=y\]/);
});

t.test('an option no Kconfig defines is unknown', async (t) => {
  const missing = validateConfig(withExtra('CONFIG_HMM_SELFTESTS_EXTRA=y'), dotconfig('good'), index);
  t.equal(missing.length, 1);
  t.ok(missing[0]!.unknown);
  t.match(missing[0]!.reason, /not defined in any Kconfig file/);
  t.equal(missing[0]!.source, '--config');
});

t.test('a prompt-less symbol cannot be set from a fragment', async (t) => {
  const values = new Map(dotconfig('no-memory-hotremove'));
  values.delete('HMM_MIRROR');
  const missing = validateConfig([{ name: 'HMM_MIRROR', value: 'y' }], values, index);
  t.match(missing[0]!.reason, /has no prompt.*selected by/);
});
