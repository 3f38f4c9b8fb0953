/**
 * Split an mbox into messages. Pure and line-streaming: feed lines (from a file, a pipe, git
 * format-patch) and messages come out as soon as the next `From ` separator is seen.
 *
 * A separator is a `From ` line that carries an envelope date, as every mbox writer makes it
 * (`From 1a2b… Mon Sep 17 00:00:00 2001` from git format-patch, `From mboxrd@z Thu Jan  1
 * 00:00:00 1970` from lore, `From x at example.org  Sat Nov 21 12:00:00 2026` from a Mailman/pipermail
 * archive, which hides the `@`). A `From ` line without a date is message text, which is what git
 * mailsplit does too. In an mboxrd (see isMboxrd) `>From `, `>>From ` … lines are unescaped by
 * one `>`; CRLF line endings become LF.
 */

const FROM_LINE =
  /^From (?:\S+ at \S+|\S+)\s+(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),? )?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d{1,2}:\d{2}(?::\d{2})? /;
const ESCAPED_FROM = /^>(>*From )/;

export function isFromLine(line: string): boolean {
  return FROM_LINE.test(line);
}

export interface RawMessage {
  /** 1-based message number in the mbox. */
  number: number;
  /** The envelope `From ` line, when the message had one. */
  envelope?: string;
  /** Message lines (headers and body), LF-free, unescaped. */
  lines: string[];
}

/**
 * Whether `>From ` lines of a text are mboxrd escapes (to unescape) or literal text: mboxrd when
 * a separator says so (`From mboxrd@z …`, lore) or when a `>>From ` line shows the escaping.
 * Plain `git format-patch` output is not escaped at all: there a `>From ` line is text.
 */
export function isMboxrd(lines: readonly string[]): boolean {
  return lines.some((l) => l.startsWith('From mboxrd@z ') || /^>>+From /.test(l));
}

/**
 * Split lines of an mbox (or of a single mail without envelope) into raw messages;
 * `unescape: false` keeps `>From ` lines as they are (see isMboxrd).
 */
export function* splitMbox(lines: Iterable<string>, opts: { unescape?: boolean } = {}): Generator<RawMessage> {
  const unescape = opts.unescape ?? true;
  let current: RawMessage | undefined;
  let number = 0;
  for (let line of lines) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (isFromLine(line)) {
      if (current && hasContent(current)) yield trimTrailingBlank(current);
      current = { number: ++number, envelope: line, lines: [] };
      continue;
    }
    if (!current) current = { number: ++number, lines: [] };
    current.lines.push(unescape && ESCAPED_FROM.test(line) ? line.slice(1) : line);
  }
  if (current && hasContent(current)) yield trimTrailingBlank(current);
}

/** Split a whole text into lines without the trailing empty string of a final newline. */
export function textLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function hasContent(m: RawMessage): boolean {
  return m.lines.some((l) => l.trim() !== '');
}

/** The blank line an mbox writer puts before the next `From ` is not part of the message. */
function trimTrailingBlank(m: RawMessage): RawMessage {
  const lines = m.lines.slice();
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return { ...m, lines };
}
