/**
 * The watcher's position in the history database: round trip across connections, only changes
 * written, a result and its run's job rows in one transaction (a failure rolls back both), the
 * state file of older versions imported once, a lost database refused, and the outcomes query
 * behind `hmmci history --watch`.
 */
import t from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheLayout } from '../../src/common/cache.js';
import { historyPath, openHistory } from '../../src/history/index.js';
import { openHistoryPositionStore } from '../../src/watch/history-store.js';
import { parseStatuses, renderWatchOutcomes, watchOutcomes } from '../../src/watch/outcomes.js';
import { StateFileStore } from '../../src/watch/position-store.js';
import { emptyState, type SeriesEntry, type WatchState } from '../../src/watch/types.js';
import { job } from '../history/history-fixtures.js';
import { result } from '../report/records.js';
import { runCli } from '../helpers/cli.js';

const SOURCE = '/srv/lore/linux-mm';

function entry(key: string, status: SeriesEntry['status'], over: Partial<SeriesEntry> = {}): SeriesEntry {
  return {
    key,
    rootId: key.replace(/ v\d+$/, ''),
    version: Number(/ v(\d+)$/.exec(key)?.[1] ?? 1),
    total: 2,
    title: `mm/hmm: ${key}`,
    author: 'Dana Mirror <dana@example.org>',
    identity: `dana@example.org\0${key}`,
    rfc: false,
    resend: false,
    parts: {},
    firstSeenAt: Date.UTC(2026, 10, 29, 10),
    lastPartAt: Date.UTC(2026, 10, 29, 10),
    status,
    attempts: 0,
    trailers: [],
    ...over,
  };
}

function sample(): WatchState {
  const st = emptyState(SOURCE);
  st.position.epochs = { '0.git': 'a'.repeat(40), '1.git': 'b'.repeat(40) };
  st.scanned = 12;
  st.series['v2.0@example.org v2'] = entry('v2.0@example.org v2', 'collecting', {
    parts: {
      '1': { messageId: 'v2.1@example.org', file: 'mail/x.eml', subject: '[PATCH v2 1/2] x', files: ['mm/hmm.c'] },
    },
  });
  st.series['pa.0@example.org v1'] = entry('pa.0@example.org v1', 'skipped', {
    reason: 'touches none of the HMM files (mm/page_alloc.c)',
  });
  st.series['miss.0@example.org v1'] = entry('miss.0@example.org v1', 'incomplete', {
    reason: 'missing 2/3 31 min after the last part arrived',
  });
  st.messages['v2.1@example.org'] = 'v2.0@example.org v2';
  return st;
}

