/**
 * The watcher's durable state in the history database (`<cache>/history.sqlite`, tables
 * `watchers`, `watch_epochs`, `watch_maildir_seen`, `watch_series`, `watch_messages`; migration 2).
 * One watcher per state directory (its mails live there). Every save is one immediate transaction
 * writing only what changed since the last one; a save that records a series' result also writes
 * the run's job rows in that transaction, so the history never has the series tested without its
 * result, nor the position past a result it lacks. The connection runs `synchronous = FULL`: a
 * commit is on disk when save returns, like the fsynced state file it replaces.
 *
 * A state file (`<state>/state.json`) left by an older hmmci is imported once (then renamed
 * `state.json.migrated`). A marker file `<state>/history-position` says the position lives in the
 * database: a state directory with the marker but no row (the database was deleted or moved) is
 * refused, since starting over would test every series of the inbox again.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CacheLayout } from '../common/cache.js';
import { BadInputError } from '../common/errors.js';
import { historyPath, openHistory, storeRecord, type HistoryDb } from '../history/index.js';
import type { RunRecord } from '../report/record.js';
import { StateFileStore, type PositionStore, type SaveExtra } from './position-store.js';
import { emptyState, type SeriesEntry, type WatchState } from './types.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** What was last written, to write only the difference next time. */
interface Saved {
  scanned: number;
  epochs: Map<string, string>;
  maildir: Set<string>;
  series: Map<string, string>;
  messages: Map<string, string>;
}

const noneSaved = (): Saved => ({
  scanned: 0,
  epochs: new Map(),
  maildir: new Set(),
  series: new Map(),
  messages: new Map(),
});

function snapshot(state: WatchState): Saved {
  return {
    scanned: state.scanned,
    epochs: new Map(Object.entries(state.position.epochs ?? {})),
    maildir: new Set(state.position.maildir ?? []),
    series: new Map(Object.values(state.series).map((s) => [s.key, JSON.stringify(s)])),
    messages: new Map(Object.entries(state.messages)),
  };
}

function seriesRow(watcherId: number, s: SeriesEntry, entry: string, now: number) {
  return {
    watcher_id: watcherId,
    key: s.key,
    root_id: s.rootId,
    version: s.version,
    title: s.title,
    author: s.author,
    status: s.status,
    reason: s.reason ?? null,
    run_id: s.runId ?? null,
    exit_code: s.exitCode ?? null,
    summary: s.summary ?? null,
    superseded_by: s.supersededBy ?? null,
    first_seen_at: iso(s.firstSeenAt),
    updated_at: iso(now),
    entry,
  };
}

function statements(db: HistoryDb) {
  return {
    watcher: db.prepare('SELECT id, source, scanned FROM watchers WHERE state_dir = ?'),
    addWatcher: db.prepare(
      'INSERT INTO watchers (state_dir, source, scanned, created_at, updated_at) VALUES (?, ?, 0, ?, ?) RETURNING id',
    ),
    touch: db.prepare('UPDATE watchers SET scanned = ?, updated_at = ? WHERE id = ?'),
    epochs: db.prepare('SELECT epoch, last_commit FROM watch_epochs WHERE watcher_id = ?'),
    epoch: db.prepare(
      'INSERT INTO watch_epochs (watcher_id, epoch, last_commit) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET last_commit = excluded.last_commit',
    ),
    maildir: db.prepare('SELECT name FROM watch_maildir_seen WHERE watcher_id = ?'),
    seen: db.prepare('INSERT OR IGNORE INTO watch_maildir_seen (watcher_id, name) VALUES (?, ?)'),
    series: db.prepare('SELECT entry FROM watch_series WHERE watcher_id = ?'),
    putSeries: db.prepare(
      `INSERT INTO watch_series (watcher_id, key, root_id, version, title, author, status, reason, run_id, exit_code, summary, superseded_by, first_seen_at, updated_at, entry)
       VALUES (@watcher_id, @key, @root_id, @version, @title, @author, @status, @reason, @run_id, @exit_code, @summary, @superseded_by, @first_seen_at, @updated_at, @entry)
       ON CONFLICT (watcher_id, key) DO UPDATE SET status = excluded.status, reason = excluded.reason, run_id = excluded.run_id,
         exit_code = excluded.exit_code, summary = excluded.summary, superseded_by = excluded.superseded_by,
         title = excluded.title, author = excluded.author, updated_at = excluded.updated_at, entry = excluded.entry`,
    ),
    dropSeries: db.prepare('DELETE FROM watch_series WHERE watcher_id = ? AND key = ?'),
    messages: db.prepare('SELECT message_id, series_key FROM watch_messages WHERE watcher_id = ?'),
    putMessage: db.prepare(
      'INSERT INTO watch_messages (watcher_id, message_id, series_key) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET series_key = excluded.series_key',
    ),
    dropMessage: db.prepare('DELETE FROM watch_messages WHERE watcher_id = ? AND message_id = ?'),
  };
}

