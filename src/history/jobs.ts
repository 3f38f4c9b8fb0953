import type { HistoryDb } from './db.js';

export interface JobListing {
  id: string;
  run_id: string;
  created_at: string;
  finished_at: string | null;
  status: string;
  exit_code: number | null;
  regressed: number;
  summary: string;
  series_title: string;
  author: string | null;
  message_id: string | null;
  base: string;
  config_desc: string;
  config_hash: string;
  run_dir: string;
}

export interface JobFilter {
  /** running | complete | interrupted | failed, or `regressed`. */
  status?: string;
  /** Substring of the series title, input, author or Message-ID. */
  series?: string;
  /** Prefix of the base commit. */
  base?: string;
  limit?: number;
  offset?: number;
}

/** Jobs newest first, filtered (the run list of `hmmci serve`). */
export function listJobs(db: HistoryDb, f: JobFilter = {}): { jobs: JobListing[]; total: number } {
  const where: string[] = [];
  const args: Record<string, string | number> = {};
  if (f.status === 'regressed') where.push('regressed = 1');
  else if (f.status) {
    where.push('status = @status');
    args.status = f.status;
  }
  if (f.series) {
    where.push(`(instr(lower(series_title), lower(@series)) OR instr(lower(series_input), lower(@series))
      OR instr(lower(coalesce(author, '')), lower(@series)) OR instr(lower(coalesce(message_id, '')), lower(@series)))`);
    args.series = f.series;
  }
  if (f.base) {
    where.push('base LIKE @base');
    args.base = `${f.base.replace(/[%_\\]/g, '')}%`;
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = db.prepare(`SELECT count(*) FROM jobs ${w}`).pluck().get(args) as number;
  const jobs = db
    .prepare(
      `SELECT id, run_id, created_at, finished_at, status, exit_code, regressed, summary, series_title, author, message_id,
      base, config_desc, config_hash, run_dir FROM jobs ${w} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`,
    )
    .all({ ...args, limit: f.limit ?? 100, offset: f.offset ?? 0 }) as JobListing[];
  return { jobs, total };
}

export function jobById(db: HistoryDb, id: string): JobListing | undefined {
  return db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobListing | undefined;
}