function setup(t: { teardown(fn: () => unknown): void }) {
  const work = mkdtempSync(join(tmpdir(), 'hmmci-watch-db-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const cache = cacheLayout(join(work, 'cache'));
  const stateDir = join(work, 'state');
  const stores: Array<{ close(): void }> = [];
  t.teardown(() => stores.forEach((s) => s.close()));
  const open = () => {
    const s = openHistoryPositionStore(cache, stateDir);
    stores.push(s);
    return s;
  };
  return { work, cache, stateDir, open };
}

t.test('round trip across connections; only what changed is written', async (t) => {
  const { cache, stateDir, open } = setup(t);
  const first = open();
  t.same(first.load(SOURCE), emptyState(SOURCE), 'a new watcher starts empty');
  t.ok(existsSync(join(stateDir, 'history-position')), 'the state directory says where its position is');
  const st = sample();
  first.save(st);
  t.same(open().load(SOURCE), st, 'another connection reads the same state');

  const db = openHistory(historyPath(cache));
  t.teardown(() => db.close());
  const stamp = (key: string) =>
    db.prepare('SELECT updated_at FROM watch_series WHERE key = ?').pluck().get(key) as string;
  const before = stamp('pa.0@example.org v1');
  await new Promise((r) => setTimeout(r, 5));
  delete st.messages['v2.1@example.org'];
  (st.series['v2.0@example.org v2'] as SeriesEntry).status = 'queued';
  st.position.epochs = { ...st.position.epochs, '1.git': 'c'.repeat(40), '2.git': 'd'.repeat(40) };
  first.save(st);
  t.equal(stamp('pa.0@example.org v1'), before, 'an unchanged series row is not rewritten');
  t.not(stamp('v2.0@example.org v2'), before, 'the changed one is');
  t.same(open().load(SOURCE), st, 'deleted index entries and new epochs are there');
  t.equal(db.prepare('SELECT count(*) FROM watch_messages').pluck().get(), 0);
});

t.test('a result and its job rows commit together, or neither does', async (t) => {
  const { cache, open } = setup(t);
  const store = open();
  const st = store.load(SOURCE);
  const s = entry('v2.0@example.org v2', 'running');
  st.series[s.key] = s;
  store.save(st);
  const record = job(7, { baseline: result('baseline-58-pass'), patched: [result('baseline-58-pass')] });
  const db = openHistory(historyPath(cache));
  t.teardown(() => db.close());
  db.exec(
    "CREATE TRIGGER fail_tested BEFORE UPDATE ON watch_series WHEN NEW.status = 'tested' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
  );
  Object.assign(s, { status: 'tested', runId: record.id, runDir: record.runDir, exitCode: 0 });
  t.throws(() => store.save(st, { record }), /disk on fire/);
  t.equal(
    db.prepare('SELECT count(*) FROM jobs WHERE id = ?').pluck().get(record.id),
    0,
    'no job row without the result',
  );
  t.equal(open().load(SOURCE).series[s.key]?.status, 'running', 'the series is still running in the database');

  db.exec('DROP TRIGGER fail_tested');
  const store2 = open();
  const st2 = store2.load(SOURCE);
  Object.assign(st2.series[s.key] as SeriesEntry, { status: 'tested', runId: record.id, exitCode: 0 });
  store2.save(st2, { record });
  t.equal(db.prepare('SELECT count(*) FROM jobs WHERE id = ?').pluck().get(record.id), 1, 'the job row');
  t.same(
    db.prepare('SELECT status, run_id AS runId FROM watch_series WHERE key = ?').get(s.key),
    { status: 'tested', runId: record.id },
    'and the result, together',
  );
  t.equal(db.prepare('SELECT count(*) FROM results WHERE job_id = ?').pluck().get(record.id), 58 * 2);

  // The job rows failing alone (history trouble) never loses the series' result.
  db.exec("CREATE TRIGGER fail_job BEFORE INSERT ON jobs BEGIN SELECT RAISE(ABORT, 'no jobs today'); END");
  const other = job(8, { baseline: result('baseline-58-pass'), patched: [result('baseline-58-pass')] });
  (st2.series[s.key] as SeriesEntry).summary = 'again';
  let warned = '';
  store2.save(st2, { record: other, onRecordError: (r) => (warned = r.id) });
  t.equal(warned, other.id, 'the caller hears of it');
  t.equal(open().load(SOURCE).series[s.key]?.summary, 'again', 'the state is saved');
});

t.test('a state file of an older hmmci is imported once', async (t) => {
  const { stateDir, open } = setup(t);
  const st = sample();
  new StateFileStore(stateDir).save(st);
  t.same(open().load(SOURCE), st, 'its state, now from the database');
  t.notOk(existsSync(join(stateDir, 'state.json')), 'the file is moved away');
  t.ok(existsSync(join(stateDir, 'state.json.migrated')));
  t.same(open().load(SOURCE), st, 'read from the database next time');
});

t.test('a lost database or another source is refused with a paragraph', async (t) => {
  const { work, stateDir, open } = setup(t);
  const store = open();
  store.save(Object.assign(store.load(SOURCE), { scanned: 1 }));
  t.throws(() => open().load('/srv/other'), {
    message: /belongs to "\/srv\/lore\/linux-mm", not "\/srv\/other"\. Give each inbox its own --state DIR/,
    exitCode: 3,
  });
  const elsewhere = openHistoryPositionStore(cacheLayout(join(work, 'new-cache')), stateDir);
  t.teardown(() => elsewhere.close());
  t.throws(() => elsewhere.load(SOURCE), {
    message: /has no row for it any more .* Starting over would read the whole inbox again/s,
    exitCode: 3,
  });
});

t.test('outcomes: queryable by status, text made printable; hmmci history --watch', async (t) => {
  const { work, cache, open } = setup(t);
  const st = sample();
  (st.series['pa.0@example.org v1'] as SeriesEntry).title = 'evil \u001b]0;owned\u0007 title';
  const store = open();
  store.load(SOURCE);
  store.save(st);
  const db = openHistory(historyPath(cache));
  t.teardown(() => db.close());
  const incomplete = watchOutcomes(db, { statuses: ['incomplete'] });
  t.same(
    incomplete.map((o) => [o.key, o.reason, o.source]),
    [['miss.0@example.org v1', 'missing 2/3 31 min after the last part arrived', SOURCE]],
  );
  t.equal(watchOutcomes(db, { statuses: parseStatuses('skipped,incomplete') }).length, 2);
  t.equal(watchOutcomes(db).length, 3);
  const text = renderWatchOutcomes(watchOutcomes(db, { statuses: ['skipped'] }));
  t.notMatch(text, /\u001b/, 'no escape sequence reaches the terminal');
  t.match(text, /skipped\s+v1 <pa\.0@example\.org> evil \\x1b\]0;owned\\x07 title\n\s+touches none of the HMM files/);
  t.throws(() => parseStatuses('done'), { message: /"done" is not a watch status; choose from/, exitCode: 2 });

  const cli = await runCli(['history', '--watch', 'incomplete', '--json'], { cacheDir: join(work, 'cache') });
  t.equal(cli.code, 0, cli.err);
  t.same(
    (JSON.parse(cli.out) as Array<{ key: string; status: string }>).map((o) => [o.key, o.status]),
    [['miss.0@example.org v1', 'incomplete']],
  );
  const bad = await runCli(['history', '--watch', 'nope'], { cacheDir: join(work, 'cache') });
  t.equal(bad.code, 2);
});
