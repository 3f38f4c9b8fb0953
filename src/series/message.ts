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
  let from = normalizeAddress(fromBytes(header(h, 'from')) ?? '');
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
  for (; i < lines.length; i++) {
    const m = /^(From|Subject|Date): (.*)$/.exec(lines[i] ?? '');
    if (!m) break;
    found[(m[1] ?? '').toLowerCase()] = m[2] ?? '';
  }
  if (i === 0 || (lines[i] ?? 'x') !== '') return undefined;
  return { from: found.from, subject: found.subject, date: found.date, rest: lines.slice(i + 1).join('\n') };
}
