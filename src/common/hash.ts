import { createHash } from 'node:crypto';

/** Short stable hash of strings (config text, file lists) used in cache keys. */
export function shortHash(...parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\0');
  }
  return h.digest('hex').slice(0, 12);
}
