import t from 'tap';
import { barnardExact, compareRates, describeRates } from '../../src/compare/rates.js';
import { compareResults, needsRerun } from '../../src/compare/compare.js';
import type { TestRunResult } from '../../src/results/types.js';

t.test("Barnard's exact test gives scipy.stats.barnard_exact's p-values", async (t) => {
  // Reference values: scipy 1.x barnard_exact([[x1, x2], [n1-x1, n2-x2]], alternative='greater').pvalue
  const cases: Array<[number, number, number, number, number]> = [
    [3, 20, 0, 20, 0.04306007159009807],
    [1, 20, 1, 20, 1],
    [2, 20, 0, 20, 0.10142295381283238],
    [3, 10, 0, 10, 0.043793953403731926],
    [5, 20, 1, 20, 0.05329437416585793],
    [20, 20, 0, 20, 9.094947017729315e-13],
    [10, 50, 2, 50, 0.007193561964486277],
  ];
  for (const [x1, n1, x2, n2, want] of cases)
    t.ok(Math.abs(barnardExact(x1, n1, x2, n2) - want) < 1e-5, `${x1}/${n1} vs ${x2}/${n2}: ${want}`);
});

t.test('3/20 failing against 0/20 is a regression with its confidence; 1/20 against 1/20 is not', async (t) => {
  const r = compareRates({ pass: 20, total: 20 }, { pass: 17, total: 20 });
  t.match(r, { verdict: 'regression', test: 'barnard-exact-one-sided' });
  t.ok(r.confidence > 0.95);
  t.equal(
    describeRates(r),
    "fails 3/20 patched, 0/20 baseline (Barnard's exact test, one-sided p = 0.043, 95.7% confidence)",
  );
  t.equal(compareRates({ pass: 19, total: 20 }, { pass: 19, total: 20 }).verdict, 'same');
  t.equal(
    compareRates({ pass: 20, total: 20 }, { pass: 18, total: 20 }).verdict,
    'same',
    '2/20 vs 0/20: not significant at 0.05',
  );
  t.equal(compareRates({ pass: 10, total: 20 }, { pass: 20, total: 20 }).verdict, 'fixed');
});

const run = (
  tests: Array<[string, number, number]>,
  status = (p: number, n: number) => (p === n ? 'pass' : 'fail'),
): TestRunResult => ({
  tests: tests.map(([name, pass, total]) => ({ name, status: status(pass, total) as 'pass', repeat: { pass, total } })),
  counts: {},
  events: [],
});

t.test('compareResults decides repeated tests by their rates', async (t) => {
  const base = run([
    ['a', 20, 20],
    ['b', 19, 20],
    ['c', 0, 20],
    ['d', 20, 20],
    ['e', 0, 20],
  ]);
  const patched = run([
    ['a', 17, 20],
    ['b', 19, 20],
    ['c', 0, 20],
    ['d', 20, 20],
    ['e', 20, 20],
  ]);
  const c = compareResults(base, [patched]);
  t.same(
    c.regressions.map((x) => x.name),
    ['a'],
  );
  t.match(c.regressions[0]!.rate, {
    baseline: { pass: 20, total: 20 },
    patched: { pass: 17, total: 20 },
    verdict: 'regression',
  });
  t.same(
    c.flaky.map((x) => x.name),
    ['b'],
    '1/20 vs 1/20: flaky on both sides, not a regression',
  );
  t.same(
    c.stillFailing.map((x) => x.name),
    ['c'],
  );
  t.same(
    c.fixed.map((x) => x.name),
    ['e'],
  );
  t.ok(c.regressed);
  t.notOk(needsRerun(base, patched), 'the repeats are the confirmation: no rerun');
});
