import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { CacheLayout } from '../common/cache.js';
import { HmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { MIGRATIONS, migrate } from './migrations.js';

export type HistoryDb = Database.Database;

/** Where the history database lives: `<cache>/history.sqlite`. */
export function historyPath(cache: CacheLayout): string {
  return join(cache.root, 'history.sqlite');
}

export interface OpenOptions {
  /** Open read-only (hmmci serve, report): never creates or migrates. */
  readonly?: boolean;
  /** How long a writer waits for another writer's lock (default 15 s). */
  busyTimeoutMs?: number;
}

/**
 * Open (and create or migrate) the history database. WAL mode lets readers go on while a run
 * writes; the busy timeout makes concurrent writers (two runs, a watcher, fleet workers) wait
 * for each other instead of failing with SQLITE_BUSY.
 */
export function openHistory(file: string, opts: OpenOptions = {}): HistoryDb {
  let db: HistoryDb;
  try {
    if (!opts.readonly) mkdirSync(dirname(file), { recursive: true });
    db = new Database(file, {
      readonly: Boolean(opts.readonly),
      fileMustExist: Boolean(opts.readonly),
      timeout: opts.busyTimeoutMs ?? 15_000,
    });
  } catch (err) {
    throw new HmmciError(
      `Cannot open the history database ${file}: ${(err as Error).message}. ${opts.readonly ? 'Run `hmmci history import` to build it from the run directories.' : 'Check that its folder is writable.'}`,
      { exitCode: opts.readonly ? ExitCode.BAD_INPUT : ExitCode.INFRA, cause: err },
    );
  }
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 15_000}`);
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    db.close();
    throw new HmmciError(
      `The history database ${file} has schema version ${version}, newer than this hmmci knows (${MIGRATIONS.length}). Use the newer hmmci that wrote it, or move the file away and run \`hmmci history import\` to rebuild it from the run directories.`,
      { exitCode: ExitCode.BAD_INPUT },
    );
  }
  if (opts.readonly && version < MIGRATIONS.length) {
    db.close();
    throw new HmmciError(
      `The history database ${file} has schema version ${version}; this hmmci needs ${MIGRATIONS.length}. Run \`hmmci history import\` once (it migrates the database), then try again.`,
      { exitCode: ExitCode.BAD_INPUT },
    );
  }
  return db;
}

export function openCacheHistory(cache: CacheLayout, opts: OpenOptions = {}): HistoryDb {
  return openHistory(historyPath(cache), opts);
}
