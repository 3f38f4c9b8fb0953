/**
 * One raw mbox message → a decoded MailMessage: headers unfolded and RFC 2047-decoded, body
 * transfer-decoded, and in-body `From:`/`Subject:`/`Date:` headers (git send-email puts them
 * first in the body when the sender is not the author) applied. Pure.
 */
import { header, normalizeAddress, normalizeMessageId, parseHeaders } from './headers.js';
import { cleanupSpace, decodeHeader, identText, inBodyHeaders, mailinfoFrom } from './mailinfo.js';
import { splitMbox, textLines, type RawMessage } from './mbox.js';
import { decodeBody, patchAttachment, type DecodeState } from './mime.js';
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
  const fromBytes = (s: string | undefined) =>
    s !== undefined && opts.binary8bit ? Buffer.from(s, 'latin1').toString('utf8') : s;
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
  const state: DecodeState = {};
  let body = (
    attached
      ? `${attached.note.replace(/\n+$/, '')}\n\n${attached.text}`
      : decodeBody(h, raw.lines.slice(h.bodyStart), opts.binary8bit ?? false, 0, state)
  ).replace(/\n+$/, '\n');
  const last = (name: string) => fromBytes(h.fields.get(name)?.at(-1));
  // git mailinfo: the last From/Subject/Date header wins; in-body ones win over all of them.
  let from = dmarcAuthor(authorOf(last('from') ?? ''), (n) => fromBytes(header(h, n)));
  let subject = decodeHeader(last('subject') ?? '');
  let date = cleanupSpace(last('date') ?? '').trim();
  const inBody = inBodyHeaders(body);
  let consumed: string | undefined;
  if (inBody.consumed) {
    // git uses in-body headers only for a mail that has a patch (mailinfo's patch_lines).
    const patched = hasPatchBreak(inBody.rest);
    if (patched && inBody.from !== undefined) from = authorOf(inBody.from);
    if (patched && inBody.subject !== undefined) subject = decodeHeader(inBody.subject);
    if (patched && inBody.date !== undefined) date = cleanupSpace(decodeHeader(inBody.date)).trim();
    consumed = inBody.consumed;
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
    ...(consumed ? { inBody: consumed } : {}),
    ...(state.tooDeep ? { nestedTooDeep: true } : {}),
  };
}

/** mailinfo's patchbreak(): a `diff -`, `Index: `, `--- file` or `---` line starts the patch. */
function hasPatchBreak(text: string): boolean {
  return /^(diff -|Index: |--- [^ \t\n\v\f\r]|---[ \t\v\f\r]*$)/m.test(text);
}

/**
 * The author as git mailinfo reads a From value: `Name <email>`. Mailman/pipermail archives
 * write `user at example.org (Name)`: the `@` is put back first (git would find no address).
 */
export function authorOf(value: string): string {
  const decoded = decodeHeader(value)
    .trim()
    .replace(/^([^\s<>()@"]+) at ([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?=\s*(?:\(|$))/, '$1@$2')
    .replace(/<([^\s<>@]+) at ([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>$/, '<$1@$2>');
  const id = mailinfoFrom(decoded);
  return id.email ? identText(id) : '';
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