export class HistoryPositionStore implements PositionStore {
  readonly location: string;
  private readonly q: ReturnType<typeof statements>;
  private watcherId?: number;
  private saved: Saved = noneSaved();
  private readonly marker: string;

  constructor(
    readonly db: HistoryDb,
    readonly dbPath: string,
    readonly stateDir: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.q = statements(db);
    this.location = `${dbPath} (watcher of ${stateDir})`;
    this.marker = join(stateDir, 'history-position');
  }

  load(source: string): WatchState {
    const row = this.q.watcher.get(this.stateDir) as { id: number; source: string; scanned: number } | undefined;
    if (!row) return this.start(source);
    if (row.source !== source)
      throw new BadInputError(
        `The watch state ${this.stateDir} (in ${this.dbPath}) belongs to ${JSON.stringify(row.source)}, not ${JSON.stringify(source)}. Give each inbox its own --state DIR.`,
      );
    this.watcherId = row.id;
    const state = emptyState(source);
    state.scanned = row.scanned;
    const epochs = this.q.epochs.all(row.id) as Array<{ epoch: string; last_commit: string }>;
    if (epochs.length) state.position.epochs = Object.fromEntries(epochs.map((e) => [e.epoch, e.last_commit]));
    const seen = this.q.maildir.pluck().all(row.id) as string[];
    if (seen.length) state.position.maildir = seen;
    for (const entry of this.q.series.pluck().all(row.id) as string[]) {
      const s = JSON.parse(entry) as SeriesEntry;
      state.series[s.key] = s;
    }
    for (const m of this.q.messages.all(row.id) as Array<{ message_id: string; series_key: string }>)
      state.messages[m.message_id] = m.series_key;
    this.saved = snapshot(state);
    return state;
  }

  /** No row for this state directory: a new watcher, one migrated from its state file, or a lost database. */
  private start(source: string): WatchState {
    const file = new StateFileStore(this.stateDir);
    const legacy = existsSync(file.location);
    if (!legacy && existsSync(this.marker))
      throw new BadInputError(
        `The watch state ${this.stateDir} keeps its position in the history database ${this.dbPath}, which has no row for it any more (was the database deleted or replaced?). Starting over would read the whole inbox again and test every series again: restore the database, or move ${this.stateDir} away to start over on purpose.`,
      );
    const state = legacy ? file.load(source) : emptyState(source);
    const now = this.clock();
    this.saved = this.db
      .transaction(() => {
        this.watcherId = (this.q.addWatcher.get(this.stateDir, source, iso(now), iso(now)) as { id: number }).id;
        return this.write(state, now);
      })
      .immediate();
    mkdirSync(this.stateDir, { recursive: true });
    writeFileSync(this.marker, `position in ${this.dbPath} (table watchers, state_dir ${this.stateDir})\n`);
    if (legacy) renameSync(file.location, `${file.location}.migrated`);
    return state;
  }

  save(state: WatchState, extra: SaveExtra = {}): void {
    if (this.watcherId === undefined) throw new Error('HistoryPositionStore: save before load');
    const now = this.clock();
    let stored = true;
    this.saved = this.db
      .transaction(() => {
        if (extra.record) stored = this.storeRun(extra.record);
        return this.write(state, now);
      })
      .immediate();
    if (!stored) extra.onRecordError?.(extra.record as RunRecord);
  }

  /** The run's job rows (idempotent: the pipeline wrote them already; here they join the series' result). */
  private storeRun(record: RunRecord): boolean {
    try {
      storeRecord(this.db, record); // nested: a savepoint inside the save's transaction
      return true;
    } catch {
      return false; // rolled back to the savepoint: the series' result is still recorded
    }
  }

  /** Write what differs from the last save (inside the caller's transaction); returns the new snapshot. */
  private write(state: WatchState, now: number): Saved {
    const id = this.watcherId as number;
    const was = this.saved;
    const next = snapshot(state);
    if (next.scanned !== was.scanned) this.q.touch.run(next.scanned, iso(now), id);
    for (const [epoch, commit] of next.epochs)
      if (was.epochs.get(epoch) !== commit) this.q.epoch.run(id, epoch, commit);
    for (const name of next.maildir) if (!was.maildir.has(name)) this.q.seen.run(id, name);
    for (const [key, entry] of next.series)
      if (was.series.get(key) !== entry)
        this.q.putSeries.run(seriesRow(id, state.series[key] as SeriesEntry, entry, now));
    for (const key of was.series.keys()) if (!next.series.has(key)) this.q.dropSeries.run(id, key);
    for (const [msgid, key] of next.messages)
      if (was.messages.get(msgid) !== key) this.q.putMessage.run(id, msgid, key);
    for (const msgid of was.messages.keys()) if (!next.messages.has(msgid)) this.q.dropMessage.run(id, msgid);
    return next;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The watcher's store in the cache's history database, committed durably (synchronous = FULL). */
export function openHistoryPositionStore(cache: CacheLayout, stateDir: string): HistoryPositionStore {
  const file = historyPath(cache);
  const db = openHistory(file);
  db.pragma('synchronous = FULL');
  return new HistoryPositionStore(db, file, stateDir);
}
