import t from 'tap';
import { compareResults, eventKey, needsRerun, testsToConfirm } from '../../src/compare/index.js';
import { result } from './fixtures.js';

const SNAPSHOT = 'hmm2.hmm2_device_coherent.snapshot';

t.test('identical runs: nothing changed, nothing regressed', async (t) => {
  const base = result('baseline-58-pass');
  const c = compareResults(base, [result('baseline-58-pass')]);
  t.equal(c.regressed, false);
  t.same(
    [c.regressions, c.fixed, c.flaky, c.added, c.removed, c.newEvents].map((l) => l.length),
    [0, 0, 0, 0, 0, 0],
  );
  t.equal(c.summary, 'nothing regressed');
  t.same(testsToConfirm(base, base), []);
});

t.test('a test that passed at the baseline and fails in both patched runs is a regression', async (t) => {
  const base = result('baseline-58-pass');
  const bad = result('patched-coherent-remote-snapshot-fails');
  t.same(testsToConfirm(base, bad), [SNAPSHOT]);
  t.equal(needsRerun(base, bad), true);
  const c = compareResults(base, [bad, result('patched-coherent-remote-snapshot-fails')]);
  t.equal(c.regressed, true);
  t.same(
    c.regressions.map((r) => [r.name, r.baseline, r.patched, r.runs]),
    [[SNAPSHOT, 'pass', 'fail', ['fail', 'fail']]],
  );
  t.match(c.regressions[0]?.reason, /COHERENT_REMOTE/);
  t.equal(c.flaky.length, 0);
  t.equal(c.summary, 'regressed: 1 regression');
});

t.test('a failure the rerun does not reproduce is flaky, not a regression', async (t) => {
  const base = result('baseline-58-pass');
  const c = compareResults(base, [result('patched-migrate-multiple-fails-once'), result('baseline-58-pass')]);
  t.equal(c.regressed, false);
  t.same(c.regressions, []);
  t.same(
    c.flaky.map((f) => [f.name, f.baseline, f.patched, f.runs]),
    [['hmm.hmm_device_private.migrate_multiple', 'pass', 'fail', ['fail', 'pass']]],
  );
  t.equal(c.summary, 'nothing regressed (1 flaky)');
});

t.test('without a rerun a single failing run is a regression', async (t) => {
  const c = compareResults(result('baseline-58-pass'), [result('patched-migrate-multiple-fails-once')]);
  t.equal(c.regressions.length, 1);
  t.equal(c.patchedRuns, 1);
});

t.test('failures at the baseline that pass patched are fixed; common ones are still failing', async (t) => {
  const base = result('baseline-thp-always-4-fail-per-variant');
  const c = compareResults(base, [result('baseline-58-pass')]);
  t.equal(c.fixed.length, 8);
  t.ok(c.fixed.every((f) => f.baseline === 'fail' && f.patched === 'pass'));
  t.equal(c.regressed, false);
  const same = compareResults(base, [result('baseline-thp-always-4-fail-per-variant')]);
  t.equal(same.stillFailing.length, 8);
  t.equal(same.regressed, false);
  t.same(same.fixed, []);
});

t.test('tests that ran at the baseline and skip patched are new skips', async (t) => {
  const c = compareResults(result('baseline-58-pass'), [result('baseline-coherent-skipped-no-reserved-memory')]);
  t.equal(c.newSkips.length, 29);
  t.ok(c.newSkips.every((s) => s.name.includes('coherent') && s.reason === 'DEVICE_COHERENT not available'));
  t.equal(c.regressed, false);
  // The other way round a skip that now passes is an "other change", not a fix.
  const back = compareResults(result('baseline-coherent-skipped-no-reserved-memory'), [result('baseline-58-pass')]);
  t.equal(back.otherChanges.length, 29);
  t.equal(back.fixed.length, 0);
});

t.test('an oops: the crashing test regresses, the rest are not run, the event is new', async (t) => {
  const base = result('baseline-58-pass');
  const oops = result('patched-oops-in-migrate-vma-collect-pmd');
  const c = compareResults(base, [oops, result('patched-oops-in-migrate-vma-collect-pmd')]);
  t.same(
    c.regressions.map((r) => [r.name, r.patched]),
    [['hmm.hmm_device_private.migrate_fault', 'crash']],
  );
  t.equal(c.notRun.length, 58 - 14);
  t.equal(c.newEvents.length, 1);
  t.match(c.newEvents[0], {
    kind: 'oops',
    function: 'migrate_vma_collect_pmd',
    key: 'oops:migrate_vma_collect_pmd',
    confirmed: true,
    seenIn: 2,
    test: 'hmm.hmm_device_private.migrate_fault',
  });
  t.equal(c.newEvents[0]?.summary, 'BUG: kernel NULL pointer dereference, address: 0000000000000008');
  t.equal(c.regressed, true);
  t.equal(c.summary, 'regressed: 1 regression, 1 new kernel event (44 not run)');
  // The suite stopping is not flakiness: a rerun that reaches the later tests agrees with notrun.
  const mixed = compareResults(base, [oops, base]);
  t.equal(mixed.flaky.length, 1, 'only the crashing test disagrees between runs');
  t.equal(mixed.newEvents[0]?.confirmed, false, 'seen in one run of two');
  t.equal(mixed.regressed, false);
});

