import type { Trailer } from './types.js';

/** Trailer keys the kernel uses (Documentation/process/submitting-patches.rst), as data. */
export const KNOWN_TRAILERS: readonly string[] = [
  'Signed-off-by',
  'Reviewed-by',
  'Acked-by',
  'Tested-by',
  'Cc',
  'Fixes',
  'Link',
  'Closes',
  'Reported-by',
  'Suggested-by',
  'Co-developed-by',
  'Reported-and-tested-by',
  'Requested-by',
  'Originally-by',
  'Debugged-by',
  'Message-ID',
];

const TRAILER = /^([A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]):\s+(\S.*)$/;
const CANONICAL = new Map(KNOWN_TRAILERS.map((k) => [k.toLowerCase(), k]));

/**
 * Trailers of a commit message: the trailing paragraphs made only of `Key: value` lines
 * (continuation lines start with whitespace). Like git interpret-trailers, a paragraph counts
 * when all its lines are trailers, or when it holds at least one known key and at least 3/4 of
 * its lines are trailers (stray `[ reworded ]` notes between trailers are common). Pure.
 */
export function parseTrailers(message: string): Trailer[] {
  const paragraphs = message.replace(/\s+$/, '').split(/\n[ \t]*\n/);
  const found: Trailer[][] = [];
  for (let p = paragraphs.length - 1; p >= 0; p--) {
    const parsed = trailerParagraph(paragraphs[p] ?? '');
    if (!parsed) break;
    found.unshift(parsed);
  }
  return found.flat();
}

function trailerParagraph(paragraph: string): Trailer[] | undefined {
  const lines = paragraph.split('\n');
  const out: Trailer[] = [];
  let other = 0;
  let known = false;
  for (const line of lines) {
    if (/^\s/.test(line) && out.length > 0) {
      const last = out[out.length - 1]!;
      last.value = `${last.value} ${line.trim()}`;
      continue;
    }
    const m = TRAILER.exec(line);
    if (m && !/^https?$/i.test(m[1] ?? '')) {
      const key = CANONICAL.get((m[1] ?? '').toLowerCase()) ?? m[1] ?? '';
      if (CANONICAL.has(key.toLowerCase())) known = true;
      out.push({ key, value: (m[2] ?? '').trim() });
    } else other++;
  }
  if (out.length === 0) return undefined;
  if (other === 0) return out;
  if (known && out.length >= 3 * other) return out;
  return undefined;
}
