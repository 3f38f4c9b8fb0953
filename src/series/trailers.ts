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

/** Lines git itself writes into a trailer block (git's "git-generated" prefixes). */
const GIT_GENERATED = [/^Signed-off-by: /i, /^\(cherry picked from commit /];

/**
 * Trailers of a commit message (the text above `---`, subject excluded), by git
 * interpret-trailers' rule: only the LAST paragraph can be the trailer block, and it is one when
 * all its lines are trailers, or when it holds a git-generated or configured trailer
 * (Signed-off-by, `(cherry picked from commit …)`, or a kernel key of KNOWN_TRAILERS) and at least
 * 25% of its lines are trailers. Other lines inside the block (`[akpm@…: fix build]`, `(cherry
 * picked from …)`) are allowed and skipped; continuation lines (leading whitespace) extend the
 * trailer above. Paragraphs right above that block whose every line is a kernel tag (a Cc: block
 * separated from the Signed-off-by by a blank line) belong to it; an earlier `Before: 123 ms`
 * paragraph is prose. Pure.
 */
export function parseTrailers(message: string): Trailer[] {
  const paragraphs = message.replace(/\s+$/, '').split(/\n[ \t]*\n/);
  const last = trailerParagraph(paragraphs[paragraphs.length - 1] ?? '');
  if (!last) return [];
  // Kernel authors often leave a blank line between a block of Cc:/Fixes: tags and their
  // Signed-off-by (the p2p RFC in fixtures does). Such a paragraph is part of the trailers when
  // every one of its lines is a kernel tag (KNOWN_TRAILERS) — stricter than the last paragraph,
  // so a "Before: 123 ms" paragraph of prose stays prose.
  const blocks = [last];
  for (let i = paragraphs.length - 2; i > 0; i--) {
    const tags = kernelTagParagraph(paragraphs[i] ?? '');
    if (!tags) break;
    blocks.unshift(tags);
  }
  return blocks.flat();
}

function kernelTagParagraph(paragraph: string): Trailer[] | undefined {
  const out: Trailer[] = [];
  for (const line of paragraph.split('\n')) {
    const m = TRAILER.exec(line);
    const key = m ? CANONICAL.get((m[1] ?? '').toLowerCase()) : undefined;
    if (!m || !key) return undefined;
    out.push({ key, value: (m[2] ?? '').trim() });
  }
  return out.length ? out : undefined;
}

function trailerParagraph(paragraph: string): Trailer[] | undefined {
  const lines = paragraph.split('\n');
  const out: Trailer[] = [];
  let other = 0;
  let recognised = false;
  let lastWasTrailer = false;
  for (const line of lines) {
    if (/^\s/.test(line) && lastWasTrailer && out.length > 0) {
      const last = out[out.length - 1]!;
      last.value = `${last.value} ${line.trim()}`;
      continue;
    }
    if (GIT_GENERATED.some((re) => re.test(line))) recognised = true;
    const m = TRAILER.exec(line);
    if (m && !/^https?$/i.test(m[1] ?? '')) {
      const key = CANONICAL.get((m[1] ?? '').toLowerCase()) ?? m[1] ?? '';
      if (CANONICAL.has(key.toLowerCase())) recognised = true;
      out.push({ key, value: (m[2] ?? '').trim() });
      lastWasTrailer = true;
    } else {
      other++;
      lastWasTrailer = false;
    }
  }
  if (out.length === 0) return undefined;
  if (other === 0) return out;
  if (recognised && out.length * 3 >= other) return out;
  return undefined;
}
