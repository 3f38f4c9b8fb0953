import t from 'tap';
import { bisect } from '../../src/bisect/driver.js';
import { log2Ceil } from '../../src/bisect/decide.js';
import { HmmciError } from '../../src/common/errors.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import { commitsOf, HistoryTester, type History } from './history.js';

const ANON_READ = 'hmm.hmm_device_private.anon_read';
const MIGRATE = 'hmm.hmm_device_private.migrate';

/** Bisect a history with both ends cached (as after `hmmci run`), like the CLI does. */
async function run(h: History, opts: { patterns?: string[]; buildFailureIsBad?: boolean; cachedEnds?: boolean } = {}) {
  const tester = new HistoryTester(h);
  const cached = opts.cachedEnds ?? true;
  const report = await bisect({
    commits: commitsOf(h.n),
    tester,
    base: cached ? tester.outcomeAt(0, 0) : undefined,
    tip: cached ? tester.outcomeAt(h.n, 0) : undefined,
    patterns: opts.patterns,
    buildFailureIsBad: opts.buildFailureIsBad,
  });
  return { report, tester };
}

t.test('for every N ≤ 64 and every first bad patch: right answer, ≤ ⌈log2 N⌉ + 1 builds', async (t) => {
  let checked = 0;
  for (let n = 1; n <= 64; n++) {
    for (let p = 1; p <= n; p++) {
      const { report, tester } = await run({ n, breaks: { [ANON_READ]: p } });
      if (report.status !== 'found' || report.firstBad?.index !== p)
        t.fail(`N=${n} p=${p}: ${JSON.stringify(report.firstBad)}`);
      if (tester.builds() > log2Ceil(n) + 1) t.fail(`N=${n} p=${p}: ${tester.builds()} builds`);
      if (report.builds !== tester.builds() || report.steps.length !== tester.calls.length)
        t.fail(`N=${n} p=${p}: counts disagree`);
      checked++;
    }
  }
  t.equal(checked, (64 * 65) / 2);
});

t.test('the report: first bad, the tests that flipped, steps, nothing skipped', async (t) => {
  const { report, tester } = await run({ n: 12, breaks: { [ANON_READ]: 5, [MIGRATE]: 9 } });
  t.match(report, {
    status: 'found',
    firstBad: { index: 5, total: 12, sha: tester.calls.length ? String : String, subject: 'mm/hmm: patch 5' },
    flipped: [ANON_READ],
    skipped: [],
    flaky: [],
    targets: [ANON_READ, MIGRATE],
  });
  t.same(
    report.steps.map((s) => [s.index, s.verdict, Boolean(s.rerun), s.built]),
    [
      [6, 'bad', false, true],
      [3, 'good', false, true],
      [4, 'good', false, true],
      [5, 'bad', false, true],
      [5, 'bad', true, false],
    ],
    'the answer is confirmed by a second boot (no rebuild: 5 was built last)',
  );
  t.same(report.steps[0]!.bad, [ANON_READ]);
  t.equal(report.steps[0]!.ms, 1006);
  t.equal(report.builds, 4);
});

t.test('every outcome is handed to onTested (the CLI caches a tested base with it)', async (t) => {
  const h = { n: 6, breaks: { [ANON_READ]: 4 } };
  const tester = new HistoryTester(h);
  const seen: number[] = [];
  await bisect({ commits: commitsOf(6), tester, onTested: (c, o) => seen.push(c.index) && t.equal(o.kind, 'results') });
  t.same(
    seen,
    tester.calls.map((c) => c.index),
  );
  t.equal(seen[0], 0);
});

t.test('ends without a cached result are tested first and listed as steps', async (t) => {
  const { report, tester } = await run({ n: 4, breaks: { [ANON_READ]: 2 } }, { cachedEnds: false });
  t.same(tester.calls.slice(0, 2), [
    { index: 0, rerun: false },
    { index: 4, rerun: false },
  ]);
  t.same(
    report.steps.map((s) => [s.index, s.role ?? null, s.verdict]),
    [
      [0, 'base', 'good'],
      [4, 'tip', 'bad'],
      [2, null, 'bad'],
      [1, null, 'good'],
      [2, null, 'bad'],
    ],
  );
  t.equal(report.firstBad?.index, 2);
  t.equal(report.builds, 5);
});

