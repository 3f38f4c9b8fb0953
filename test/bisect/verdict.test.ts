import t from 'tap';
import {
  deriveTargets,
  disagreeing,
  findContradictions,
  flippedTests,
  testMatcher,
  verdictOf,
} from '../../src/bisect/verdict.js';
import type { TestStatus } from '../../src/results/types.js';
import { HMM_TESTS, loadResults, resultsFrom } from './history.js';

const results = (s: Record<string, TestStatus> = {}) => resultsFrom(new Map(Object.entries(s)));
const ANON_READ = 'hmm.hmm_device_private.anon_read';
const ANON_READ_C = 'hmm.hmm_device_coherent.anon_read';
const MIGRATE = 'hmm.hmm_device_private.migrate';

t.test('the fixture is the real list of 6.12 hmm-tests subtests', async (t) => {
  t.equal(HMM_TESTS.length, 58);
  t.ok(HMM_TESTS.includes('hmm2.hmm2_device_coherent.migrate_mixed'));
});

t.test('targets from real result fixtures', async (t) => {
  const base = loadResults('baseline-58-pass.json');
  const snapshot = loadResults('patched-coherent-remote-snapshot-fails.json');
  t.same(
    deriveTargets(base, snapshot).names,
    ['hmm2.hmm2_device_coherent.snapshot'],
    'what break-test-at-2.mbox breaks',
  );
  const oops = loadResults('patched-oops-in-migrate-vma-collect-pmd.json');
  const crashed = oops.tests.filter((x) => x.status === 'crash').map((x) => x.name);
  t.same(deriveTargets(base, oops).names, crashed, 'the crashing test; the tests it kept from running are not targets');
  t.match(
    verdictOf({ kind: 'results', result: oops, ms: 1, built: true }, ['hmm2.hmm2_device_coherent.snapshot']),
    { verdict: 'skip', reason: /did not run/ },
    'a target the oops kept from running is unknown, not good',
  );
  const thp = loadResults('baseline-thp-always-4-fail-per-variant.json');
  t.same(deriveTargets(thp, thp).names, [], 'known stock failures at both ends are not flips');
  t.same(deriveTargets(thp, base).names, [], 'nor are fixes');
});

t.test('--test matches the whole name or a dot-separated tail, with globs', async (t) => {
  t.ok(testMatcher([ANON_READ])(ANON_READ));
  t.ok(testMatcher(['anon_read'])(ANON_READ));
  t.ok(testMatcher(['anon_read'])(ANON_READ_C));
  t.notOk(testMatcher(['anon_read'])('hmm.hmm_device_private.anon_read_prot'));
  t.ok(testMatcher(['hmm_device_private.anon_*'])('hmm.hmm_device_private.anon_read_prot'));
  t.notOk(testMatcher(['hmm_device_private.anon_*'])(ANON_READ_C));
  t.ok(testMatcher(['*exclusive*'])('hmm.hmm_device_coherent.exclusive_cow'));
  t.notOk(testMatcher(['read'])(ANON_READ), 'a tail is whole dot-separated parts, not a substring');
  t.ok(testMatcher([])(MIGRATE), 'no pattern matches everything');
  t.equal(HMM_TESTS.filter(testMatcher(['hmm.hmm_device_private.*'])).length, 26);
});

t.test('by default bad = passes at the base and fails, crashes or times out at the tip', async (t) => {
  const base = results({ [MIGRATE]: 'fail', 'hmm.hmm_device_private.exclusive': 'skip' });
  const tip = results({
    [ANON_READ]: 'fail',
    [ANON_READ_C]: 'crash',
    'hmm.hmm_device_private.file_read': 'timeout',
    [MIGRATE]: 'fail',
    'hmm.hmm_device_private.exclusive': 'fail',
    'hmm.hmm_device_private.file_write': 'skip',
  });
  t.same(
    flippedTests(base, tip),
    [ANON_READ, 'hmm.hmm_device_private.file_read', ANON_READ_C],
    'already failing and skipped-at-base are not flips',
  );
  const d = deriveTargets(base, tip);
  t.same(d.names, flippedTests(base, tip));
  t.same(d.unmatched, []);
  const narrowed = deriveTargets(base, tip, ['anon_read', 'no_such_test', MIGRATE]);
  t.same(narrowed.names, [ANON_READ, ANON_READ_C]);
  t.same(narrowed.unmatched, ['no_such_test']);
  t.same(narrowed.matchedNotFlipped, [MIGRATE]);
  t.match(narrowed.definition, /"anon_read"/);
});

