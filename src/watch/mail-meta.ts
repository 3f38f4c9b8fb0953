/**
 * What the watcher needs of one raw mail, read with the series stage's own decoders: ids and
 * threading (Message-ID, In-Reply-To, References), the bracketed subject (version, N/M, RFC,
 * RESEND), whether it carries a diff and which files that diff touches, and follow-up trailers
 * (Reviewed-by, Acked-by, Tested-by…) of a reply. Pure; never throws on garbage.
 */
import { findDiffStart, scanDiff, changedPath } from '../series/diff.js';
import { header, normalizeMessageId, parseHeaders } from '../series/headers.js';
import { textLines, type RawMessage } from '../series/mbox.js';
import { decodeMessage } from '../series/message.js';
import { parseSubject } from '../series/subject.js';

export type MailKind = 'cover' | 'patch' | 'reply' | 'other';

export interface FollowUpTrailer {
  key: string;
  value: string;
  /** Message-ID of the reply that gave it. */
  from: string;
}

export interface WatchMail {
  messageId: string;
  inReplyTo?: string;
  /** References, oldest first (In-Reply-To appended when missing). */
  references: string[];
  subject: string;
  /** Subject without Re: and the bracket prefix. */
  title: string;
  from: string;
  date: string;
  to: string;
  cc: string;
  kind: MailKind;
  version: number;
  /** N of N/M (0 for a cover; 1 for an unnumbered [PATCH]). */
  index?: number;
  total?: number;
  rfc: boolean;
  resend: boolean;
  /** Files the diff touches (git am's -p1 paths). */
  files: string[];
  /** Follow-up trailers written in a reply (not quoted lines). */
  trailers: Array<{ key: string; value: string }>;
  /** Why the mail could not be used for anything (garbled headers, no Message-ID…). */
  problem?: string;
}

const FOLLOW_UP = /^\s*(Reviewed-by|Acked-by|Tested-by|Reported-by|Suggested-by|Nacked-by):\s*(\S.*?)\s*$/i;
const MAX_TRAILERS = 20;

function refsOf(value: string | undefined): string[] {
  return [...(value ?? '').matchAll(/<([^<>\s]+)>/g)].map((m) => m[1] as string);
}

/** Decode one raw mail (bytes of a public-inbox `m` blob or a Maildir file). */
export function readWatchMail(bytes: Uint8Array | string): WatchMail {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');
  const lines = textLines(text.length > 8 * 1024 * 1024 ? text.slice(0, 8 * 1024 * 1024) : text);
  if (lines[0]?.startsWith('From ') && !/^From:/.test(lines[0])) lines.shift();
  const raw: RawMessage = { number: 1, lines };
  const h = parseHeaders(lines.slice(0, 500));
  const messageId = normalizeMessageId(header(h, 'message-id'));
  const m = decodeMessage(raw, 1, { origin: messageId || 'mail' });
  const inReplyTo = m.inReplyTo || undefined;
  const references = refsOf(header(h, 'references'));
  if (inReplyTo && !references.includes(inReplyTo)) references.push(inReplyTo);
  const s = parseSubject(m.subject);
  const bodyLines = m.body.split('\n');
  const diffAt = s.isReply ? -1 : findDiffStart(bodyLines);
  const files = diffAt >= 0 ? [...new Set(scanDiff(bodyLines, diffAt).changes.map(changedPath))] : [];
  let kind: MailKind = 'other';
  if (s.isPatchTagged && !s.isReply) {
    if (s.index === 0) kind = 'cover';
    else if (diffAt >= 0) kind = 'patch';
  } else if (s.isReply || inReplyTo) kind = 'reply';
  const trailers = kind === 'reply' ? followUps(bodyLines) : [];
  const mail: WatchMail = {
    messageId,
    ...(inReplyTo ? { inReplyTo } : {}),
    references,
    subject: m.subject,
    title: s.title,
    from: m.from,
    date: m.date,
    to: header(h, 'to') ?? '',
    cc: header(h, 'cc') ?? '',
    kind,
    version: Math.floor(s.version ?? 1),
    ...(kind === 'patch'
      ? { index: s.index ?? 1, total: s.total ?? 1 }
      : kind === 'cover'
        ? { index: 0, total: s.total ?? 0 }
        : {}),
    rfc: s.rfc,
    resend: s.resend,
    files,
    trailers,
  };
  if (!messageId) mail.problem = 'no Message-ID header';
  else if (h.invalid.length > 0 && !header(h, 'subject'))
    mail.problem = `garbled headers (${h.invalid.length} lines that are not "Name: value")`;
  return mail;
}

/** Reviewed-by/Acked-by/Tested-by… lines a reviewer wrote (quoted `>` lines are the patch, not theirs). */
export function followUps(lines: readonly string[]): Array<{ key: string; value: string }> {
  const out: Array<{ key: string; value: string }> = [];
  for (const line of lines) {
    if (line.startsWith('>')) continue;
    const m = FOLLOW_UP.exec(line);
    if (m) out.push({ key: canonical(m[1] as string), value: (m[2] as string).slice(0, 200) });
    if (out.length >= MAX_TRAILERS) break;
  }
  return out;
}

function canonical(key: string): string {
  return key
    .toLowerCase()
    .replace(/(^|-)([a-z])/g, (_, a: string, b: string) => `${a}${b.toUpperCase()}`)
    .replace('-By', '-by');
}
