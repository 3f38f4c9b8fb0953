import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { cacheEntries, type CacheLayout } from '../common/cache.js';
import { BadInputError } from '../common/errors.js';
import { writeJsonAtomic } from '../common/json-file.js';
import type { RunRecord } from '../report/record.js';

/** Name of the marker file a run directory gets when the run was stopped by a signal. */
export const INTERRUPTED_MARKER = 'interrupted';
export const RECORD_FILE = 'record.json';

/** A short, file-name-safe slug of a series input (`fixtures/series/one-patch.mbox` → `one-patch`). */
export function slugOf(input: string): string {
  const base = basename(input.replace(/\/+$/, '')).replace(/\.(mbox|patch|eml|mbx)$/i, '');
  const slug = base
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return slug || 'series';
}

/** Run id: UTC time (sortable), the series slug, and a random suffix so parallel runs never collide. */
export function newRunId(input: string, now: Date = new Date(), suffix = randomBytes(2).toString('hex')): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${t}-${slugOf(input)}-${suffix}`;
}

export interface RunDir {
  id: string;
  dir: string;
  /** Path of an artifact inside the run directory. */
  path(name: string): string;
}

export function createRunDir(cache: CacheLayout, input: string, now?: Date): RunDir {
  mkdirSync(cache.runs, { recursive: true });
  for (;;) {
    const id = newRunId(input, now);
    const dir = join(cache.runs, id);
    try {
      mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    return { id, dir, path: (name) => join(dir, name) };
  }
}

/** Write record.json atomically (temp file + rename), so a reader never sees half a record. */
export function writeRecord(dir: string, record: RunRecord): void {
  writeJsonAtomic(join(dir, RECORD_FILE), record);
}

/** Mark a run directory interrupted (marker file + record status), without throwing. */
export function markInterrupted(dir: string, signal: string): void {
  try {
    writeFileSync(join(dir, INTERRUPTED_MARKER), `interrupted by ${signal} at ${new Date().toISOString()}\n`);
    const file = join(dir, RECORD_FILE);
    if (existsSync(file)) {
      const r = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
      if (r.status === 'running') {
        r.status = 'interrupted';
        r.finishedAt = new Date().toISOString();
        r.exitCode = 130;
        writeRecord(dir, r);
      }
    }
  } catch {
    /* best effort while the process is going down */
  }
}

/** Read a run directory's record; a run dir with an `interrupted` marker reads as interrupted. */
export function readRecord(dir: string): RunRecord {
  const r = JSON.parse(readFileSync(join(dir, RECORD_FILE), 'utf8')) as RunRecord;
  if (existsSync(join(dir, INTERRUPTED_MARKER)) && r.status === 'running') r.status = 'interrupted';
  return r;
}

export interface RunListing {
  id: string;
  dir: string;
  createdAt: string;
  status: RunRecord['status'] | 'unreadable';
  exitCode?: number;
  title: string;
  summary: string;
}

/** Past runs, newest first. Unreadable directories are listed as such, never fatal. */
export function listRuns(cache: CacheLayout): RunListing[] {
  const out: RunListing[] = [];
  for (const id of cacheEntries(cache.runs)) {
    const dir = join(cache.runs, id);
    // Only run directories (other commands may keep their own folders under runs/).
    if (id.startsWith('.') || !statSync(dir).isDirectory() || !existsSync(join(dir, RECORD_FILE))) continue;
    try {
      const r = readRecord(dir);
      out.push({
        id,
        dir,
        createdAt: r.createdAt,
        status: r.status,
        exitCode: r.exitCode,
        title: r.series.title,
        summary:
          r.status === 'interrupted'
            ? 'interrupted'
            : r.error
              ? (r.error.message.split('\n')[0] ?? '')
              : (r.comparison?.summary ?? r.status),
      });
    } catch {
      out.push({ id, dir, createdAt: '', status: 'unreadable', title: '', summary: `no readable ${RECORD_FILE}` });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/**
 * Find a run from what the user typed: a run id, a unique prefix of one, `last`/`latest`, or a
 * path to a run directory. Anything else is bad input naming `hmmci runs`.
 */
export function resolveRunRef(cache: CacheLayout, ref: string): string {
  if (ref.includes('/') && existsSync(join(resolve(ref), RECORD_FILE))) return resolve(ref);
  const runs = listRuns(cache).filter((r) => r.status !== 'unreadable');
  if (ref === 'last' || ref === 'latest') {
    const first = runs[0];
    if (!first)
      throw new BadInputError(`There are no runs in ${cache.runs} yet. Start one with \`hmmci run <series>\`.`);
    return first.dir;
  }
  const exact = runs.find((r) => r.id === ref);
  if (exact) return exact.dir;
  const matches = runs.filter((r) => r.id.startsWith(ref) || r.id.includes(ref));
  if (matches.length === 1) return (matches[0] as RunListing).dir;
  if (matches.length > 1) {
    throw new BadInputError(
      `"${ref}" matches ${matches.length} runs (${matches
        .slice(0, 4)
        .map((m) => m.id)
        .join(', ')}${matches.length > 4 ? ', …' : ''}). Give more of the run id; \`hmmci runs\` lists them.`,
    );
  }
  throw new BadInputError(
    `No run "${ref}" in ${cache.runs}. \`hmmci runs\` lists the runs kept there; give an id, a unique part of one, "last", or a run directory.`,
  );
}