t.test('the verdict of one commit', async (t) => {
  const targets = [ANON_READ, MIGRATE];
  t.match(verdictOf({ kind: 'results', result: results(), ms: 1, built: true }, targets), { verdict: 'good', bad: [] });
  t.match(verdictOf({ kind: 'results', result: results({ [MIGRATE]: 'timeout' }), ms: 1, built: true }, targets), {
    verdict: 'bad',
    bad: [MIGRATE],
  });
  t.match(
    verdictOf({ kind: 'results', result: results({ [ANON_READ_C]: 'fail' }), ms: 1, built: true }, targets),
    { verdict: 'good' },
    'a non-target failure does not count',
  );
  t.match(verdictOf({ kind: 'results', result: results({ [MIGRATE]: 'notrun' }), ms: 1, built: true }, targets), {
    verdict: 'skip',
    missing: [MIGRATE],
    reason: /did not run: .*migrate/,
  });
  t.match(
    verdictOf(
      { kind: 'results', result: results({ [MIGRATE]: 'notrun', [ANON_READ]: 'crash' }), ms: 1, built: true },
      targets,
    ),
    { verdict: 'bad' },
    'a bad target outweighs a missing one',
  );
  t.match(
    verdictOf({ kind: 'results', result: results({ [MIGRATE]: 'skip' }), ms: 1, built: true }, targets),
    { verdict: 'good' },
    'a SKIP is not a failure',
  );
  const noBuild = { kind: 'build-failure' as const, ms: 1, built: true };
  t.match(verdictOf(noBuild, targets), { verdict: 'skip', reason: 'does not build' }, '125 by default');
  t.match(verdictOf(noBuild, targets, { buildFailureIsBad: true }), { verdict: 'bad', reason: 'does not build' });
  const silent = { kind: 'no-results' as const, ms: 1, built: true, reason: 'panic at boot' };
  t.match(verdictOf(silent, targets), { verdict: 'skip', reason: /panic at boot/ });
  t.match(verdictOf(silent, targets, { noResultsIsBad: true }), { verdict: 'bad' });
});

t.test('a target test bad at one commit but fine at a later one contradicts its neighbours', async (t) => {
  const observed = new Map([
    [
      0,
      new Map<string, TestStatus>([
        [ANON_READ, 'pass'],
        [MIGRATE, 'pass'],
      ]),
    ],
    [
      4,
      new Map<string, TestStatus>([
        [ANON_READ, 'pass'],
        [MIGRATE, 'fail'],
      ]),
    ],
    [
      2,
      new Map<string, TestStatus>([
        [ANON_READ, 'fail'],
        [MIGRATE, 'pass'],
      ]),
    ],
    [
      8,
      new Map<string, TestStatus>([
        [ANON_READ, 'fail'],
        [MIGRATE, 'fail'],
      ]),
    ],
  ]);
  t.same(findContradictions(observed, 2, [ANON_READ, MIGRATE]), [{ test: ANON_READ, index: 2, other: 4, here: 'bad' }]);
  t.same(findContradictions(observed, 4, [MIGRATE]), [], 'a monotone history has none');
  observed.set(6, new Map<string, TestStatus>([[MIGRATE, 'pass']]));
  t.same(findContradictions(observed, 6, [MIGRATE]), [{ test: MIGRATE, index: 6, other: 4, here: 'ok' }]);
});

t.test('two boots disagree only on tests whose bad/ok class changed', async (t) => {
  const a = {
    kind: 'results' as const,
    result: results({ [ANON_READ]: 'fail', [MIGRATE]: 'crash' }),
    ms: 1,
    built: true,
  };
  const b = { kind: 'results' as const, result: results({ [MIGRATE]: 'timeout' }), ms: 1, built: false };
  t.same(disagreeing(a, b, [ANON_READ, MIGRATE, ANON_READ_C]), [ANON_READ]);
});
