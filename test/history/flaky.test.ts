import t from 'tap';
import { join } from 'node:path';
import {
  flakyRanking,
  knownFlaky,
  labelKnownFlaky,
  openHistory,
  storeRecord,
  testHistory,
  type HistoryDb,
} from '../../src/history/index.js';
import { renderTerminal } from '../../src/report/index.js';
import { result } from '../report/records.js';
import { BASE_A, BASE_B, job, MULTIPLE, SNAPSHOT, withStatuses } from './history-fixtures.js';
import { scratchDir } from '../helpers/scratch.js';

const PASS = result('baseline-58-pass');
const COHERENT = 'hmm2.hmm2_device_coherent.anon_read';

/**
 * A constructed history of 40 jobs on one base and config: the snapshot test fails at the
 * baseline in 3 of them (flaky), migrate_multiple fails once in a patched first run and passes
 * its rerun, and a series in job 30 really breaks anon_read (every run), which is no flip.
 */
function constructed(db: HistoryDb): void {
  const snapFails = new Set([5, 17, 33]);
  for (let n = 1; n <= 40; n++) {
    const baseline = snapFails.has(n) ? withStatuses('baseline-58-pass', { [SNAPSHOT]: 'fail' }) : PASS;
    let patched = [baseline];
    if (n === 12) patched = [withStatuses('baseline-58-pass', { [MULTIPLE]: 'fail' }), PASS];
    if (n === 30)
      patched = [
        withStatuses('baseline-58-pass', { [COHERENT]: 'fail' }),
        withStatuses('baseline-58-pass', { [COHERENT]: 'fail' }),
      ];
    storeRecord(db, job(n, { baseline, patched }));
  }
  // Another base where the snapshot always fails: no flip there.
  for (let n = 41; n <= 45; n++) {
    const bad = withStatuses('baseline-58-pass', { [SNAPSHOT]: 'fail' });
    storeRecord(db, job(n, { base: BASE_B, baseline: bad, patched: [bad] }));
  }
}

function fresh(t: { teardown(fn: () => void): void }): HistoryDb {
  const db = openHistory(join(scratchDir('hmmci-hist-'), 'history.sqlite'));
  t.teardown(() => db.close());
  return db;
}

t.test('--flaky ranks by flips; a real regression and a consistently failing base are not flaky', async (t) => {
  const db = fresh(t);
  constructed(db);
  const ranking = flakyRanking(db);
  t.same(
    ranking.map((f) => [f.test, f.flips]),
    [
      [SNAPSHOT, 6],
      [MULTIPLE, 2],
    ],
  );
  t.notOk(
    ranking.some((f) => f.test.endsWith('anon_read')),
    'the series that broke anon_read every time is a regression, not a flake',
  );
  const snap = ranking[0];
  t.equal(snap?.failed, 3 * 2 + 5 * 2, 'baseline + patched results on base A, and every result on base B');
});

t.test('history of a test: series, base, config, result, duration, pass rate, flips, streak', async (t) => {
  const db = fresh(t);
  constructed(db);
  const [h] = testHistory(db, 'hmm2.*.snapshot');
  t.equal(h?.test, SNAPSHOT);
  t.equal(h?.rows.length, 45);
  t.match(h?.rows[4], {
    series: '[PATCH] series 5',
    base: BASE_A,
    configHash: 'cfg1',
    baseline: 'fail',
    patched: ['fail'],
    pass: 0,
    total: 1,
  });
  t.equal(h?.stats.flips, 6, 'P→F and F→P around each of the 3 baseline failures');
  t.same(h?.stats.streak, { outcome: 'fail', count: 10 });
  t.equal(testHistory(db, 'hmm2.*.snapshot', { limit: 5 })[0]?.rows.length, 5);
  t.same(
    testHistory(db, 'migrate_multiple').map((x) => x.test),
    ['hmm.hmm_device_coherent.migrate_multiple', MULTIPLE],
    'a plain word matches as a substring',
  );
  const [m] = testHistory(db, MULTIPLE);
  t.match(m?.rows[11], { patched: ['fail', 'pass'], pass: 1, total: 2, label: 'FLAKY' });
});

t.test(
  'a regression on a test that flipped on the same base and config is labelled known flaky, still reported',
  async (t) => {
    const db = fresh(t);
    constructed(db);
    const broken = withStatuses('baseline-58-pass', { [SNAPSHOT]: 'fail' });
    const now = job(50, { baseline: PASS, patched: [broken, broken] });
    t.ok(now.comparison?.regressed);
    labelKnownFlaky(db, now);
    // Of the latest 20 jobs on base A (21..40) the snapshot failed in job 33.
    t.same(now.knownFlaky, [
      { test: SNAPSHOT, failed: 1, of: 20, flips: 6, label: 'known flaky (1 of 20 recent baseline runs failed)' },
    ]);
    t.ok(
      now.comparison?.regressions.some((r) => r.name === SNAPSHOT),
      'still a regression',
    );
    t.match(
      renderTerminal(now),
      /REGRESSION\s+hmm2\.hmm2_device_coherent\.snapshot[^\n]*\n(?:[^\n]*\n)?\s+known flaky \(1 of 20 recent baseline runs failed\)/,
    );
    const elsewhere = job(51, { base: BASE_B, baseline: PASS, patched: [broken, broken] });
    labelKnownFlaky(db, elsewhere);
    t.equal(elsewhere.knownFlaky, undefined, 'on base B the test never flipped: a plain regression');
    t.same(knownFlaky(db, { tests: ['hmm.hmm_device_private.open_close'], base: BASE_A, configHash: 'cfg1' }), []);
  },
);

t.test('a cached baseline is not counted twice; storing a job again replaces it', async (t) => {
  const db = fresh(t);
  const bad = withStatuses('baseline-58-pass', { [SNAPSHOT]: 'fail' });
  storeRecord(db, job(1, { baseline: bad, patched: [PASS] }));
  storeRecord(db, job(2, { baseline: bad, patched: [PASS], cached: true }));
  storeRecord(db, job(2, { baseline: bad, patched: [PASS], cached: true }));
  const [h] = testHistory(db, SNAPSHOT);
  t.equal(h?.rows.length, 2);
  t.equal(h?.stats.results, 3, 'fresh baseline + two patched results; the cached copy is left out');
  t.equal(db.prepare('SELECT count(*) FROM jobs').pluck().get(), 2);
});
