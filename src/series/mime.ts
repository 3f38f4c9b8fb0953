/**
 * Message bodies: Content-Transfer-Encoding (quoted-printable, base64, 7bit/8bit), charsets,
 * and multipart mails (a patch sent as a text/x-patch attachment). Pure.
 */
import { findDiffStart } from './diff.js';
import { decodeBytes, header, parseHeaders, type ParsedHeaders } from './headers.js';

export interface ContentType {
  type: string;
  params: Record<string, string>;
}

export function parseContentType(value: string | undefined): ContentType {
  if (!value) return { type: 'text/plain', params: {} };
  const [type, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const m = /^\s*([^=\s]+)\s*=\s*"?([^"]*)"?\s*$/.exec(p);
    if (m) params[(m[1] ?? '').toLowerCase()] = m[2] ?? '';
  }
  return { type: (type ?? 'text/plain').trim().toLowerCase(), params };
}

/** Quoted-printable to bytes: `=XX` escapes, soft line breaks `=` at end of line. */
export function decodeQuotedPrintable(text: string, binary = false): Buffer {
  const out: number[] = [];
  const lines = text.split('\n');
  lines.forEach((rawLine, idx) => {
    const line = rawLine.replace(/[ \t]+$/, '');
    let soft = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === '=') {
        const hex = line.slice(i + 1, i + 3);
        if (i === line.length - 1) {
          soft = true;
          break;
        }
        if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
          out.push(parseInt(hex, 16));
          i += 2;
          continue;
        }
      }
      if (binary) out.push((c ?? '').charCodeAt(0) & 0xff);
      else for (const b of Buffer.from(c ?? '', 'utf8')) out.push(b);
    }
    if (!soft && idx < lines.length - 1) out.push(0x0a);
  });
  return Buffer.from(out);
}

/**
 * Decode a body given its headers; multipart bodies yield their text parts joined. `binary`: the
 * lines hold raw bytes one char each (the file was not UTF-8), so 8-bit text is decoded with the
 * part's charset.
 */
export function decodeBody(
  h: ParsedHeaders,
  bodyLines: readonly string[],
  binary = false,
  depth = 0,
  state: DecodeState = {},
): string {
  const ct = parseContentType(header(h, 'content-type'));
  const cte = (header(h, 'content-transfer-encoding') ?? '8bit').trim().toLowerCase();
  if (ct.type.startsWith('multipart/') && ct.params.boundary) {
    if (depth >= MAX_DEPTH) {
      state.tooDeep = true;
      return '';
    }
    return decodeMultipart(bodyLines, ct.params.boundary, binary, depth + 1, state);
  }
  return decodeSingle(bodyLines.join('\n'), cte, ct.params.charset, binary);
}

function decodeSingle(text: string, cte: string, charset: string | undefined, binary: boolean): string {
  let bytes: Buffer;
  if (cte === 'quoted-printable') bytes = decodeQuotedPrintable(text, binary);
  else if (cte === 'base64') bytes = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  else if (binary) bytes = Buffer.from(text, 'latin1');
  else return text;
  return quotedCr(decodeBytes(bytes, charset ?? 'utf-8'));
}

/**
 * CRs a base64/quoted-printable body carries are kept, as git am keeps them (`--quoted-cr`): a
 * patch of a CRLF file has them on its content lines only. A text whose every line ends in CRLF
 * was CRLF-ified by a mailer (git am would fail on it): those CRs go.
 */
export function quotedCr(text: string): string {
  if (!text.includes('\r')) return text;
  const lf = text.split('\n').length - 1;
  const crlf = text.split('\r\n').length - 1;
  return lf > 0 && crlf === lf ? text.replace(/\r\n/g, '\n') : text;
}

/** What decoding met on the way: multiparts nested past MAX_DEPTH were not read. */
export interface DecodeState {
  tooDeep?: boolean;
}

/** Multiparts nest a few levels in real mail; a hostile mail nesting thousands is cut here. */
export const MAX_MIME_DEPTH = 16;
const MAX_DEPTH = MAX_MIME_DEPTH;

