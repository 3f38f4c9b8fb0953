/**
 * Series assembly as b4 does it, one mail at a time: patches and covers grouped by thread
 * (In-Reply-To/References) and version, complete when every N/M part is there; replies add their
 * follow-up trailers to the series they answer. Then `decide`: complete series are selected
 * (HMM or skipped), series whose parts stop arriving for `settle` are incomplete, and a newer
 * version supersedes an older one. Pure over WatchState (the watcher stores mails and saves).
 */
import { createHash } from 'node:crypto';
import type { WatchMail } from './mail-meta.js';
import { FINISHED, type SeriesEntry, type WatchState } from './types.js';

export interface Limits {
  /** A series announcing more parts than this is a patch bomb: recorded as skipped, never stored. */
  maxParts: number;
  /** Follow-up trailers kept per series. */
  maxTrailers: number;
}

export const DEFAULT_LIMITS: Limits = { maxParts: 100, maxTrailers: 50 };

export type IngestResult =
  | { action: 'part'; key: string; index: number; created: boolean }
  | { action: 'trailers'; key: string; count: number }
  | { action: 'skipped-series'; key: string; reason: string }
  | { action: 'ignored'; reason: string; key?: string };

/** The sender's address without sub-addressing (`dana+v2@` is `dana@`). */
const addr = (from: string) =>
  (/<([^<>]+)>/.exec(from)?.[1] ?? from)
    .trim()
    .toLowerCase()
    .replace(/\+[^@]*@/, '@');
export const identityOf = (from: string, title: string) =>
  `${addr(from)}\0${title.toLowerCase().replace(/\s+/g, ' ').trim()}`;

/** The series a patch or cover belongs to: an open series of the same version it replies to, else its thread root. */
export function seriesKeyFor(state: WatchState, mail: WatchMail): string {
  if (mail.kind === 'cover') return `${mail.messageId} v${mail.version}`;
  for (const ref of [...mail.references].reverse()) {
    const k = state.messages[ref];
    const s = k ? state.series[k] : undefined;
    if (s && s.version === mail.version && s.total === mail.total) return s.key;
  }
  const root =
    (mail.index ?? 1) <= 1 || mail.references.length === 0
      ? mail.messageId
      : (mail.inReplyTo ?? (mail.references.at(-1) as string));
  return `${root} v${mail.version}`;
}

function newEntry(key: string, mail: WatchMail, now: number): SeriesEntry {
  return {
    key,
    rootId: key.replace(/ v\d+$/, ''),
    version: mail.version,
    total: mail.total ?? 1,
    title: mail.title,
    author: mail.from,
    identity: identityOf(mail.from, mail.title),
    rfc: mail.rfc,
    resend: mail.resend,
    parts: {},
    firstSeenAt: now,
    lastPartAt: now,
    status: 'collecting',
    attempts: 0,
    trailers: [],
  };
}

/** Add one mail to the state. `store` keeps the raw mail and returns its file (only for parts kept). */
export function ingest(
  state: WatchState,
  mail: WatchMail,
  now: number,
  limits: Limits,
  store: () => string,
): IngestResult {
  if (mail.problem) return { action: 'ignored', reason: mail.problem };
  if (mail.kind === 'reply') return addTrailers(state, mail, limits);
  if (mail.kind === 'other')
    return {
      action: 'ignored',
      reason: /\bPATCH\b/i.test(mail.subject)
        ? 'a [PATCH] mail without a readable diff (HTML-only, or the diff is missing)'
        : 'not a patch (no [PATCH n/m] subject with a diff)',
    };
  const total = mail.total ?? 1;
  const index = mail.index ?? 1;
  const key = seriesKeyFor(state, mail);
  let s = state.series[key];
  if (total > limits.maxParts) {
    if (s) return { action: 'ignored', key, reason: `part of ${key}, already ${s.status}` };
    state.series[key] = {
      ...newEntry(key, mail, now),
      status: 'skipped',
      reason: `patch bomb: ${total} parts announced, more than the limit of ${limits.maxParts} (--max-parts)`,
    };
    return { action: 'skipped-series', key, reason: state.series[key]?.reason as string };
  }
  if (total === 0 && mail.kind === 'cover') return { action: 'ignored', reason: 'a 0/0 cover letter' };
  if (index > total) return { action: 'ignored', reason: `part ${index}/${total} numbers past its own total` };
  const created = !s;
  if (!s) s = state.series[key] = newEntry(key, mail, now);
  if (s.status !== 'collecting')
    return {
      action: 'ignored',
      key,
      reason: `arrived after the series was ${s.status}${s.reason ? ` (${s.reason})` : ''}`,
    };
  if (s.total !== total && index > 0)
    return { action: 'ignored', key, reason: `numbered ${index}/${total} but the series has ${s.total} parts` };
  const ref = { messageId: mail.messageId, file: store(), subject: mail.subject, files: mail.files };
  const target = {
    messageId: mail.messageId,
    references: mail.references,
    subject: mail.subject,
    from: mail.from,
    to: mail.to,
    cc: mail.cc,
  };
  if (index === 0) {
    s.cover = ref;
    s.total = total;
    s.title = mail.title;
    s.author = mail.from;
    s.identity = identityOf(mail.from, mail.title);
    s.replyTo = target;
  } else {
    s.parts[String(index)] = ref;
    if (index === 1 && !s.cover) {
      s.title = mail.title;
      s.author = mail.from;
      s.identity = identityOf(mail.from, mail.title);
      s.replyTo = target;
    }
  }
  s.lastPartAt = now;
  state.messages[mail.messageId] = key;
  return { action: 'part', key, index, created };
}

