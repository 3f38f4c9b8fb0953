/**
 * RFC 5322 headers: unfolding, RFC 2047 encoded words (Q and B, any charset TextDecoder knows),
 * and the reverse (encoding a header value for the mails handed to git am). Pure.
 */

export interface ParsedHeaders {
  /** Lower-cased name → values in order (a header may repeat). */
  fields: Map<string, string[]>;
  /** Index of the first body line (after the blank line). */
  bodyStart: number;
  /** Lines before the blank line that were not `Name: value` nor a continuation. */
  invalid: string[];
}

const HEADER = /^([!-9;-~]+):[ \t]?(.*)$/;

export function parseHeaders(lines: readonly string[]): ParsedHeaders {
  const fields = new Map<string, string[]>();
  const invalid: string[] = [];
  let name: string | undefined;
  let value = '';
  const flush = () => {
    if (name === undefined) return;
    const list = fields.get(name) ?? [];
    list.push(value.trim());
    fields.set(name, list);
    name = undefined;
    value = '';
  };
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') {
      i++;
      break;
    }
    if ((line.startsWith(' ') || line.startsWith('\t')) && name !== undefined) {
      // Folding: the CRLF WSP is removed, the WSP kept (RFC 5322 3.2.2).
      value += line;
      continue;
    }
    const m = HEADER.exec(line);
    if (m) {
      flush();
      name = (m[1] ?? '').toLowerCase();
      value = m[2] ?? '';
    } else {
      flush();
      invalid.push(line);
      // A line that is no header at all ends the header block (a mail without blank line).
      if (invalid.length > 2) break;
    }
  }
  flush();
  return { fields, bodyStart: i, invalid };
}

export function header(h: ParsedHeaders, name: string): string | undefined {
  return h.fields.get(name.toLowerCase())?.[0];
}

const ENCODED_WORD = /=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=/g;

/** Decode RFC 2047 encoded words; whitespace between two adjacent encoded words is dropped. */
export function decodeEncodedWords(value: string): string {
  const joined = value.replace(/(\?=)\s+(=\?)/g, '$1$2');
  return joined.replace(ENCODED_WORD, (whole, charset: string, enc: string, text: string) => {
    try {
      const bytes = enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : qWordBytes(text);
      return decodeBytes(bytes, charset.replace(/\*.*$/, ''));
    } catch {
      return whole;
    }
  });
}

function qWordBytes(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '_') out.push(0x20);
    else if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(text.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}

/** Bytes in a named charset to a string; unknown charsets fall back to UTF-8, then Latin-1. */
export function decodeBytes(bytes: Uint8Array, charset = 'utf-8'): string {
  let cs = charset.trim().toLowerCase() || 'utf-8';
  // TextDecoder reads "us-ascii" as windows-1252; mailers label UTF-8 attachments us-ascii, and
  // unknown-8bit says nothing: read them as UTF-8 (Latin-1 only when that is invalid).
  if (/^(us-ascii|ascii|ansi_x3\.4-1968|iso646-us|unknown-8bit|x-unknown|unknown)$/.test(cs)) cs = 'utf-8';
  try {
    return new TextDecoder(cs, { fatal: true }).decode(bytes);
  } catch {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return new TextDecoder('latin1').decode(bytes);
    }
  }
}

/** Encode a header value for a mail git am reads: ASCII stays, anything else is a Q word. */
export function encodeHeaderValue(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  // Keep `Name <addr>` readable: encode only the display name.
  const addr = /^(.*?)(\s*<[^<>]*>)$/.exec(value);
  if (addr && /^[\x20-\x7e]*$/.test(addr[2] ?? '')) return `${qEncode(addr[1] ?? '')}${addr[2]}`;
  return qEncode(value);
}

function qEncode(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if (b === 0x20) out += '_';
    else if (b > 0x20 && b < 0x7f && !'=?_"(),.:;<>@[\\]'.includes(c)) out += c;
    else out += `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `=?UTF-8?q?${out}?=`;
}

/** `Name <addr>` from a From header (decoded, quotes around the name removed). */
export function normalizeAddress(value: string): string {
  // Mailman/pipermail archives write `user at example.org (Name)`: put the `@` back.
  const decoded = decodeEncodedWords(value)
    .trim()
    .replace(/^([^\s<>()@"]+) at ([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?=\s*(?:\(|$))/, '$1@$2')
    .replace(/<([^\s<>@]+) at ([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>$/, '<$1@$2>');
  const m = /^"?(.*?)"?\s*<([^<>]+)>$/.exec(decoded);
  if (m) {
    const name = (m[1] ?? '').replace(/\\(.)/g, '$1').trim();
    return name ? `${name} <${m[2]}>` : `<${m[2]}>`;
  }
  // `addr (Name)` (old style)
  const old = /^([^\s()]+@[^\s()]+)\s*\((.*)\)$/.exec(decoded);
  if (old) return `${old[2]} <${old[1]}>`;
  return decoded;
}

/** Message-ID without angle brackets. */
export function normalizeMessageId(value: string | undefined): string {
  if (!value) return '';
  const m = /<([^<>\s]+)>/.exec(value);
  return (m ? m[1] : value.trim()) ?? '';
}

/** ISO 8601 form of an RFC 5322 date, or undefined when it does not parse. */
export function isoDate(value: string): string | undefined {
  const ms = Date.parse(value.replace(/\s*\([^)]*\)\s*$/, ''));
  if (Number.isNaN(ms)) return undefined;
  return new Date(ms).toISOString();
}
