/**
 * What `hmmci watch` decided about each series version, read from the history database
 * (`hmmci history --watch [status]`): tested with its run, skipped or incomplete with the
 * reason, superseded by which version. Text from mail is made printable before it is shown.
 */
import { UsageError } from '../common/errors.js';
import type { HistoryDb } from '../history/index.js';
import { printable } from '../history/printable.js';
import type { SeriesStatus } from './types.js';

export const STATUSES: readonly SeriesStatus[] = [
  'collecting',
  'queued',
  'running',
  'tested',
  'answered',
  'skipped',
  'incomplete',
  'superseded',
];

export interface WatchOutcome {
  source: string;
  stateDir: string;
  key: string;
  messageId: string;
  version: number;
  title: string;
  author: string;
  status: SeriesStatus;
  reason: string | null;
  runId: string | null;
  exitCode: number | null;
  summary: string | null;
  supersededBy: string | null;
  firstSeenAt: string;
  updatedAt: string;
}

/** `incomplete`, `skipped,incomplete` → statuses; anything else is a usage error naming the choices. */
export function parseStatuses(spec: string | true | undefined): SeriesStatus[] {
  if (spec === undefined || spec === true) return [];
  const list = spec
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const bad = list.filter((x) => !STATUSES.includes(x as SeriesStatus));
  if (bad.length)
    throw new UsageError(
      `--watch ${JSON.stringify(spec)}: ${bad.map((b) => JSON.stringify(b)).join(', ')} is not a watch status; choose from ${STATUSES.join(', ')} (comma-separated), or give --watch alone for all.`,
    );
  return list as SeriesStatus[];
}

/** Series versions the watchers met, most recently changed first. */
export function watchOutcomes(db: HistoryDb, f: { statuses?: readonly string[]; limit?: number } = {}): WatchOutcome[] {
  const where = f.statuses?.length ? `WHERE s.status IN (${f.statuses.map(() => '?').join(', ')})` : '';
  return db
    .prepare(
      `SELECT w.source, w.state_dir AS stateDir, s.key, s.root_id AS messageId, s.version, s.title, s.author, s.status,
              s.reason, s.run_id AS runId, s.exit_code AS exitCode, s.summary, s.superseded_by AS supersededBy,
              s.first_seen_at AS firstSeenAt, s.updated_at AS updatedAt
       FROM watch_series s JOIN watchers w ON w.id = s.watcher_id ${where}
       ORDER BY s.updated_at DESC, s.key LIMIT ?`,
    )
    .all(...(f.statuses ?? []), f.limit && f.limit > 0 ? f.limit : -1) as WatchOutcome[];
}

/** One line per series version: status, version, Message-ID, title, then the reason or the run. */
export function renderWatchOutcomes(list: readonly WatchOutcome[]): string {
  if (!list.length) return 'No series recorded by hmmci watch (with that status) in the history database.';
  const w = Math.max(...list.map((o) => o.status.length));
  return list
    .map((o) => {
      const what =
        o.runId !== null
          ? `run ${o.runId}, exit ${o.exitCode ?? '?'}${o.summary ? `: ${o.summary}` : ''}`
          : (o.reason ?? '');
      return `${o.updatedAt.slice(0, 16).replace('T', ' ')}  ${o.status.padEnd(w)}  v${o.version} <${printable(o.messageId)}> ${printable(o.title)}\n    ${printable(what)}`;
    })
    .join('\n');
}
