import t from 'tap';
import { baselineFailures, outcomeOf, testStats, type Observation } from '../../src/history/stats.js';

const obs = (seq: string, group = 'g', evidence = true): Observation[] =>
  [...seq].map((c, i) => ({ job: `j${i}`, group, outcome: c === 'P' ? 'pass' : 'fail', evidence }));

t.test('outcomes: failures are fail/crash/timeout; skips count for nothing', async (t) => {
  t.same(['pass', 'xfail', 'xpass', 'fail', 'crash', 'timeout', 'skip', 'notrun'].map(outcomeOf), [
    'pass',
    'pass',
    'pass',
    'fail',
    'fail',
    'fail',
    null,
    null,
  ]);
});

t.test('pass rate, flips and the current streak', async (t) => {
  const s = testStats(obs('PPFPPFFF'));
  t.equal(s.results, 8);
  t.equal(s.passed, 4);
  t.equal(s.passRate, 0.5);
  t.equal(s.flips, 3, 'P→F, F→P, P→F');
  t.same(s.streak, { outcome: 'fail', count: 3 });
  t.same(testStats([]).streak, null);
  t.ok(Number.isNaN(testStats([]).passRate));
});

t.test('flips only count within one base and config, and only on evidence', async (t) => {
  const mixed = [...obs('PP', 'a'), ...obs('FF', 'b')];
  t.equal(testStats(mixed).flips, 0, 'a different base failing is not a flip');
  const seriesChanged = [...obs('P'), ...obs('F', 'g', false), ...obs('P')];
  t.equal(testStats(seriesChanged).flips, 0, 'a run whose series broke the test is not evidence');
  t.equal(testStats(seriesChanged).failed, 1, 'but it is a result');
});

t.test('known-flaky evidence: failed runs out of the recent ones (a job fails when any attempt failed)', async (t) => {
  const o: Observation[] = [
    { job: 'j1', group: 'g', outcome: 'pass', evidence: true },
    { job: 'j2', group: 'g', outcome: 'pass', evidence: true },
    { job: 'j2', group: 'g', outcome: 'fail', evidence: true },
    { job: 'j3', group: 'g', outcome: 'pass', evidence: true },
  ];
  t.same(baselineFailures(o), { failed: 1, of: 3, flips: 2 });
  t.same(baselineFailures(o, 1), { failed: 0, of: 1, flips: 2 });
});
