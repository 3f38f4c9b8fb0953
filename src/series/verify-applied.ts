/**
 * What git actually applied, checked after `git am` (the text checks of safety.ts are only the
 * fast first line): the files each commit changed must be the files its mail's diff names, and
 * every symlink the series created or changed must resolve inside the worktree, following the
 * links the tree itself contains, the way the kernel build would read through them.
 */
import { posix } from 'node:path';
import { git, gitMaybe } from '../tree/git.js';
import { changedPath } from './diff.js';
import type { FileChange } from './types.js';

export interface CommittedEntry {
  status: string;
  oldMode: string;
  newMode: string;
  newSha: string;
  path: string;
}

/** `git diff-tree -r --raw --no-renames from to`: every path the commits changed. */
export async function committedEntries(
  worktree: string,
  from: string,
  to: string,
  signal?: AbortSignal,
): Promise<CommittedEntry[]> {
  // git() throws when git fails: an unread answer must never pass for "nothing changed".
  const out = await git(worktree, ['diff-tree', '-r', '-z', '--raw', '--no-renames', '--no-commit-id', from, to], {
    signal,
    what: `listing what git am committed in ${worktree}`,
  });
  const fields = out.split('\0');
  const entries: CommittedEntry[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const m = /^:(\d{6}) (\d{6}) [0-9a-f]+ ([0-9a-f]+) ([A-Z])/.exec(fields[i] ?? '');
    if (!m) break;
    entries.push({ oldMode: m[1]!, newMode: m[2]!, newSha: m[3]!, status: m[4]!, path: fields[i + 1] ?? '' });
  }
  return entries;
}

/**
 * What every commit of base..head changed, by commit sha (`git log --raw --no-renames`): one git
 * run for the whole series, so the check costs the hot path (run, bisect) next to nothing.
 */
export async function committedByCommit(
  worktree: string,
  base: string,
  head: string,
  signal?: AbortSignal,
): Promise<Map<string, CommittedEntry[]>> {
  const out = await git(
    worktree,
    ['log', '-z', '--raw', '--no-renames', '--no-abbrev', '--format=commit %H', `${base}..${head}`],
    {
      signal,
      what: `listing what git am committed in ${worktree}`,
    },
  );
  const bySha = new Map<string, CommittedEntry[]>();
  let current: CommittedEntry[] | undefined;
  const tokens = out.split('\0');
  for (let i = 0; i < tokens.length; i++) {
    const tok = (tokens[i] ?? '').replace(/^\n/, '');
    const commit = /^commit ([0-9a-f]{40,64})$/.exec(tok);
    if (commit) {
      current = [];
      bySha.set(commit[1]!, current);
      continue;
    }
    const m = /^:(\d{6}) (\d{6}) [0-9a-f]+ ([0-9a-f]+) ([A-Z])/.exec(tok);
    if (m && current)
      current.push({ oldMode: m[1]!, newMode: m[2]!, newSha: m[3]!, status: m[4]!, path: tokens[++i] ?? '' });
  }
  return bySha;
}

/** The paths a diff's file sections change: new and changed files, deleted and renamed-away ones. */
export function diffPaths(changes: readonly FileChange[]): Set<string> {
  const paths = new Set<string>();
  for (const c of changes) {
    const to = changedPath(c);
    if (to && to !== '/dev/null') paths.add(to);
    if ((c.isRename || c.isDeleted) && c.from && c.from !== '/dev/null') paths.add(c.from);
  }
  return paths;
}

/** Files the mail names that git did not commit, and files git committed that the mail's scan did not see. */
export function fileSetDifference(
  expected: ReadonlySet<string>,
  committed: readonly CommittedEntry[],
): { missing: string[]; unseen: string[] } {
  const got = new Set(committed.map((e) => e.path));
  return {
    missing: [...expected].filter((p) => !got.has(p)).sort(),
    unseen: [...got].filter((p) => !expected.has(p)).sort(),
  };
}

export interface LinkEscape {
  path: string;
  target: string;
  why: string;
}

const MAX_HOPS = 40;

/**
 * Resolve `target` of the link at `linkPath` inside a tree whose symlinks are `links` (path →
 * target, read lazily): components one by one, `..` climbing from where the walk really is (after
 * a link, from its target, as the kernel does), links met on the way followed. A result
 * outside the top, an absolute target anywhere on the way, git metadata or a loop is an escape.
 */
export async function resolveInTree(
  linkPath: string,
  target: string,
  isLink: (p: string) => boolean,
  targetOf: (p: string) => Promise<string>,
): Promise<{ resolved?: string; why?: string }> {
  let hops = 0;
  const walk = async (dir: string[], t: string): Promise<string[] | string> => {
    if (t.startsWith('/')) return `points at the absolute path ${JSON.stringify(t)}`;
    const cur = [...dir];
    for (const comp of t.split('/')) {
      if (comp === '' || comp === '.') continue;
      if (comp === '..') {
        if (cur.length === 0) return 'climbs above the top of the worktree';
        cur.pop();
        continue;
      }
      if (comp.toLowerCase() === '.git') return 'points into git metadata (.git)';
      cur.push(comp);
      const p = cur.join('/');
      if (isLink(p)) {
        if (++hops > MAX_HOPS) return 'is a loop of symlinks';
        const r = await walk(cur.slice(0, -1), await targetOf(p));
        if (typeof r === 'string') return `${r} (through the link ${p})`;
        cur.splice(0, cur.length, ...r);
      }
    }
    return cur;
  };
  const r = await walk(posix.dirname(linkPath) === '.' ? [] : posix.dirname(linkPath).split('/'), target);
  return typeof r === 'string' ? { why: r } : { resolved: r.join('/') };
}

/**
 * Every symlink at `head` that the commits base..head created or changed, resolved inside the
 * tree at `head`; the ones that leave it.
 */
export async function escapingLinks(
  worktree: string,
  base: string,
  head: string,
  signal?: AbortSignal,
): Promise<LinkEscape[]> {
  const changed = (await committedEntries(worktree, base, head, signal)).filter((e) => e.newMode === '120000');
  if (changed.length === 0) return [];
  const listing = await git(worktree, ['ls-tree', '-r', '-z', '--full-tree', head], {
    signal,
    what: `listing the symlinks of ${worktree}`,
  });
  const links = new Map<string, string>();
  for (const rec of listing.split('\0')) {
    const m = /^120000 blob ([0-9a-f]+)\t([^]*)$/.exec(rec);
    if (m) links.set(m[2]!, m[1]!);
  }
  const targets = new Map<string, string>();
  const targetOf = async (p: string) => {
    const cached = targets.get(p);
    if (cached !== undefined) return cached;
    const t = (await gitMaybe(worktree, ['cat-file', 'blob', links.get(p) ?? ''], { signal })) ?? '/';
    targets.set(p, t);
    return t;
  };
  const out: LinkEscape[] = [];
  for (const e of changed) {
    const target = await targetOf(e.path);
    const r = await resolveInTree(e.path, target, (p) => links.has(p), targetOf);
    if (r.why) out.push({ path: e.path, target, why: r.why });
  }
  return out;
}
