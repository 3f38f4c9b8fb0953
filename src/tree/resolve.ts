import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { CacheLayout } from '../common/cache.js';
import { shortHash } from '../common/hash.js';
import { silentReporter, type Reporter } from '../common/progress.js';
import { prepareDefaultTree } from './default-tree.js';
import { TreeError } from './errors.js';
import { commitSha, gitMaybe } from './git.js';
import type { KernelTree } from './types.js';
import { parseMakefileVersion } from './version.js';

export interface ResolveTreeRequest {
  /** `--tree DIR`: an existing kernel git checkout (or bare repository). Default: the default tree. */
  tree?: string;
  /** Revision of a user tree to use as baseline (default HEAD). */
  rev?: string;
  cache: CacheLayout;
  reporter?: Reporter;
  /** Tarball for the default tree (tests); see prepareDefaultTree. */
  tarball?: string;
  signal?: AbortSignal;
}

/**
 * The tree a run works from. With `tree`, adopt the user's checkout: it must be a git repository
 * whose top-level Makefile is a kernel's; it is only read (rev-parse, show) and later used through
 * `git worktree add --detach` into hmmci's cache, never checked out, reset or branched.
 * Without it, the default tree (prepared on first use).
 */
export async function resolveTree(req: ResolveTreeRequest): Promise<KernelTree> {
  if (!req.tree)
    return prepareDefaultTree({
      cache: req.cache,
      reporter: req.reporter ?? silentReporter,
      tarball: req.tarball,
      signal: req.signal,
    });
  return adoptUserTree(req.tree, req.rev ?? 'HEAD');
}

export async function adoptUserTree(dir: string, rev = 'HEAD'): Promise<KernelTree> {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new TreeError(
      `--tree ${dir}: no such directory. Give the path of a kernel git checkout, or leave --tree out to use the default tree made from Debian's linux-source package.`,
    );
  }
  const bare = (await gitMaybe(abs, ['rev-parse', '--is-bare-repository']))?.trim();
  if (bare === undefined) {
    throw new TreeError(
      `--tree ${dir} is not a git repository. hmmci works on kernel git checkouts (it makes its own worktrees and never touches yours): run \`git init && git add -f -A && git commit -m base\` in it first, or leave --tree out to use the default tree.`,
    );
  }
  const top =
    bare === 'true'
      ? resolve(abs, (await gitMaybe(abs, ['rev-parse', '--git-dir']))?.trim() ?? '.')
      : (await gitMaybe(abs, ['rev-parse', '--show-toplevel']))?.trim();
  if (!top) throw new TreeError(`--tree ${dir}: git could not find the top of the repository.`);
  const sha = await commitSha(top, rev);
  if (!sha) {
    throw new TreeError(
      `--tree ${dir}: revision ${rev} does not exist in that repository${rev === 'HEAD' ? ' (it has no commits yet)' : ''}. Commit the tree or name an existing revision.`,
    );
  }
  const makefile = await gitMaybe(top, ['show', `${sha}:Makefile`]);
  const version = makefile ? parseMakefileVersion(makefile) : undefined;
  if (!version) {
    throw new TreeError(
      `--tree ${dir} is a git repository but not a kernel tree: its top-level Makefile at ${sha.slice(0, 12)} has no VERSION/PATCHLEVEL. Point --tree at the top of a Linux source checkout.`,
    );
  }
  return { path: top, kind: 'user', baseline: sha, version: version.text, id: userTreeId(top) };
}

/** Stable cache name of a user repository: its folder name plus a hash of its absolute path. */
export function userTreeId(top: string): string {
  const name =
    basename(top)
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^\.+/, '') || 'repo';
  return `user-${name.slice(0, 32)}-${shortHash(top).slice(0, 8)}`;
}
