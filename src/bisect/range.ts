import { git } from '../tree/git.js';
import { TreeError } from '../tree/errors.js';
import { resolveRev } from '../tree/worktree.js';
import type { KernelTree } from '../tree/types.js';
import type { BisectCommit } from './types.js';

/**
 * The commits of `--good A --bad B` in a tree's repository, as a bisect history: index 0 is A,
 * then every commit of A..B along B's first-parent line, oldest first, ending with B. Following
 * first parents keeps the history linear (a merged topic branch is one step, its merge commit),
 * which is what a binary search over "index i" needs. Read-only: only `rev-parse`/`log` run in
 * the user's repository.
 */
export async function rangeCommits(tree: KernelTree, good: string, bad: string): Promise<BisectCommit[]> {
  const goodSha = await resolveRev(tree, good);
  const badSha = await resolveRev(tree, bad);
  if (goodSha === badSha) {
    throw new TreeError(
      `--good ${good} and --bad ${bad} are the same commit (${goodSha.slice(0, 12)}): there is nothing between them to bisect.`,
    );
  }
  const isAncestor = await git(tree.path, ['merge-base', goodSha, badSha]).then(
    (s) => s.trim() === goodSha,
    () => false,
  );
  if (!isAncestor) {
    throw new TreeError(
      `--good ${good} (${goodSha.slice(0, 12)}) is not an ancestor of --bad ${bad} (${badSha.slice(0, 12)}) in ${tree.path}. The good commit must come before the bad one in the bad commit's history; swap them if you meant the opposite.`,
    );
  }
  const log = await git(
    tree.path,
    ['log', '--first-parent', '--reverse', '--format=%H%x00%s', `${goodSha}..${badSha}`],
    { what: `listing ${good}..${bad}` },
  );
  const subjectOf = async (sha: string) => (await git(tree.path, ['log', '-1', '--format=%s', sha])).trim();
  const commits: BisectCommit[] = [{ index: 0, sha: goodSha, subject: await subjectOf(goodSha) }];
  for (const line of log.split('\n')) {
    if (!line) continue;
    const [sha, subject = ''] = line.split('\0');
    commits.push({ index: commits.length, sha: sha!, subject });
  }
  const firstParent = commits.length > 1 ? (await git(tree.path, ['rev-parse', `${commits[1]!.sha}^1`])).trim() : '';
  if (firstParent !== goodSha) {
    // B is reached from A only through a side branch: its first-parent line never meets A.
    throw new TreeError(
      `--bad ${bad} does not reach --good ${good} along its first-parent history in ${tree.path}; give a good commit on the bad commit's main line.`,
    );
  }
  return commits;
}
