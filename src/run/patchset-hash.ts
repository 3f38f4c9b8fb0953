import { createHash } from 'node:crypto';

/**
 * KCIDB's patchset hash: sha256 over the newline-terminated sha256 hex digests of each patch, in
 * order (`sha256sum *.patch | cut -c-64 | sha256sum | cut -c-64`); '' without patches. Pure.
 */
export function patchsetHash(patches: readonly string[]): string {
  if (patches.length === 0) return '';
  const outer = createHash('sha256');
  for (const p of patches) outer.update(`${createHash('sha256').update(p).digest('hex')}\n`);
  return outer.digest('hex');
}
