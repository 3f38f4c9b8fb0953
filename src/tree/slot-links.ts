import { copyFileSync, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run } from '../common/exec.js';
import { git, gitMaybe } from './git.js';
import type { KernelTree } from './types.js';

/**
 * Make sure the default tree's repository ignores ctime (set by prepare; a tree prepared by an
 * older hmmci gets it here). Two slots made at once may race on the config file's lock: the
 * loser reads the setting again, and without it the caller checks out instead.
 */
async function ctimeIgnored(repo: string): Promise<boolean> {
  const get = async () => (await gitMaybe(repo, ['config', '--get', 'core.trustctime']))?.trim() === 'false';
  if (await get()) return true;
  await gitMaybe(repo, ['config', 'core.trustctime', 'false']);
  return get();
}

/**
 * The first worktree of a slot of hmmci's default tree, without writing its ~86,700 files again:
 * `git worktree add --no-checkout`, then every file of the default tree's working tree hard-linked
 * into it (`cp -al`: directories are made, file data is shared) and the default tree's index
 * copied as the worktree's index. The index's stat data (inode, mtime, size) matches the links, so
 * git sees a clean worktree without reading a file; the repository has `core.trustctime false`
 * because making a link changes a file's ctime and nothing else. The caller then resets the
 * worktree to `sha` (`resetWorktree`): files that differ from the default tree's commit, or that
 * somebody changed in the default tree, are found by git's stat check and written afresh.
 *
 * Sharing inodes is safe because git never writes a tracked file in place: checkout, am and
 * apply unlink a file and create a new one, so a patched file gets its own inode and the default
 * tree and the other slots keep theirs; kbuild writes only into the build dir (O=).
 *
 * Only for a default tree (hmmci owns its repository and working tree; a user's checkout is never
 * linked). Returns false, leaving nothing behind, when linking is not possible (another
 * filesystem, no index): the caller then checks the worktree out the ordinary way.
 */
export async function addLinkedWorktree(
  tree: KernelTree,
  path: string,
  sha: string,
  opts: { signal?: AbortSignal; onStep?: (name: string) => void } = {},
): Promise<boolean> {
  const { signal } = opts;
  const mainIndex = join(tree.path, '.git', 'index');
  if (tree.kind !== 'default' || !existsSync(mainIndex)) return false;
  opts.onStep?.('git worktree add --no-checkout');
  if (!(await ctimeIgnored(tree.path))) return false;
  await git(tree.path, ['worktree', 'prune']);
  rmSync(path, { recursive: true, force: true });
  await git(tree.path, ['worktree', 'add', '--no-checkout', '--detach', '-f', path, sha], {
    what: `adding the worktree ${path}`,
    signal,
  });
  opts.onStep?.('cp -al (hard links)');
  const entries = readdirSync(tree.path)
    .filter((n) => n !== '.git')
    .map((n) => resolve(tree.path, n));
  const linked = entries.length
    ? await run('cp', ['-al', '-t', path, '--', ...entries], { signal, env: { ...process.env, LC_ALL: 'C' } })
    : undefined;
  if (linked && linked.exitCode !== 0) {
    await git(tree.path, ['worktree', 'remove', '--force', '--force', path]).catch(() => undefined);
    rmSync(path, { recursive: true, force: true });
    return false;
  }
  // The index goes in last and whole: a worktree without one (a link step killed by SIGKILL) is
  // still repaired by the reset, which then writes every file.
  opts.onStep?.('index copy');
  const index = (await git(path, ['rev-parse', '--path-format=absolute', '--git-path', 'index'])).trim();
  copyFileSync(mainIndex, `${index}.hmmci-tmp`);
  renameSync(`${index}.hmmci-tmp`, index);
  return true;
}
