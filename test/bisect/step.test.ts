import t from 'tap';
import { STEP_EXIT, stepVerdict } from '../../src/bisect/step.js';
import type { CommitOutcome } from '../../src/bisect/types.js';
import { loadResults } from './history.js';

const base = loadResults('baseline-58-pass.json');
const results = (name: string): CommitOutcome => ({ kind: 'results', result: loadResults(name), ms: 1, built: true });
const SNAPSHOT = 'hmm2.hmm2_device_coherent.snapshot';

t.test('exit statuses are the ones git bisect run reads', async (t) => {
  t.same(STEP_EXIT, { good: 0, bad: 1, skip: 125 });
});

t.test('with a baseline: a test that passed there and fails now is bad', async (t) => {
  t.match(stepVerdict({ patterns: [], baseline: base }, results('patched-coherent-remote-snapshot-fails.json')), {
    verdict: 'bad',
    exitCode: 1,
    bad: [SNAPSHOT],
  });
  t.match(stepVerdict({ patterns: [], baseline: base }, results('baseline-58-pass.json')), {
    verdict: 'good',
    exitCode: 0,
  });
  t.match(
    stepVerdict({ patterns: ['snapshot'], baseline: base }, results('patched-migrate-multiple-fails-once.json')),
    { verdict: 'good', exitCode: 0 },
    '--test narrows: another failing test does not count',
  );
  const thp = loadResults('baseline-thp-always-4-fail-per-variant.json');
  t.match(
    stepVerdict({ patterns: [], baseline: thp }, results('baseline-thp-always-4-fail-per-variant.json')),
    { verdict: 'good' },
    'failures the baseline already had are not bad',
  );
});

t.test('an oops that stops the suite: the crash is bad; with only unreached targets it is a skip', async (t) => {
  const oops = results('patched-oops-in-migrate-vma-collect-pmd.json');
  t.match(stepVerdict({ patterns: [], baseline: base }, oops), { verdict: 'bad', exitCode: 1 });
  t.match(stepVerdict({ patterns: [SNAPSHOT], baseline: base }, oops), {
    verdict: 'skip',
    exitCode: 125,
    missing: [SNAPSHOT],
  });
});

t.test('with --test only: bad = a matching test fails now; none ran = skip', async (t) => {
  t.match(stepVerdict({ patterns: ['*.snapshot'] }, results('patched-coherent-remote-snapshot-fails.json')), {
    verdict: 'bad',
    exitCode: 1,
    bad: [SNAPSHOT],
    targets: ['hmm2.hmm2_device_private.snapshot', SNAPSHOT],
  });
  t.match(stepVerdict({ patterns: ['snapshot'] }, results('baseline-58-pass.json')), { verdict: 'good', exitCode: 0 });
  t.match(stepVerdict({ patterns: ['no_such_test'] }, results('baseline-58-pass.json')), {
    verdict: 'skip',
    exitCode: 125,
    reason: /no test matching no_such_test ran/,
  });
});

t.test('a commit that does not build is 125, or 1 with --build-failure-is-bad; no results is 125', async (t) => {
  const noBuild: CommitOutcome = {
    kind: 'build-failure',
    ms: 1,
    built: true,
    errors: ["mm/hmm.c:612:25: error: 'struct hmm_vma_walk' has no member named 'last'"],
  };
  t.match(stepVerdict({ patterns: ['snapshot'] }, noBuild), {
    verdict: 'skip',
    exitCode: 125,
    reason: 'does not build',
  });
  t.match(stepVerdict({ patterns: ['snapshot'] }, noBuild, { buildFailureIsBad: true }), {
    verdict: 'bad',
    exitCode: 1,
  });
  t.match(
    stepVerdict(
      { patterns: [], baseline: base },
      { kind: 'no-results', ms: 1, built: true, reason: 'kernel panic before the first test' },
    ),
    { verdict: 'skip', exitCode: 125 },
  );
});

t.test('nothing saying what bad means is a programming error (the CLI asks first)', async (t) => {
  t.throws(() => stepVerdict({ patterns: [] }, results('baseline-58-pass.json')), RangeError);
});
