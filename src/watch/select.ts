/**
 * Which series the watcher tests: those touching the HMM entry of the tree's own MAINTAINERS
 * file (its F: patterns, matched as scripts/get_maintainer.pl does) or the extra paths (`--paths`,
 * default mm/migrate_device.c, include/linux/migrate.h, include/linux/memremap.h, mm/memremap.c).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const HMM_ENTRY = 'HMM - Heterogeneous Memory Management';

/** The entry as Linux 6.12 has it: used only when the tree has no MAINTAINERS or no such entry. */
export const BUILTIN_HMM_PATTERNS: readonly string[] = [
  'Documentation/mm/hmm.rst',
  'include/linux/hmm*',
  'lib/test_hmm*',
  'mm/hmm*',
  'tools/testing/selftests/mm/*hmm*',
];

export const DEFAULT_EXTRA_PATHS: readonly string[] = [
  'mm/migrate_device.c',
  'include/linux/migrate.h',
  'include/linux/memremap.h',
  'mm/memremap.c',
];

export interface Selection {
  patterns: string[];
  /** Where the patterns came from, for the log. */
  source: string;
  matches(path: string): boolean;
}

/** The F: lines of the MAINTAINERS entry titled `title` (case-insensitive), or undefined. */
export function entryPatterns(maintainers: string, title = HMM_ENTRY): string[] | undefined {
  const lines = maintainers.split('\n');
  const at = lines.findIndex((l) => l.trim().toLowerCase() === title.toLowerCase());
  if (at < 0) return undefined;
  const out: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (!line.trim()) break;
    const m = /^F:\s*(\S+)/.exec(line);
    if (m) out.push(m[1] as string);
  }
  return out;
}

/** get_maintainer.pl's file_match_pattern: `*`/`?` globs, a trailing `/` matches below, else same depth. */
export function patternMatches(pattern: string, path: string): boolean {
  if (pattern.endsWith('/')) return path.startsWith(pattern);
  if (!/[*?]/.test(pattern) && path.startsWith(`${pattern}/`)) return true;
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  if (!re.test(path)) return false;
  return path.split('/').length === pattern.split('/').length;
}

export function selectionFor(patterns: readonly string[], source: string): Selection {
  const list = [...patterns];
  return { patterns: list, source, matches: (p) => list.some((pat) => patternMatches(pat, p)) };
}

/** The tree's HMM entry plus the extra paths; the built-in entry (said in `source`) when the tree lacks it. */
export function loadSelection(treeDir: string | undefined, extra: readonly string[] = DEFAULT_EXTRA_PATHS): Selection {
  let text: string | undefined;
  try {
    text = treeDir ? readFileSync(join(treeDir, 'MAINTAINERS'), 'utf8') : undefined;
  } catch {
    text = undefined;
  }
  const fromTree = text ? entryPatterns(text) : undefined;
  if (fromTree && fromTree.length) {
    return selectionFor(
      [...fromTree, ...extra],
      `the "${HMM_ENTRY}" entry of ${join(treeDir as string, 'MAINTAINERS')} (${fromTree.length} F: patterns) + ${extra.length} extra path(s)`,
    );
  }
  const why = text ? `has no "${HMM_ENTRY}" entry` : 'has no MAINTAINERS file';
  return selectionFor(
    [...BUILTIN_HMM_PATTERNS, ...extra],
    `hmmci's copy of the Linux 6.12 HMM entry (the tree ${why}) + ${extra.length} extra path(s)`,
  );
}
