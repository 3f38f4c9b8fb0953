/**
 * Text from a mail shown to people (a terminal, an error paragraph, the mail report): C0 and C1
 * control characters other than tab and newline, and DEL, are made visible as `\xNN` (ESC, CSI,
 * OSC and BEL sequences can no longer move the cursor, retitle a window or hide text). JSON keeps
 * the exact text. Pure.
 */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export function visible(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** visible() of a one-line field (a subject, an author, a path): newlines become `\n` too. */
export function visibleLine(text: string): string {
  return visible(text).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
