import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { loadSeries } from '../series/load.js';
import type { Trailer } from '../series/types.js';
import type { RunRecord } from '../report/record.js';

/** A log as embedded in a page: whole when small, else its head and tail around a marked gap. */
export interface LogExcerpt {
  id: string;
  label: string;
  path: string;
  text: string;
  bytes: number;
  /** Bytes left out of the middle (0: the whole log is there). */
  omitted: number;
}

export interface PatchInfo {
  index: number;
  subject: string;
  author: string;
  messageId: string;
  trailers: Trailer[];
}

/** Everything a run page shows beyond the record itself. */
export interface RunPageData {
  record: RunRecord;
  patches: PatchInfo[];
  configText: string | null;
  logs: LogExcerpt[];
}

/** Default budget per log: the first 512 KiB and the last 3.5 MiB (where a run ends or crashes). */
export const LOG_HEAD = 512 * 1024;
export const LOG_TAIL = 3.5 * 1024 * 1024;

function readRange(fd: number, start: number, length: number): string {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, start);
  return buf.subarray(0, n).toString('utf8');
}

/** Read a log for a page without loading all of a 50 MB console into memory. */
export function readLogExcerpt(
  id: string,
  label: string,
  path: string,
  opts: { head?: number; tail?: number } = {},
): LogExcerpt | null {
  if (!existsSync(path)) return null;
  const head = opts.head ?? LOG_HEAD;
  const tail = opts.tail ?? LOG_TAIL;
  const fd = openSync(path, 'r');
  try {
    const bytes = fstatSync(fd).size;
    if (bytes <= head + tail) return { id, label, path, text: readRange(fd, 0, bytes), bytes, omitted: 0 };
    const first = readRange(fd, 0, head);
    const last = readRange(fd, bytes - tail, tail);
    // Cut at line ends so no line is shown in halves.
    const a = first.slice(0, first.lastIndexOf('\n') + 1);
    const b = last.slice(last.indexOf('\n') + 1);
    const omitted = bytes - Buffer.byteLength(a) - Buffer.byteLength(b);
    return {
      id,
      label,
      path,
      text: `${a}[… ${omitted} bytes of this log left out of the page; the whole log is ${path} …]\n${b}`,
      bytes,
      omitted,
    };
  } finally {
    closeSync(fd);
  }
}

function logsOf(r: RunRecord, opts: { head?: number; tail?: number }): LogExcerpt[] {
  const a = r.artifacts;
  const list: Array<[string, string, string | undefined]> = [
    ['log-patched-console', 'patched console', a.patchedConsoles[0]],
    ...a.patchedConsoles
      .slice(1)
      .map((p, i): [string, string, string] => [`log-rerun${i + 1}-console`, `rerun ${i + 1} console`, p]),
    ['log-baseline-console', 'baseline console', a.baselineConsole],
    ['log-patched-build', 'patched build log', a.patchedBuildLog],
    ['log-baseline-build', 'baseline build log', a.baselineBuildLog],
  ];
  return list.flatMap(([id, label, p]) =>
    p ? [readLogExcerpt(id, label, p, opts)].filter((x): x is LogExcerpt => x !== null) : [],
  );
}

/** The series' patches with their trailers, from the mbox kept in the run directory. */
async function patchesOf(r: RunRecord): Promise<PatchInfo[]> {
  const file = r.artifacts.series;
  if (!file || !existsSync(file)) return [];
  try {
    const s = await loadSeries(file);
    return s.patches.map((p) => ({
      index: p.index,
      subject: p.rawSubject || p.subject,
      author: p.author,
      messageId: p.messageId,
      trailers: p.trailers,
    }));
  } catch {
    return [];
  }
}

export async function loadRunPageData(
  record: RunRecord,
  opts: { head?: number; tail?: number } = {},
): Promise<RunPageData> {
  const cfg = record.artifacts.config;
  return {
    record,
    patches: await patchesOf(record),
    configText: cfg && existsSync(cfg) ? readFileSync(cfg, 'utf8') : null,
    logs: logsOf(record, opts),
  };
}
