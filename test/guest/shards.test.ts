import t from 'tap';
import { readFileSync } from 'node:fs';
import { CASE_WEIGHT, mergeShards, planShards, unknownWeight } from '../../src/guest/shards.js';
import { newEvents } from '../../src/compare/compare.js';
import type { KernelEvent } from '../../src/results/types.js';
import { parseConsole } from '../../src/results/parser.js';
import { fixturePath } from '../results/fixtures.js';

const cases = parseConsole(readFileSync(fixturePath('clean-58-pass.log'), 'utf8')).tests.map((x) => x.name);
const costOf = (cs: readonly string[]) => cs.reduce((a, c) => a + (CASE_WEIGHT[c] ?? unknownWeight(CASE_WEIGHT)), 0);

t.test('the weight table knows every case of the 6.12 listing', async (t) => {
  t.equal(cases.length, 58);
  t.same(
    cases.filter((c) => CASE_WEIGHT[c] === undefined),
    [],
  );
});

t.test('two shards by weight: within one case of each other in time, every case once', async (t) => {
  const shards = planShards(cases, 2);
  t.equal(shards.length, 2);
  t.same([...shards[0]!.cases, ...shards[1]!.cases].sort(), [...cases].sort());
  const [a, b] = shards.map((s) => costOf(s.cases)) as [number, number];
  const heaviest = Math.max(...Object.values(CASE_WEIGHT));
  t.ok(Math.abs(a - b) <= heaviest, `shard costs ${a.toFixed(2)} s and ${b.toFixed(2)} s`);
  // By count alone (every case weighs the same) the heavy cases pile up on one side.
  const byCount = planShards(cases, 2, [], {}).map((s) => costOf(s.cases));
  t.ok(Math.abs(byCount[0]! - byCount[1]!) > Math.abs(a - b), 'better balanced than by count');
  // The heavy cases are spread: each shard gets some of the six over half a second.
  for (const s of shards) t.ok(s.cases.some((c) => (CASE_WEIGHT[c] ?? 0) > 0.5));
});

t.test('a case the table does not know weighs the median; groups still stay whole', async (t) => {
  t.equal(unknownWeight({}), 1);
  t.equal(unknownWeight({ a: 3, b: 1, c: 2 }), 2);
  const table = { a: 5, b: 1, c: 1, d: 1 };
  const shards = planShards(['a', 'b', 'new1', 'c', 'new2', 'd'], 2, [['c', 'd']], table);
  const withA = shards.find((s) => s.cases.includes('a'))!;
  const other = shards.find((s) => !s.cases.includes('a'))!;
  t.same(withA.cases, ['a'], 'the heavy case alone: 5 against 1 + 1 + (1 + 1)');
  t.same(other.cases, ['b', 'new1', 'c', 'new2', 'd'], 'listing order, the group c+d together');
  t.same(other.testArgs, ['-r', 'b', '-r', 'new1', '-r', 'c', '-r', 'new2', '-r', 'd']);
});

t.test('a one-shot report both guests print is kept from the case a serial run meets first', async (t) => {
  // lockdep prints its first inversion once per boot: every guest that reaches the path prints it,
  // each in its own first case on that path (as in the debug variant's CI run, 2026-11-29).
  const serial = parseConsole(readFileSync(fixturePath('clean-58-pass.log'), 'utf8'));
  const early = 'hmm.hmm_device_private.anon_read';
  const late = 'hmm.hmm_device_private.anon_write_prot';
  const shards = [
    { index: 0, cases: cases.filter((c) => c !== early), testArgs: [] },
    { index: 1, cases: [early], testArgs: [] },
  ];
  const lockdep = (test: string | null): KernelEvent => ({
    kind: 'lockdep',
    test,
    text: 'WARNING: possible circular locking dependency detected\n at: mmap_read_lock+0x4f/0x96 [test_hmm]\n',
  });
  const boot: KernelEvent = { kind: 'warning', test: null, text: 'WARNING: CPU: 0 PID: 1 at boot\n' };
  const merged = mergeShards(
    shards,
    [
      { ...serial, events: [lockdep(late)] },
      { ...serial, events: [boot, lockdep(early)] },
    ],
    cases,
  );
  t.same(
    merged.events.map((e) => e.test),
    [null, early, late],
    'boot first, then by listing position',
  );
  const found = newEvents({ ...serial, events: [] }, [merged]).filter((e) => e.kind === 'lockdep');
  t.same(
    found.map((e) => e.test),
    [early],
    'the new event names the test a serial run names',
  );
});
