import type { CacheLayout } from '../common/cache.js';
import type { Reporter } from '../common/progress.js';
import type { RunRecord } from '../report/record.js';
import { openCacheHistory, type HistoryDb } from './db.js';
import { knownFlaky } from './queries.js';
import { storeRecord } from './store.js';

/** Label the record's regressions on tests the history knows as flaky on this base and config. */
export function labelKnownFlaky(db: HistoryDb, record: RunRecord): void {
  const regressions = record.comparison?.regressions.map((c) => c.name) ?? [];
  const configHash = record.config.configHash || record.env.configHash;
  if (!regressions.length || !configHash) return;
  const found = knownFlaky(db, { tests: regressions, base: record.series.base, configHash, excludeJob: record.id });
  if (found.length) record.knownFlaky = found;
  else delete record.knownFlaky;
}

/**
 * The one call `hmmci run` makes when a job's record is final: label known-flaky regressions
 * (from earlier runs), then write the job into the history in one transaction. The history is
 * a convenience rebuilt from run directories (`hmmci history import`), so a failure here warns
 * and never fails the run.
 */
export function recordRunInHistory(cache: CacheLayout, record: RunRecord, reporter?: Pick<Reporter, 'warn'>): void {
  let db: HistoryDb | undefined;
  try {
    db = openCacheHistory(cache);
    if (record.status === 'complete') labelKnownFlaky(db, record);
    storeRecord(db, record);
  } catch (err) {
    reporter?.warn(
      `history: run ${record.id} was not recorded (${(err as Error).message.split('\n')[0]}); \`hmmci history import\` adds it from its run directory later`,
    );
  } finally {
    db?.close();
  }
}
