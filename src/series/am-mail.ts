/**
 * The mail hmmci hands to `git am` for one patch, rebuilt from the parsed data: git applies
 * exactly the diff hmmci checked (no second opinion of a MIME parser on a hostile mail). mboxrd
 * escaping, UTF-8 8bit body, RFC 2047 headers. Pure.
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
    esc(p.message),
    '---',
    ...(p.notes ? [esc(p.notes), ''] : []),
    p.diff.replace(/\n$/, ''),
    '',
  ];
  return lines.join('\n');
}
