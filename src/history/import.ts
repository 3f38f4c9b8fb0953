import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cacheEntries, type CacheLayout } from '../common/cache.js';
import type { RunRecord } from '../report/record.js';
import { RECORD_FILE, readRecord } from '../run/run-dir.js';
import type { HistoryDb } from './db.js';
import { storeRecords } from './store.js';

export interface ImportResult {
  imported: number;
  /** Run directories still running (left for their run to write when it finishes). */
  running: number;
  /** Directories whose record.json could not be read, with why. */
  unreadable: Array<{ dir: string; reason: string }>;
}

/** Run directories under `<cache>/runs` (or the ones given), oldest first. */
export function runDirsOf(cache: CacheLayout, dirs?: readonly string[]): string[] {
  if (dirs?.length) return dirs.map((d) => resolve(d));
  return cacheEntries(cache.runs)
    .filter((id) => !id.startsWith('.'))
    .map((id) => join(cache.runs, id))
    .filter((d) => statSync(d).isDirectory() && existsSync(join(d, RECORD_FILE)))
    .sort();
}

/**
 * `hmmci history import`: (re)build the history from run directories, so nothing is lost when
 * the database is deleted. Records are stored in batches of transactions; a job already in the
 * database is replaced by what its directory says now.
 */
export function importRuns(
  db: HistoryDb,
  dirs: readonly string[],
  opts: { batch?: number; onProgress?: (done: number, total: number) => void } = {},
): ImportResult {
  const res: ImportResult = { imported: 0, running: 0, unreadable: [] };
  const batch: RunRecord[] = [];
  const flush = () => {
    storeRecords(db, batch);
    res.imported += batch.length;
    batch.length = 0;
    opts.onProgress?.(res.imported, dirs.length);
  };
  for (const dir of dirs) {
    let r: RunRecord;
    try {
      r = readRecord(dir);
      if (typeof r.id !== 'string' || !r.series || !r.config || !r.env || !Array.isArray(r.stages))
        throw new Error(`not a run record (schema ${String((r as { schema?: unknown }).schema)})`);
    } catch (err) {
      res.unreadable.push({ dir, reason: (err as Error).message.split('\n')[0] ?? '' });
      continue;
    }
    if (r.status === 'running') {
      res.running++;
      continue;
    }
    batch.push(r);
    if (batch.length >= (opts.batch ?? 200)) flush();
  }
  if (batch.length) flush();
  return res;
}