t.test('--test narrows what bad means', async (t) => {
  const h = { n: 12, breaks: { [ANON_READ]: 5, [MIGRATE]: 9 } };
  const { report } = await run(h, { patterns: ['migrate'] });
  t.equal(report.firstBad?.index, 9);
  t.same(report.flipped, [MIGRATE]);
  t.same(report.targets, [MIGRATE]);
  await t.rejects(run(h, { patterns: ['no_such_test'] }), {
    exitCode: ExitCode.USAGE,
    message: /"no_such_test" matches no test/,
  });
});

t.test('nothing to bisect when no test flipped', async (t) => {
  const { report, tester } = await run({ n: 6 });
  t.match(report, { status: 'nothing-to-bisect', firstBad: null, flipped: [], steps: [] });
  t.equal(tester.calls.length, 0);
});

t.test('a commit that does not build is skipped and stepped around', async (t) => {
  const { report, tester } = await run({ n: 12, breaks: { [ANON_READ]: 8 }, buildFails: [6] });
  t.equal(report.status, 'found');
  t.equal(report.firstBad?.index, 8);
  t.same(report.skipped, [tester.calls.length ? commitsOf(12)[6]!.sha : '']);
  t.match(
    report.steps.find((s) => s.index === 6),
    { verdict: 'skip', reason: 'does not build' },
  );
});

t.test('skips next to the boundary: the answer names every commit it could be', async (t) => {
  const { report } = await run({ n: 8, breaks: { [ANON_READ]: 5 }, buildFails: [4, 5] });
  t.equal(report.status, 'ambiguous');
  t.equal(report.firstBad, null);
  t.same(
    report.candidates.map((c) => c.index),
    [4, 5, 6],
  );
  t.same(report.skipped, [commitsOf(8)[4]!.sha, commitsOf(8)[5]!.sha]);
  t.same(report.flipped, [ANON_READ], 'what flipped between the last good and the first bad tested');
});

t.test('every commit in between skipped', async (t) => {
  const { report, tester } = await run({ n: 6, breaks: { [ANON_READ]: 3 }, buildFails: [1, 2, 3, 4, 5] });
  t.equal(report.status, 'ambiguous');
  t.same(
    report.candidates.map((c) => c.index),
    [1, 2, 3, 4, 5, 6],
  );
  t.equal(report.skipped.length, 5);
  t.equal(tester.calls.length, 5);
});

t.test('--build-failure-is-bad finds the first commit that does not build', async (t) => {
  const { report } = await run({ n: 10, buildFails: [7, 8, 9, 10] }, { buildFailureIsBad: true });
  t.match(report, { status: 'found', firstBad: { index: 7 }, badDefinition: /does not build/ });
  const failing = await run({ n: 10, breaks: { [ANON_READ]: 3 }, buildFails: [2] }, { buildFailureIsBad: true });
  t.equal(failing.report.firstBad?.index, 2, 'a build failure before the test breaks is the first bad');
  await t.rejects(
    run({ n: 10, buildFails: [10] }),
    { exitCode: ExitCode.BUILD_FAILED, message: /--build-failure-is-bad/ },
    'tip does not build and build failures are skipped',
  );
});

t.test('a base that does not build or boot is a broken baseline', async (t) => {
  await t.rejects(run({ n: 4, breaks: { [ANON_READ]: 2 }, buildFails: [0] }), {
    exitCode: ExitCode.BASELINE_BROKEN,
    message: /does not build/,
  });
  const err = await run({ n: 4, noResults: [0] }).catch((e: unknown) => e);
  t.ok(err instanceof HmmciError && err.exitCode === ExitCode.BASELINE_BROKEN && /no test results/.test(err.message));
});

t.test('a tip that gives no results: bad means the guest gives none', async (t) => {
  const { report } = await run({ n: 8, noResults: [5, 6, 7, 8] });
  t.match(report, { status: 'found', firstBad: { index: 5 }, badDefinition: /no results/ });
});

