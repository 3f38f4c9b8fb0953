/**
 * Patches are untrusted. Before anything is applied, every path a patch names is checked: no
 * absolute path, no `..` component, nothing under `.git/`, no symlink whose target leaves the
 * tree, and no write through a symlink the series itself creates. Pure.
 */
import { posix } from 'node:path';
import { changedPath } from './diff.js';
import type { Patch } from './types.js';

export interface SafetyProblem {
  patch: number;
  total: number;
  subject: string;
  path: string;
  problem: string;
}

function pathProblem(path: string): string | undefined {
  if (path === '/dev/null' || path === '') return undefined;
  if (path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\')) return 'is an absolute path';
  const parts = path.split(/[\\/]+/);
  if (parts.includes('..')) return 'climbs out of the tree with a `..` component';
  if (parts.some((p) => p.toLowerCase() === '.git')) return 'writes into git metadata (`.git/`)';

  if (/[\x00-\x1f]/.test(path)) return 'contains control characters';
  return undefined;
}

/** Where a symlink at `linkPath` with `target` points, relative to the tree top; undefined when outside. */
export function symlinkDestination(linkPath: string, target: string): string | undefined {
  if (target.startsWith('/')) return undefined;
  const joined = posix.normalize(posix.join(posix.dirname(linkPath), target));
  if (joined === '..' || joined.startsWith('../') || joined.startsWith('/')) return undefined;
  return joined;
}

export function checkSeriesSafety(patches: readonly Patch[]): SafetyProblem[] {
  const problems: SafetyProblem[] = [];
  const links = new Set<string>();
  for (const p of patches) {
    const add = (path: string, problem: string) =>
      problems.push({ patch: p.index, total: p.total, subject: p.subject, path, problem });
    for (const c of p.changes) {
      for (const path of new Set([c.from, c.to])) {
        const bad = pathProblem(path);
        if (bad) add(path, bad);
        // Writing below a symlink this series made (or any earlier link path) escapes the tree.
        for (const link of links) {
          if (path.startsWith(`${link}/`))
            add(path, `writes through the symlink ${link} created earlier in the series`);
        }
      }
      if (c.newMode === '120000' || c.oldMode === '120000') {
        const path = changedPath(c);
        links.add(path);
        if (c.symlinkTarget !== undefined && symlinkDestination(path, c.symlinkTarget) === undefined) {
          add(path, `is a symlink to ${JSON.stringify(c.symlinkTarget)}, outside the tree`);
        }
      }
    }
  }
  return problems;
}
