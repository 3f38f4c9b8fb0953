/**
 * What `git mailinfo` (and so `git am`) makes of a mail's From, Subject and Date headers and of
 * the in-body headers at the top of its body: a port of git 2.39's mailinfo.c rules
 * (handle_from, cleanup_subject, cleanup_space, check_inbody_header), so `series show` reports
 * what the commit will say. test/series/mailinfo-oracle.test.ts checks every fixture mail
 * against the installed git. Pure.
 */

import { decodeBytes } from './headers.js';

/** C isspace(): space, \t, \n, \v, \f, \r. */
const SPACE = /[ \t\n\v\f\r]/;

/** cleanup_space(): every run of whitespace becomes one space (not trimmed). */
export function cleanupSpace(s: string): string {
  return s.replace(/[ \t\n\v\f\r]+/g, ' ');
}

/** strbuf_trim(): isspace at both ends. */
function trim(s: string): string {
  return s.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');
}

/** unquote_comment(): `(` already read; nested comments kept with their parentheses. */
function unquoteComment(s: string, at: number): { out: string; at: number } {
  let out = '(';
  let literal = false;
  for (let i = at; i < s.length; i++) {
    const c = s[i]!;
    if (literal) literal = false;
    else if (c === '\\') {
      literal = true;
      continue;
    } else if (c === '(') {
      const inner = unquoteComment(s, i + 1);
      out += inner.out;
      i = inner.at - 1;
      continue;
    } else if (c === ')') return { out: `${out})`, at: i + 1 };
    out += c;
  }
  return { out, at: s.length };
}

/** unquote_quoted_pair(): `"…"` strings lose their quotes and backslashes; comments keep `()`. */
export function unquoteQuotedPair(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') {
      let literal = false;
      for (i++; i < s.length; i++) {
        const d = s[i]!;
        if (literal) literal = false;
        else if (d === '\\') {
          literal = true;
          continue;
        } else if (d === '"') break;
        out += d;
      }
    } else if (c === '(') {
      const r = unquoteComment(s, i + 1);
      out += r.out;
      i = r.at - 1;
    } else out += c;
  }
  return out;
}

export interface MailIdent {
  name: string;
  email: string;
}

/** get_sane_name(): the email stands in for an empty, long (>60 bytes) or `@<>` name. */
function saneName(name: string, email: string): string {
  return !name || Buffer.byteLength(name) > 60 || /[@<>]/.test(name) ? email : name;
}

/** parse_bogus_from(): `John Doe <johndoe>` without an `@`. */
function bogusFrom(from: string): MailIdent {
  const bra = from.indexOf('<');
  const ket = bra >= 0 ? from.indexOf('>', bra) : -1;
  if (bra < 0 || ket < 0) return { name: '', email: '' };
  const email = from.slice(bra + 1, ket);
  return { name: saneName(trim(from.slice(0, bra)), email), email };
}

/** handle_from() of a decoded From value (cleanup_space is applied first, as handle_info does). */
export function mailinfoFrom(value: string): MailIdent {
  const from = cleanupSpace(value);
  let f = unquoteQuotedPair(from);
  let at = f.indexOf('@');
  if (at < 0) return bogusFrom(from);
  while (at > 0) {
    const c = f[at - 1]!;
    if (SPACE.test(c)) break;
    if (c === '<') {
      f = `${f.slice(0, at - 1)} ${f.slice(at)}`;
      break;
    }
    at--;
  }
  const rest = f.slice(at);
  const el = /^[^ \n\t\r\v\f>]*/.exec(rest)![0].length;
  const email = rest.slice(0, el);
  f = f.slice(0, at) + f.slice(at + el + (el < rest.length ? 1 : 0));
  f = trim(cleanupSpace(f));
  if (f.startsWith('(') && f.endsWith(')') && f.length >= 2) f = f.slice(1, -1);
  return { name: saneName(f, email), email };
}

/**
 * cleanup_subject() (git am without -k/-b: every leading bracket group goes, so the cursor stays
 * at the start) followed by cleanup_space().
 */
export function mailinfoSubject(value: string): string {
  let s = value;
  for (;;) {
    const c = s[0];
    if ((c === 'r' || c === 'R') && s.length > 3 && (s[1] === 'e' || s[1] === 'E') && s[2] === ':') s = s.slice(3);
    else if (c === ' ' || c === '\t' || c === ':') s = s.slice(1);
    else if (c === '[' && s.includes(']')) s = s.slice(s.indexOf(']') + 1);
    else break;
  }
  return cleanupSpace(trim(s));
}

/** `Name <email>` as hmmci shows an author (what git am commits). */
export function identText(id: MailIdent): string {
  return id.name ? `${id.name} <${id.email}>` : `<${id.email}>`;
}

/**
 * A From value that git mailinfo reads back as exactly `id`: the name is a quoted string (so
 * parentheses, quotes and backslashes in it are literal), wrapped once more in `()` when git
 * would strip a pair from it. Names from mailinfoFrom never hold `@`, `<` or `>`.
 */