t.test('the same event at the baseline is not new; one that disappears is gone', async (t) => {
  const oops = result('patched-oops-in-migrate-vma-collect-pmd');
  const c = compareResults(oops, [oops]);
  t.same(c.newEvents, []);
  const gone = compareResults(oops, [result('baseline-58-pass')]);
  t.same(
    gone.goneEvents.map((g) => g.key),
    ['oops:migrate_vma_collect_pmd'],
  );
});

t.test('events without a function match on the first line, numbers and addresses ignored', async (t) => {
  const a = eventKey({
    kind: 'warning',
    test: null,
    text: '[   12.345678] WARNING: CPU: 1 PID: 97 at mm/hmm.c:120 hmm_vma_walk_pmd+0x10/0x20',
  });
  const b = eventKey({
    kind: 'warning',
    test: null,
    text: 'WARNING: CPU: 0 PID: 211 at mm/hmm.c:120 hmm_vma_walk_pmd+0x10/0x20\nnext line',
  });
  t.equal(a, b);
});

t.test('tests added and removed by a series', async (t) => {
  const base = result('baseline-58-pass');
  const added = result('patched-adds-failing-migrate-partial-unmap');
  const c = compareResults(base, [added]);
  t.same(
    c.added.map((a) => [a.name, a.baseline, a.patched]),
    [['hmm.hmm_device_private.migrate_partial_unmap', null, 'fail']],
  );
  t.equal(c.regressed, true, 'an added test that fails counts');
  t.equal(c.summary, 'regressed: 1 added test failing');
  t.equal(compareResults(base, [added], { failingAddedTestRegresses: false }).regressed, false);
  const removed = compareResults(added, [base]);
  t.same(
    removed.removed.map((r) => [r.name, r.baseline, r.patched]),
    [['hmm.hmm_device_private.migrate_partial_unmap', 'fail', null]],
  );
  t.equal(removed.regressed, false);
});

t.test('compareResults needs a patched run', async (t) => {
  t.throws(() => compareResults(result('baseline-58-pass'), []));
});

t.test(
  'the all-pass baseline fixture has the names, statuses, counts and events the parser finds in the real clean console log',
  async (t) => {
    const { readFileSync } = await import('node:fs');
    const { parseConsole } = await import('../../src/results/parser.js');
    const log = readFileSync(new URL('../../fixtures/logs/clean-58-pass.log', import.meta.url), 'utf8');
    const parsed = parseConsole(log);
    const fixture = result('baseline-58-pass');
    const statuses = (r: typeof fixture) => r.tests.map((x) => [x.name, x.status]);
    t.same(statuses(parsed), statuses(fixture));
    t.same(parsed.counts, fixture.counts);
    t.same(parsed.events, fixture.events);
    // and the derived fixtures use the same names in the same order
    t.same(
      result('patched-coherent-remote-snapshot-fails').tests.map((x) => x.name),
      parsed.tests.map((x) => x.name),
    );
  },
);

t.test('the failure detail is the harness assertion line, without the worktree path', async (t) => {
  const { failureDetail } = await import('../../src/compare/index.js');
  // As the parser records it from a real run of break-test-at-2 (path of the slot's worktree).
  t.equal(
    failureDetail({
      name: 'hmm2.hmm2_device_coherent.snapshot',
      status: 'fail',
      reason: 'Test terminated by assertion',
      output: [
        '# /var/cache/hmmci/worktrees/linux-6.12.117-7c77ec7409a4-1/tools/testing/selftests/mm/hmm-tests.c:1607:snapshot:Expected m[6] (66) == HMM_DMIRROR_PROT_DEV_COHERENT_REMOTE | HMM_DMIRROR_PROT_WRITE (82)',
        '# snapshot: Test terminated by assertion',
      ],
    }),
    'hmm-tests.c:1607:snapshot:Expected m[6] (66) == HMM_DMIRROR_PROT_DEV_COHERENT_REMOTE | HMM_DMIRROR_PROT_WRITE (82)',
  );
  t.equal(failureDetail({ name: 'x', status: 'crash', reason: 'killed by signal 11' }), 'killed by signal 11');
});

t.test('tests only listed (notrun) on one side and absent on the other are neither added nor removed', async (t) => {
  const base = result('baseline-58-pass');
  // What a baseline looked like when the guest's case listing was garbled: 9 phantom names, never run.
  const phantom = {
    ...base,
    tests: [...base.tests, { name: 'migrate_shared.compound.exclusive', status: 'notrun' as const }],
  };
  const c = compareResults(phantom, [base]);
  t.same(c.removed, []);
  t.same(compareResults(base, [phantom]).added, []);
  t.equal(c.summary, 'nothing regressed');
});
