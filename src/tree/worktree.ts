import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CacheLayout } from '../common/cache.js';
import { onCleanup } from '../common/cleanup.js';
import { TreeError } from './errors.js';
import { commitSha, git, gitMaybe } from './git.js';
import type { KernelTree, Worktree } from './types.js';

let counter = 0;

/** Full sha of `rev` in the tree's repository; TreeError (exit 9) when it does not exist. */
export async function resolveRev(tree: KernelTree, rev: string): Promise<string> {
  const sha = await commitSha(tree.path, rev);
  if (!sha) {
    throw new TreeError(
      `Revision ${rev} does not exist in the kernel tree ${tree.path}. Name a commit, tag or branch of that repository (\`git -C ${tree.path} log --oneline\` lists them).`,
    );
  }
  return sha;
}

/** Add a detached worktree of the tree's repository at `path` (never a branch of the user's). */
export async function addDetachedWorktree(
  tree: KernelTree,
  path: string,
  sha: string,
  signal?: AbortSignal,
): Promise<void> {
  await git(tree.path, ['worktree', 'prune']);
  rmSync(path, { recursive: true, force: true });
  await git(tree.path, ['worktree', 'add', '--detach', '-f', path, sha], {
    what: `checking out ${sha.slice(0, 12)} into ${path}`,
    signal,
  });
}

/** Remove a worktree hmmci made, and its administrative entry in the repository. */
export async function removeWorktree(repo: string, path: string): Promise<void> {
  if (existsSync(path)) {
    await gitMaybe(repo, ['worktree', 'remove', '--force', '--force', path]);
    rmSync(path, { recursive: true, force: true });
  }
  await gitMaybe(repo, ['worktree', 'prune']);
}

/**
 * A throwaway detached worktree of `rev` under `cache.worktrees/` for one-off work. It is removed
 * by `remove()`, or by the cleanup handlers if the process is interrupted first.
 */
export async function createWorktree(
  tree: KernelTree,
  rev: string,
  cache: CacheLayout,
  opts: { signal?: AbortSignal } = {},
): Promise<Worktree> {
  const sha = await resolveRev(tree, rev);
  mkdirSync(cache.worktrees, { recursive: true });
  const path = resolve(join(cache.worktrees, `tmp-${tree.id}-${process.pid}-${++counter}`));
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    unregister();
    await removeWorktree(tree.path, path);
  };
  const unregister = onCleanup(`worktree ${path}`, remove);
  try {
    await addDetachedWorktree(tree, path, sha, opts.signal);
  } catch (err) {
    await remove();
    throw err;
  }
  return { path, rev: sha, remove };
}
