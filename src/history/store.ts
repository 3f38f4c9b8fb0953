import type { RunRecord } from '../report/record.js';
import type { HistoryDb } from './db.js';
import { recordRows, type RecordRows } from './rows.js';

const insertSql = (table: string, cols: readonly string[]) =>
  `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`;

const JOB_COLS = [
  'id',
  'run_id',
  'created_at',
  'finished_at',
  'status',
  'exit_code',
  'regressed',
  'summary',
  'series_input',
  'series_title',
  'author',
  'message_id',
  'patch_count',
  'patchset_hash',
  'base',
  'config_hash',
  'variant',
  'config_desc',
  'env_id',
  'baseline_cached',
  'baseline_from',
  'run_dir',
  'error',
] as const;

/** Prepared statements, made once per connection. */
function statements(db: HistoryDb) {
  return {
    env: db.prepare(
      'INSERT INTO environments (kernel, gcc, qemu, accel, runner) VALUES (@kernel, @gcc, @qemu, @accel, @runner) ON CONFLICT DO UPDATE SET kernel = kernel RETURNING id',
    ),
    run: db.prepare(
      'INSERT INTO runs (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET created_at = min(created_at, excluded.created_at)',
    ),
    dropJob: db.prepare('DELETE FROM jobs WHERE id = ?'),
    test: db.prepare('INSERT OR IGNORE INTO tests (name) VALUES (?)'),
    job: db.prepare(insertSql('jobs', JOB_COLS)),
    result: db.prepare(
      insertSql('results', [
        'job_id',
        'side',
        'attempt',
        'seq',
        'test',
        'status',
        'duration_ms',
        'reason',
        'repeat_pass',
        'repeat_total',
      ]),
    ),
    event: db.prepare(
      insertSql('events', ['job_id', 'side', 'attempt', 'kind', 'test', 'function', 'summary', 'text', 'decoded']),
    ),
    stage: db.prepare(insertSql('stages', ['job_id', 'seq', 'name', 'side', 'ms'])),
    build: db.prepare(insertSql('builds', ['job_id', 'side', 'ok', 'ms', 'log_path'])),
    change: db.prepare(insertSql('changes', ['job_id', 'label', 'test', 'baseline', 'patched', 'runs'])),
  };
}
type Statements = ReturnType<typeof statements>;
const cache = new WeakMap<HistoryDb, Statements>();
const stmts = (db: HistoryDb): Statements => {
  let s = cache.get(db);
  if (!s) cache.set(db, (s = statements(db)));
  return s;
};

function writeRows(s: Statements, rows: RecordRows): void {
  const envId = (s.env.get(rows.env) as { id: number }).id;
  s.run.run(rows.job.run_id, rows.job.created_at);
  s.dropJob.run(rows.job.id);
  s.job.run({ ...rows.job, env_id: envId });
  const job_id = rows.job.id;
  for (const r of rows.results) s.result.run({ job_id, ...r });
  for (const name of new Set(rows.results.map((r) => r.test))) s.test.run(name);
  for (const e of rows.events) s.event.run({ job_id, ...e });
  for (const st of rows.stages) s.stage.run({ job_id, ...st });
  for (const b of rows.builds) s.build.run({ job_id, ...b });
  for (const c of rows.changes) s.change.run({ job_id, ...c });
}

/**
 * Write one finished run record (a job) in one immediate transaction: a job written again (an
 * import over a live database) replaces its earlier rows, so storing is idempotent.
 */
export function storeRecord(db: HistoryDb, record: RunRecord): void {
  const rows = recordRows(record);
  const s = stmts(db);
  db.transaction(() => writeRows(s, rows)).immediate();
}

/** Many records in one transaction (import): much faster than one transaction each. */
export function storeRecords(db: HistoryDb, records: readonly RunRecord[]): void {
  const s = stmts(db);
  const all = records.map(recordRows);
  db.transaction(() => {
    for (const rows of all) writeRows(s, rows);
  }).immediate();
}
