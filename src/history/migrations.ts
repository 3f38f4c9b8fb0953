import type { Database } from 'better-sqlite3';

/**
 * The history schema as an ordered list of migrations. `PRAGMA user_version` holds how many have
 * been applied; each runs once, in its own immediate transaction, so two processes opening a new
 * database at the same time never apply one twice. Never edit a shipped migration: append one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: runs (one `hmmci run` invocation), jobs (one record.json: a series × config variant),
  // environments, results (every attempt: baseline, patched first run, reruns), kernel events,
  // stage timings, builds and the comparison's change rows. Results are clustered by test (a
  // test's history is one range of the table); every child table is indexed by job for the
  // cascade when a job is stored again.
  `
  CREATE TABLE environments (
    id INTEGER PRIMARY KEY,
    kernel TEXT NOT NULL, gcc TEXT NOT NULL, qemu TEXT NOT NULL, accel TEXT NOT NULL, runner TEXT NOT NULL,
    UNIQUE (kernel, gcc, qemu, accel, runner)
  );
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
  );
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id),
    created_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    exit_code INTEGER,
    regressed INTEGER NOT NULL DEFAULT 0,
    summary TEXT NOT NULL DEFAULT '',
    series_input TEXT NOT NULL,
    series_title TEXT NOT NULL,
    author TEXT,
    message_id TEXT,
    patch_count INTEGER NOT NULL,
    patchset_hash TEXT,
    base TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    variant TEXT,
    config_desc TEXT NOT NULL,
    env_id INTEGER REFERENCES environments(id),
    baseline_cached INTEGER NOT NULL DEFAULT 0,
    baseline_from TEXT,
    run_dir TEXT NOT NULL,
    error TEXT
  );
  CREATE INDEX jobs_created ON jobs (created_at);
  CREATE INDEX jobs_base_config ON jobs (base, config_hash);
  CREATE TABLE results (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    side TEXT NOT NULL CHECK (side IN ('baseline', 'patched')),
    attempt INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    test TEXT NOT NULL,
    status TEXT NOT NULL,
    duration_ms INTEGER,
    reason TEXT,
    repeat_pass INTEGER,
    repeat_total INTEGER,
    PRIMARY KEY (test, job_id, side, attempt, seq)
  ) WITHOUT ROWID;
  CREATE INDEX results_job ON results (job_id);
  CREATE TABLE tests (name TEXT PRIMARY KEY) WITHOUT ROWID;
  CREATE TABLE events (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    side TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    kind TEXT NOT NULL,
    test TEXT,
    function TEXT,
    summary TEXT NOT NULL,
    text TEXT NOT NULL,
    decoded TEXT
  );
  CREATE INDEX events_job ON events (job_id);
  CREATE TABLE stages (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    side TEXT NOT NULL,
    ms INTEGER NOT NULL
  );
  CREATE INDEX stages_job ON stages (job_id);
  CREATE TABLE builds (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    side TEXT NOT NULL,
    ok INTEGER NOT NULL,
    ms INTEGER,
    log_path TEXT
  );
  CREATE INDEX builds_job ON builds (job_id);
  CREATE TABLE changes (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    test TEXT NOT NULL,
    baseline TEXT,
    patched TEXT,
    runs TEXT NOT NULL
  );
  CREATE INDEX changes_job_test ON changes (job_id, test);
  `,
  // 2: hmmci watch's durable state, one watcher per state directory: its position (last commit
  // per public-inbox epoch, Maildir names seen), every series version it met with its outcome
  // (the whole entry as JSON beside queryable columns; run_id names the job in `jobs`), and the
  // Message-ID index of series still being assembled.
  `
  CREATE TABLE watchers (
    id INTEGER PRIMARY KEY,
    state_dir TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    scanned INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE watch_epochs (
    watcher_id INTEGER NOT NULL REFERENCES watchers(id) ON DELETE CASCADE,
    epoch TEXT NOT NULL,
    last_commit TEXT NOT NULL,
    PRIMARY KEY (watcher_id, epoch)
  ) WITHOUT ROWID;
  CREATE TABLE watch_maildir_seen (
    watcher_id INTEGER NOT NULL REFERENCES watchers(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (watcher_id, name)
  ) WITHOUT ROWID;
  CREATE TABLE watch_series (
    watcher_id INTEGER NOT NULL REFERENCES watchers(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    root_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    author TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    run_id TEXT,
    exit_code INTEGER,
    summary TEXT,
    superseded_by TEXT,
    first_seen_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (watcher_id, key)
  );
  CREATE INDEX watch_series_status ON watch_series (status, updated_at);
  CREATE INDEX watch_series_run ON watch_series (run_id);
  CREATE TABLE watch_messages (
    watcher_id INTEGER NOT NULL REFERENCES watchers(id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    series_key TEXT NOT NULL,
    PRIMARY KEY (watcher_id, message_id)
  ) WITHOUT ROWID;
  `,
];

/** Apply the migrations this database has not seen yet; returns the schema version. */
export function migrate(db: Database): number {
  const current = () => db.pragma('user_version', { simple: true }) as number;
  if (current() > MIGRATIONS.length) return current();
  for (let v = current(); v < MIGRATIONS.length; v = current()) {
    db.transaction(() => {
      // Re-read inside the (immediate) transaction: another process may have migrated meanwhile.
      if (current() !== v) return;
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return current();
}