/** The parts between `--boundary` lines (preamble and epilogue dropped), each with its headers. */
function splitParts(lines: readonly string[], boundary: string): string[][] {
  const parts: string[][] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    if (line === `--${boundary}` || line === `--${boundary}--`) {
      if (current) parts.push(current);
      current = line === `--${boundary}--` ? undefined : [];
      continue;
    }
    current?.push(line);
  }
  if (current) parts.push(current);
  return parts;
}

/** Text parts of a multipart body (text/plain, text/x-patch, text/x-diff …), in order. */
function decodeMultipart(
  lines: readonly string[],
  boundary: string,
  binary: boolean,
  depth: number,
  state: DecodeState,
): string {
  const texts: string[] = [];
  for (const part of splitParts(lines, boundary)) {
    const ph = parseHeaders(part);
    const ct = parseContentType(header(ph, 'content-type'));
    if (ct.type.startsWith('multipart/') && ct.params.boundary) {
      if (depth < MAX_DEPTH)
        texts.push(decodeMultipart(part.slice(ph.bodyStart), ct.params.boundary, binary, depth + 1, state));
      else state.tooDeep = true;
    } else if (ct.type.startsWith('text/') && ct.type !== 'text/html') {
      texts.push(decodeBody(ph, part.slice(ph.bodyStart), binary, depth, state).replace(/\n+$/, ''));
    }
  }
  return texts.join('\n');
}

const PATCH_TYPES =
  /^(text\/x-patch|text\/x-diff|text\/x-patch-file|text\/diff|application\/octet-stream|application\/x-patch|application\/x-diff)$/;

/** Leaf parts of a multipart body with their headers (nested multiparts flattened). */
function leafParts(lines: readonly string[], boundary: string, depth = 0): Array<{ h: ParsedHeaders; body: string[] }> {
  return splitParts(lines, boundary).flatMap((part) => {
    const h = parseHeaders(part);
    const ct = parseContentType(header(h, 'content-type'));
    if (ct.type.startsWith('multipart/') && ct.params.boundary)
      return depth < MAX_DEPTH ? leafParts(part.slice(h.bodyStart), ct.params.boundary, depth + 1) : [];
    return [{ h, body: part.slice(h.bodyStart) }];
  });
}

/**
 * A patch sent as an attachment (text/x-patch, text/x-diff, or application/octet-stream named
 * *.patch/*.diff, as Gmail and Outlook send it): the attachment's decoded text when it holds a
 * diff, and the mail's other text parts (the sender's note). Undefined for an inline patch.
 */
export function patchAttachment(
  h: ParsedHeaders,
  bodyLines: readonly string[],
  binary = false,
): { text: string; note: string } | undefined {
  const ct = parseContentType(header(h, 'content-type'));
  if (!ct.type.startsWith('multipart/') || !ct.params.boundary) return undefined;
  const parts = leafParts(bodyLines, ct.params.boundary);
  for (const [i, part] of parts.entries()) {
    const pct = parseContentType(header(part.h, 'content-type'));
    const disposition = header(part.h, 'content-disposition') ?? '';
    const named = /\.(patch|diff)"?\s*(;|$)/i.test(`${disposition};${pct.params.name ?? ''}`);
    if (!PATCH_TYPES.test(pct.type) && !(named && pct.type !== 'text/html')) continue;
    const cte = (header(part.h, 'content-transfer-encoding') ?? '8bit').trim().toLowerCase();
    const text = decodeSingle(part.body.join('\n'), cte, pct.params.charset, binary).replace(/\r\n/g, '\n');
    if (findDiffStart(text.split('\n')) < 0) continue;
    const note = parts
      .filter((_, j) => j !== i)
      .filter((p) => parseContentType(header(p.h, 'content-type')).type === 'text/plain')
      .map((p) => decodeBody(p.h, p.body, binary).replace(/\n+$/, ''))
      .join('\n');
    return { text, note };
  }
  return undefined;
}