function addTrailers(state: WatchState, mail: WatchMail, limits: Limits): IngestResult {
  const key = [...mail.references]
    .reverse()
    .map((r) => state.messages[r])
    .find(Boolean);
  const s = key ? state.series[key] : undefined;
  if (!s) return { action: 'ignored', reason: 'a reply to no series being followed' };
  if (!mail.trailers.length) return { action: 'ignored', key: s.key, reason: 'a reply without trailers' };
  let added = 0;
  for (const t of mail.trailers) {
    if (s.trailers.length >= limits.maxTrailers) break;
    if (s.trailers.some((x) => x.key === t.key && x.value === t.value)) continue;
    s.trailers.push({ ...t, from: mail.messageId });
    added++;
  }
  return { action: 'trailers', key: s.key, count: added };
}

export interface Decision {
  key: string;
  status: SeriesEntry['status'];
  reason?: string;
}

export interface DecideOptions {
  settleMs: number;
  /** True for a file the watcher tests (MAINTAINERS HMM entry + extra paths). */
  selects: (path: string) => boolean;
}

export function contentHash(s: SeriesEntry): string {
  const h = createHash('sha256');
  for (let i = 1; i <= s.total; i++) {
    const p = s.parts[String(i)];
    h.update(`${p?.subject.replace(/^.*?\]\s*/, '') ?? ''}\0${p?.files.join('\0') ?? ''}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

/** Move collecting series on (queued / skipped / incomplete), then supersede older versions. */
export function decide(state: WatchState, now: number, opts: DecideOptions): Decision[] {
  const out: Decision[] = [];
  const set = (s: SeriesEntry, status: SeriesEntry['status'], reason?: string) => {
    s.status = status;
    if (reason) s.reason = reason;
    out.push({ key: s.key, status, ...(reason ? { reason } : {}) });
  };
  for (const s of Object.values(state.series)) {
    if (s.status !== 'collecting') continue;
    const missing = Array.from({ length: s.total }, (_, i) => i + 1).filter((i) => !s.parts[String(i)]);
    if (missing.length === 0) {
      const files = [...new Set(Object.values(s.parts).flatMap((p) => p.files))];
      if (!files.some(opts.selects)) {
        set(
          s,
          'skipped',
          `touches none of the HMM files (${files.slice(0, 4).join(', ')}${files.length > 4 ? `, … ${files.length} files` : ''})`,
        );
        continue;
      }
      s.contentHash = contentHash(s);
      const same = Object.values(state.series).find(
        (o) =>
          o !== s && o.contentHash === s.contentHash && ['queued', 'running', 'tested', 'answered'].includes(o.status),
      );
      if (same)
        set(s, 'skipped', `the same patches as ${same.key} (${same.status}${same.runId ? `, run ${same.runId}` : ''})`);
      else set(s, 'queued');
    } else if (now - s.lastPartAt >= opts.settleMs) {
      set(
        s,
        'incomplete',
        `missing ${missing.map((i) => `${i}/${s.total}`).join(', ')} ${Math.round((now - s.lastPartAt) / 60000)} min after the last part arrived`,
      );
    }
  }
  out.push(...supersede(state));
  return out;
}

/** Versions of one series: same author and title, or the newer one sent in reply to the older one's thread. */
function sameSeries(newer: SeriesEntry, older: SeriesEntry): boolean {
  return newer.identity === older.identity || (newer.replyTo?.references ?? []).includes(older.rootId);
}

function supersede(state: WatchState): Decision[] {
  const out: Decision[] = [];
  const live = Object.values(state.series).filter((s) =>
    ['queued', 'running', 'tested', 'answered'].includes(s.status),
  );
  for (const s of live) {
    const newer = live
      .filter((o) => o.version > s.version && sameSeries(o, s))
      .sort((a, b) => b.version - a.version)[0];
    if (!newer) continue;
    if (s.status === 'queued' || s.status === 'running') {
      const how = s.status === 'queued' ? 'not-run' : 'cancelled';
      s.status = 'superseded';
      s.supersededBy = newer.key;
      s.reason = `v${newer.version} (${newer.rootId}) arrived ${how === 'not-run' ? 'before it was tested' : 'while it was being tested: the run was cancelled'}`;
      if (!newer.supersedes || newer.supersedes.how !== 'tested') newer.supersedes = { key: s.key, how };
      out.push({ key: s.key, status: 'superseded', reason: s.reason });
    } else if (!newer.supersedes && newer.status !== 'answered') {
      newer.supersedes = { key: s.key, how: 'tested', ...(s.runId ? { runId: s.runId } : {}) };
    }
  }
  return out;
}

/** The queue: queued series, oldest complete first. */
export function queued(state: WatchState): SeriesEntry[] {
  return Object.values(state.series)
    .filter((s) => s.status === 'queued')
    .sort((a, b) => a.lastPartAt - b.lastPartAt || a.key.localeCompare(b.key));
}

/**
 * Drop what a finished series no longer needs: its message index entries and its parts (a small
 * tombstone stays, so a late or repeated part is never taken for a new series).
 */
export function forget(state: WatchState, s: SeriesEntry): void {
  if (!FINISHED.includes(s.status)) return;
  for (const p of [s.cover, ...Object.values(s.parts)])
    if (p && state.messages[p.messageId] === s.key) delete state.messages[p.messageId];
  s.parts = {};
  delete s.cover;
  if (s.status !== 'answered') {
    delete s.replyTo;
    s.trailers = [];
  }
}
