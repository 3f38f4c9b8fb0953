/**
 * One raw mbox message → a decoded MailMessage: headers unfolded and RFC 2047-decoded, body
 * transfer-decoded, and in-body `From:`/`Subject:`/`Date:` headers (git send-email puts them
 * first in the body when the sender is not the author) applied. Pure.
 */
import { decodeEncodedWords, header, normalizeAddress, normalizeMessageId, parseHeaders } from './headers.js';
import { splitMbox, textLines, type RawMessage } from './mbox.js';
import { decodeBody, patchAttachment } from './mime.js';
import type { MailMessage } from './types.js';

export interface DecodeOptions {
  /** Name of the input for messages (`series.mbox`, `0003-foo.patch`). */
  origin: string;
  /** The input was not UTF-8: lines carry raw bytes (see sniffInput). */
  binary8bit?: boolean;
}

/** True when the lines start like a mail: a header block with at least one known field. */
export function looksLikeMail(lines: readonly string[]): boolean {
  const h = parseHeaders(lines.slice(0, 200));
  return ['from', 'subject', 'date', 'message-id'].some((k) => h.fields.has(k));
}

export function decodeMessage(raw: RawMessage, position: number, opts: DecodeOptions): MailMessage {
  const h = parseHeaders(raw.lines);
  const fromBytes = (s: string | undefined) => (s !== undefined && opts.binary8bit ? Buffer.from(s, 'latin1').toString('utf8') : s);
  const attached = patchAttachment(h, raw.lines.slice(h.bodyStart), opts.binary8bit ?? false);
  if (attached) {
    // A whole `git format-patch` mail attached: it is the patch, with its own From/Subject/Date.
    const inner = [...splitMbox(textLines(attached.text))][0];
    if (inner && looksLikeMail(inner.lines)) {
      const m = decodeMessage(inner, position, { origin: opts.origin });
      const outerId = normalizeMessageId(header(h, 'message-id'));
      const outerReply = normalizeMessageId(header(h, 'in-reply-to'));
      return {
        ...m,
        origin: raw.envelope === undefined && position === 1 ? opts.origin : `${opts.origin} message ${raw.number}`,
        messageId: outerId || m.messageId,
        inReplyTo: outerReply || m.inReplyTo,
        date: m.date || (header(h, 'date') ?? '').trim(),
      };
    }
  }
  let body = (attached ? `${attached.note.replace(/\n+$/, '')}\n\n${attached.text}` : decodeBody(h, raw.lines.slice(h.bodyStart), opts.binary8bit ?? false))
    .replace(/\r\n/g, '\n')
    .replace(/\n+$/, '\n');
  let from = dmarcAuthor(normalizeAddress(fromBytes(header(h, 'from')) ?? ''), (n) => fromBytes(header(h, n)));
  let subject = decodeEncodedWords(fromBytes(header(h, 'subject')) ?? '').replace(/\s+/g, ' ').trim();
  let date = (header(h, 'date') ?? '').trim();
  const inBody = inBodyHeaders(body);
  if (inBody) {
    if (inBody.from) from = normalizeAddress(inBody.from);
    if (inBody.subject) subject = decodeEncodedWords(inBody.subject).trim();
    if (inBody.date) date = inBody.date.trim();
    body = inBody.rest;
  }
  const inReplyTo = normalizeMessageId(header(h, 'in-reply-to'));
  return {
    position,
    origin: raw.envelope === undefined && position === 1 ? opts.origin : `${opts.origin} message ${raw.number}`,
    from,
    date,
    subject,
    messageId: normalizeMessageId(header(h, 'message-id')),
    inReplyTo: inReplyTo || undefined,
    body,
  };
}

function inBodyHeaders(body: string): { from?: string; subject?: string; date?: string; rest: string } | undefined {
  const lines = body.split('\n');
  const found: Record<string, string> = {};
  let i = 0;
  let last: string | undefined;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? '';
    // A folded in-body header (a long Subject: wrapped onto the next line) continues it.
    if (last && i > 0 && /^[ \t]+\S/.test(line)) {
      found[last] = `${found[last] ?? ''} ${line.trim()}`;
      continue;
    }
    const m = /^(From|Subject|Date): (.*)$/.exec(line);
    if (!m) break;
    last = (m[1] ?? '').toLowerCase();
    found[last] = m[2] ?? '';
  }
  if (i === 0 || (lines[i] ?? 'x') !== '') return undefined;
  return { from: found.from, subject: found.subject, date: found.date, rest: lines.slice(i + 1).join('\n') };
}

/**
 * Mailing lists that rewrite From: for DMARC (`Jane Doe via dri-devel <dri-devel@lists…>`) keep
 * the author in X-Original-From, or in Reply-To: take it back from there when one names the same
 * person. Otherwise the rewritten From stays (git am would use it too).
 */
export function dmarcAuthor(from: string, headerOf: (name: string) => string | undefined): string {
  const m = /^(.*?) via [^<>]+<[^<>]+>$/.exec(from);
  if (!m) return from;
  const name = (m[1] ?? '').replace(/^"|"$/g, '').trim();
  for (const field of ['x-original-from', 'reply-to']) {
    const value = headerOf(field);
    if (!value) continue;
    const addr = normalizeAddress(value.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)[0] ?? '');
    if (!/<[^<>@\s]+@[^<>\s]+>$/.test(addr)) continue;
    if (field === 'x-original-from' || addr.startsWith(`${name} <`)) return addr;
  }
  return from;
}
