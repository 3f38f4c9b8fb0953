const CONTROL = /[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/gu;
const CONTROL_BUT_LINES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/gu;

const escape = (c: string) => {
  const n = c.codePointAt(0) ?? 0;
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
};

/**
 * Text from a mail (series titles, authors) made safe for a terminal or a page: control
 * characters (ESC, CR, BEL, C1), bidi overrides and other invisible format characters become
 * visible `\xNN` / `\u{…}` escapes, so a subject cannot move the cursor, retitle the window or
 * hide text.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, escape);
}

/** The same for multi-line text (logs, traces): newlines and tabs stay. */
export function printableLines(text: string): string {
  return text.replace(CONTROL_BUT_LINES, escape);
}
