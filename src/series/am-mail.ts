/**
 * The mail hmmci hands to `git am` for one patch: the parsed author, date and subject, and the
 * whole decoded body of the message (never less than the message had: the scan of the diff that
 * the safety checks used covers every file section of that same body). No second opinion of a
 * MIME parser on a hostile mail: the body is already decoded to UTF-8 text. mboxrd escaping,
 * 8bit body, RFC 2047 headers. Pure.
 */
import { encodeHeaderValue } from './headers.js';
import type { Patch } from './types.js';

export function amMail(p: Patch): string {
  const esc = (text: string) => text.replace(/^(>*From )/gm, '>$1');
  const lines = [
    'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
    `From: ${encodeHeaderValue(p.author || 'Unknown Author <unknown@invalid>')}`,
    `Date: ${p.rawDate || 'Thu, 1 Jan 1970 00:00:00 +0000'}`,
    `Subject: ${encodeHeaderValue(p.subject || `patch ${p.index}/${p.total}`)}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    esc(p.body.replace(/\n+$/, '')),
    '',
  ];
  return lines.join('\n');
}
