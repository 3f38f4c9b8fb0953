/**
 * The mail hmmci hands to `git am` for one patch: the author, date and subject as git mailinfo
 * read them (written so mailinfo reads them back unchanged), the in-body header lines git
 * consumed (so it consumes them again the same way), and the whole decoded body of the message
 * (never less than the message had: the scan of the diff that the safety checks used covers
 * every file section of that same body). No second opinion of a MIME parser on a hostile mail:
 * the body is already decoded to UTF-8 text; a body with CRs in it (a CRLF file decoded from
 * base64 or quoted-printable) goes base64 so git keeps them, as `--quoted-cr` does. Pure.
 */
import { encodeHeaderValue } from './headers.js';
import { fromForGit, mailinfoFrom, type MailIdent } from './mailinfo.js';
import type { Patch } from './types.js';

/** `Name <email>` (identText) back to its parts. */
export function identOf(author: string): MailIdent | undefined {
  const m = /^(?:(.*) )?<([^<>]*)>$/.exec(author);
  return m ? { name: m[1] ?? '', email: m[2] ?? '' } : undefined;
}

/** A From header value git mailinfo reads back as `author`. */
export function amFrom(author: string): string {
  const id = identOf(author);
  if (!id || !id.email) return encodeHeaderValue(author || 'Unknown Author <unknown@invalid>');
  const plain = id.name ? `${id.name} <${id.email}>` : `<${id.email}>`;
  const back = mailinfoFrom(plain);
  const value = back.name === (id.name || id.email) && back.email === id.email ? plain : fromForGit(id);
  return headerValue(value);
}

/** encodeHeaderValue, and a Q word for text git would otherwise decode (`=?`). */
function headerValue(value: string): string {
  if (!value.includes('=?')) return encodeHeaderValue(value);
  const addr = /^(.*?)(\s*<[^<>]*>)$/.exec(value);
  const word = (s: string) => `=?UTF-8?q?${[...Buffer.from(s, 'utf8')].map((b) => (b > 0x20 && b < 0x7f && !'=?_"(),.:;<>@[\\]'.includes(String.fromCharCode(b)) ? String.fromCharCode(b) : b === 0x20 ? '_' : `=${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('')}?=`;
  return addr && !(addr[2] ?? '').includes('=?') ? `${word(addr[1] ?? '')}${addr[2]}` : word(value);
}

export function amMail(p: Patch): string {
  const esc = (text: string) => text.replace(/^(>*From )/gm, '>$1');
  // A body ending in a GIT binary patch needs the blank line that ends its last block.
  const body = `${p.inBody ?? ''}${p.body.replace(/\n+$/, '')}\n\n`;
  // eslint-disable-next-line no-control-regex
  const raw = /[\r\x00]/.test(body);
  const lines = [
    'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
    `From: ${amFrom(p.author)}`,
    `Date: ${p.rawDate || 'Thu, 1 Jan 1970 00:00:00 +0000'}`,
    `Subject: ${headerValue(p.subject || `patch ${p.index}/${p.total}`)}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    `Content-Transfer-Encoding: ${raw ? 'base64' : '8bit'}`,
    '',
    raw ? (Buffer.from(body, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join('\n') : esc(body.slice(0, -1)),
    '',
  ];
  return lines.join('\n');
}
