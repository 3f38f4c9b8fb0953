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
import type { Patch, Series } from './types.js';

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
  const word = (s: string) =>
    `=?UTF-8?q?${[...Buffer.from(s, 'utf8')].map((b) => (b > 0x20 && b < 0x7f && !'=?_"(),.:;<>@[\\]'.includes(String.fromCharCode(b)) ? String.fromCharCode(b) : b === 0x20 ? '_' : `=${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('')}?=`;
  return addr && !(addr[2] ?? '').includes('=?') ? `${word(addr[1] ?? '')}${addr[2]}` : word(value);
}

/** Body lines of a mail: 8bit with mboxrd escapes, or base64 when CRs or NULs must survive. */
function bodyPart(body: string): { cte: string; text: string } {
  if (/[\r\x00]/.test(body))
    return {
      cte: 'base64',
      text: (
        Buffer.from(body, 'utf8')
          .toString('base64')
          .match(/.{1,76}/g) ?? []
      ).join('\n'),
    };
  return { cte: '8bit', text: body.replace(/^(>*From )/gm, '>$1').replace(/\n$/, '') };
}

/**
 * A series written back as an mboxrd that hmmci (and git am) reads as the same series: cover
 * letter with its `[PATCH vN 0/M]`, each patch with its subject as written (N/M kept), author and
 * date as read, Message-ID, and its in-body lines and body. For handing a loaded series to another
 * process (run, fleet workers).
 */
export function seriesMbox(s: Series): string {
  const msgs: string[] = [];
  const sep = 'From mboxrd@z Thu Jan  1 00:00:00 1970';
  const mime = (cte: string) => [
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    `Content-Transfer-Encoding: ${cte}`,
  ];
  if (s.cover) {
    const total = s.patches[0]?.total ?? s.patches.length;
    const subject = `[PATCH${s.version > 1 ? ` v${s.version}` : ''} 0/${total}] ${s.cover.subject}`;
    const b = bodyPart(`${s.cover.body.replace(/\n+$/, '')}\n`);
    msgs.push(
      [
        sep,
        `Subject: ${headerValue(subject)}`,
        ...(s.cover.messageId ? [`Message-ID: <${s.cover.messageId}>`] : []),
        ...mime(b.cte),
        '',
        b.text,
        '',
      ].join('\n'),
    );
  }
  for (const p of s.patches) {
    const b = bodyPart(`${p.inBody ?? ''}${p.body.replace(/\n+$/, '')}\n\n`);
    const head = [
      sep,
      `From: ${amFrom(p.author)}`,
      ...(p.rawDate ? [`Date: ${headerValue(p.rawDate)}`] : []),
      `Subject: ${headerValue(p.rawSubject)}`,
      ...(p.messageId ? [`Message-ID: <${p.messageId}>`] : []),
    ];
    msgs.push([...head, ...mime(b.cte), '', b.text, ''].join('\n'));
  }
  return msgs.join('\n');
}

export function amMail(p: Patch): string {
  const esc = (text: string) => text.replace(/^(>*From )/gm, '>$1');
  // A body ending in a GIT binary patch needs the blank line that ends its last block.
  const body = `${p.inBody ?? ''}${p.body.replace(/\n+$/, '')}\n\n`;
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
    raw
      ? (
          Buffer.from(body, 'utf8')
            .toString('base64')
            .match(/.{1,76}/g) ?? []
        ).join('\n')
      : esc(body.slice(0, -1)),
    '',
  ];
  return lines.join('\n');
}