t.test('a flaky test is re-run, named and not blamed', async (t) => {
  // MIGRATE really breaks at 3. ANON_READ flipped at the tip by chance and fails once more at
  // commit 2, contradicting its pass at commit 4: commit 2 is booted again and it passes.
  const h: History = {
    n: 8,
    breaks: { [MIGRATE]: 3 },
    flaky: [
      { test: ANON_READ, index: 8, boots: ['fail'] },
      { test: ANON_READ, index: 2, boots: ['fail', 'pass'] },
    ],
  };
  const { report, tester } = await run(h);
  t.match(report, {
    status: 'found',
    firstBad: { index: 3 },
    flipped: [MIGRATE],
    flaky: [ANON_READ],
    targets: [MIGRATE],
  });
  t.same(tester.calls, [
    { index: 4, rerun: false },
    { index: 2, rerun: false },
    { index: 2, rerun: true },
    { index: 3, rerun: false },
    { index: 3, rerun: true },
  ]);
  t.same(
    report.steps.map((s) => [s.index, s.verdict, Boolean(s.rerun)]),
    [
      [4, 'bad', false],
      [2, 'bad', false],
      [2, 'good', true],
      [3, 'bad', false],
      [3, 'bad', true],
    ],
  );
  t.equal(report.builds, 3, 'a re-run boots the built kernel again without a rebuild');
});

t.test('a contradiction that reproduces is kept and noted (a test that breaks and is fixed again)', async (t) => {
  const h: History = {
    n: 8,
    breaks: { [MIGRATE]: 3, [ANON_READ]: 2 },
    fixes: { [ANON_READ]: 4 },
    flaky: [{ test: ANON_READ, index: 8, boots: ['fail'] }],
  };
  const { report } = await run(h);
  t.match(report, { status: 'found', firstBad: { index: 2 }, flipped: [ANON_READ], flaky: [] });
  t.match(report.notes, [/anon_read is bad at 2\/8 but ok at 4\/8.*second boot gave the same results/]);
});

t.test('a one-off failure at the answer is caught by the confirming test and not blamed', async (t) => {
  // ANON_READ really fails from commit 7 on, but fails once by chance at 6: 4 good, 6 bad, 5 good,
  // then 6 is tested again (a rebuild: 5 is in the build directory) and passes.
  const h: History = {
    n: 8,
    breaks: { [ANON_READ]: 7 },
    flaky: [{ test: ANON_READ, index: 6, boots: ['fail', 'pass'] }],
  };
  const { report, tester } = await run(h);
  t.match(report, { status: 'all-flaky', firstBad: null, flaky: [ANON_READ], flipped: [] });
  t.same(tester.calls, [
    { index: 4, rerun: false },
    { index: 6, rerun: false },
    { index: 5, rerun: false },
    { index: 6, rerun: false },
  ]);
  t.equal(report.builds, 4, '⌈log2 8⌉ + 1');
});

t.test('when every flipped test changes result between two boots, nothing is blamed', async (t) => {
  const h: History = {
    n: 8,
    breaks: { [MIGRATE]: 4 },
    fixes: { [MIGRATE]: 5 },
    flaky: [
      { test: ANON_READ, index: 8, boots: ['fail'] },
      { test: MIGRATE, index: 8, boots: ['fail'] },
      { test: ANON_READ, index: 2, boots: ['fail', 'pass'] },
      { test: MIGRATE, index: 2, boots: ['pass', 'fail'] },
    ],
  };
  const { report } = await run(h);
  t.match(report, { status: 'all-flaky', firstBad: null, flipped: [] });
  t.same([...report.flaky].sort(), [ANON_READ, MIGRATE].sort());
});

t.test('target tests that did not run make the commit a skip', async (t) => {
  const { report } = await run({ n: 4, breaks: { [ANON_READ]: 3 }, notRun: [{ test: ANON_READ, index: 2 }] });
  t.match(report, { status: 'ambiguous' });
  t.same(
    report.candidates.map((c) => c.index),
    [2, 3],
  );
  t.match(
    report.steps.find((s) => s.index === 2),
    { verdict: 'skip', reason: /did not run/ },
  );
});