export function fromForGit(id: MailIdent): string {
  if (!id.name || id.name === id.email) return `<${id.email}>`;
  const name = id.name.startsWith('(') && id.name.endsWith(')') ? `(${id.name})` : id.name;
  return `"${name.replace(/["\\]/g, '\\$&')}" <${id.email}>`;
}

/** skip_header() for the in-body names: which header a line starts, if any. */
function inBodyName(line: string): 'from' | 'subject' | 'date' | undefined {
  const m = /^(from|subject|date):/i.exec(line);
  return m ? (m[1]!.toLowerCase() as 'from' | 'subject' | 'date') : undefined;
}

/** The value after `Name:` with leading whitespace skipped (skip_header). */
function inBodyValue(line: string): string {
  return line.replace(/^[^:]*:[ \t\n\v\f\r]*/, '');
}

/** is_format_patch_separator() of the text after `>`. */
function isFormatPatchSeparator(line: string): boolean {
  return /^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$/.test(line);
}

export interface InBodyHeaders {
  from?: string;
  subject?: string;
  date?: string;
  /** Lines git consumes at the top of the body (blank lines, in-body headers), as text. */
  consumed: string;
  /** The rest of the body, from the first line git keeps in the commit message. */
  rest: string;
}

/**
 * handle_commit_msg()'s header stage: leading blank lines are skipped, then `From:`, `Subject:`
 * and `Date:` lines (any case, folded continuations joined, each name once), a `[PATCH] …` line
 * (a subject) and a `>From <sha> …` format-patch separator are consumed until the first other
 * line; a blank line after headers ends the stage.
 */
export function inBodyHeaders(body: string): InBodyHeaders {
  const lines = body.split('\n');
  const found: { from?: string; subject?: string; date?: string } = {};
  let accum: { name: 'from' | 'subject' | 'date'; value: string } | undefined;
  const flush = () => {
    if (accum) found[accum.name] = accum.value;
    accum = undefined;
  };
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (i === lines.length - 1 && line === '') break;
    if (line === '') {
      if (accum) {
        flush();
        i++;
        break;
      }
      continue;
    }
    if (accum && (line[0] === ' ' || line[0] === '\t')) {
      accum.value += line;
      continue;
    }
    flush();
    if (/^>From[ \t\n\v\f\r]/.test(line) && isFormatPatchSeparator(line.slice(1))) continue;
    if (/^\[PATCH\][ \t\n\v\f\r]/.test(line)) {
      found.subject = line;
      continue;
    }
    const name = inBodyName(line);
    if (name && found[name] === undefined) {
      accum = { name, value: inBodyValue(line) };
      continue;
    }
    break;
  }
  flush();
  return {
    ...found,
    consumed: lines
      .slice(0, i)
      .map((l) => `${l}\n`)
      .join(''),
    rest: lines.slice(i).join('\n'),
  };
}

/** decode_q_segment(): `=XX` bytes, `_` a space (RFC 2047), `=` at the end drops the rest. */
function qBytes(text: string, rfc2047: boolean): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d) {
      if (i + 1 >= text.length || text[i + 1] === '\n') break;
      const hex = text.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        out.push(parseInt(hex, 16));
        i += 2;
        continue;
      }
    }
    if (rfc2047 && c === 0x5f) out.push(0x20);
    else out.push(...Buffer.from(text[i]!, 'utf8'));
  }
  return Buffer.from(out);
}

/** decode_b_segment(): base64 with anything outside the alphabet skipped, no padding rules. */
function bBytes(text: string): Buffer {
  return Buffer.from(text.replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
}

/**
 * decode_header(): RFC 2047 words decoded wherever `=?charset?Q|B?text?=` appears (git is not
 * strict about the grammar); whitespace between two encoded words dropped, text around them
 * kept. A malformed word leaves the whole value as it was (git flags an input error).
 */
export function decodeHeader(value: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const ep = value.indexOf('=?', at);
    if (ep < 0) break;
    const gap = value.slice(at, ep);
    if (/[^ \t\n\v\f\r]/.test(gap) || at === 0) out += gap;
    const q1 = value.indexOf('?', ep + 2);
    if (q1 < 0 || q1 + 3 > value.length) return value;
    const charset = value.slice(ep + 2, q1);
    const enc = value[q1 + 1] ?? '';
    if (value[q1 + 2] !== '?') return value;
    const end = value.indexOf('?=', q1 + 3);
    if (end < 0) return value;
    const text = value.slice(q1 + 3, end);
    let bytes: Buffer;
    if (enc === 'b' || enc === 'B') bytes = bBytes(text);
    else if (enc === 'q' || enc === 'Q') bytes = qBytes(text, true);
    else return value;
    out += decodeBytes(bytes, charset.replace(/\*.*$/, '') || 'utf-8');
    at = end + 2;
  }
  return out + value.slice(at);
}
