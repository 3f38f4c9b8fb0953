/**
 * Which commit a series is applied on: the series' `base-commit:` when the tree has it, else
 * `--base`, else the tree's baseline, with one sentence saying which and why.
 */
import { commitSha } from '../tree/git.js';
import { TreeError } from '../tree/errors.js';
import type { BaseChoice } from './types.js';

export interface BaseFacts {
  /** `base-commit:` of the series, as written. */
  baseCommit: string | null;
  /** Its full sha when the tree has that commit. */
  baseCommitSha?: string;
  /** `--base` as given, and its sha. */
  option?: string;
  optionSha?: string;
  /** The tree's baseline (full sha) and what it is called. */
  baseline: string;
  baselineName?: string;
}

/** Pure decision. */
export function decideBase(f: BaseFacts): BaseChoice {
  const short = (s: string) => s.slice(0, 12);
  if (f.baseCommit && f.baseCommitSha) {
    return {
      base: f.baseCommitSha,
      source: 'base-commit',
      reason: `the series' base-commit ${short(f.baseCommit)}, which this tree has${f.option ? ` (it takes precedence over --base ${f.option})` : ''}`,
    };
  }
  const missing = f.baseCommit
    ? `the series' base-commit ${short(f.baseCommit)} is not in this tree`
    : 'the series names no base-commit';
  if (f.option && f.optionSha) {
    return { base: f.optionSha, source: 'option', reason: `--base ${f.option}, since ${missing}` };
  }
  return {
    base: f.baseline,
    source: 'baseline',
    reason: `the tree's baseline${f.baselineName ? ` ${f.baselineName}` : ''}, since ${missing}`,
  };
}

/** Look the facts up in the repository and decide. `--base` that does not exist is a TreeError. */
export async function resolveBase(opts: {
  repo: string;
  baseCommit: string | null;
  option?: string;
  baseline: string;
  baselineName?: string;
  signal?: AbortSignal;
}): Promise<BaseChoice> {
  const sha = (rev: string) => commitSha(opts.repo, rev, { signal: opts.signal });
  const baseCommitSha =
    opts.baseCommit && /^[0-9a-f]{7,64}$/.test(opts.baseCommit) ? await sha(opts.baseCommit) : undefined;
  let optionSha: string | undefined;
  if (opts.option) {
    if (opts.option.startsWith('-'))
      throw new TreeError(`--base ${opts.option} is not a revision name; name a commit, tag or branch.`);
    optionSha = await sha(opts.option);
    if (!optionSha) {
      throw new TreeError(
        `--base ${opts.option} is not a commit of ${opts.repo}. Name a commit, tag or branch there (\`git -C ${opts.repo} log --oneline\`).`,
      );
    }
  }
  return decideBase({
    baseCommit: opts.baseCommit,
    baseCommitSha,
    option: opts.option,
    optionSha,
    baseline: opts.baseline,
    baselineName: opts.baselineName,
  });
}
