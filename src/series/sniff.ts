/**
 * What kind of bytes a series input holds, before any parsing: an mbox or mail, or something a
 * user saved by mistake (an HTML page, a gzip file, binary data, nothing). Pure.
 */

export type InputShape =
  | { kind: 'text'; text: string; binary8bit: boolean }
  | { kind: 'empty' }
  | { kind: 'gzip' }
  | { kind: 'xz' }
  | { kind: 'html' }
  | { kind: 'binary'; nulBytes: number; controlBytes: number };

export function sniffInput(bytes: Uint8Array): InputShape {
  if (bytes.length === 0 || bytes.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09))
    return { kind: 'empty' };
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return { kind: 'gzip' };
  if (bytes[0] === 0xfd && bytes[1] === 0x37 && bytes[2] === 0x7a && bytes[3] === 0x58) return { kind: 'xz' };
  let nul = 0;
  let control = 0;
  const probe = bytes.subarray(0, 64 * 1024);
  for (const b of probe) {
    if (b === 0) nul++;
    else if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) control++;
  }
  if (nul > 0 || control > probe.length / 100) return { kind: 'binary', nulBytes: nul, controlBytes: control };
  let text: string;
  let binary8bit = false;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Not UTF-8: keep the bytes one char each; bodies are decoded with their own charset later.
    text = Buffer.from(bytes).toString('latin1');
    binary8bit = true;
  }
  const head = text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .slice(0, 512)
    .toLowerCase();
  if (
    head.startsWith('<!doctype html') ||
    head.startsWith('<html') ||
    (head.startsWith('<') && /<(head|body|title)[\s>]/.test(head))
  ) {
    return { kind: 'html' };
  }
  return { kind: 'text', text, binary8bit };
}
