import type { CacheLayout } from '../common/cache.js';
import { onCleanup } from '../common/cleanup.js';
import { silentReporter, type Reporter } from '../common/progress.js';
import { git } from '../tree/git.js';
import { acquireSlot, resetWorktree } from '../tree/slots.js';
import type { KernelTree } from '../tree/types.js';
import { bisect } from './driver.js';
import { rangeCommits } from './range.js';
import { slotTester, type KernelPipeline } from './slot-tester.js';
import type { BisectCommit, BisectReport, CommitOutcome } from './types.js';

/**
 * The two bisect jobs, each in one slot of hmmci's (a worktree + build dir in the cache, never the
 * user's checkout), every step an incremental build in that same pair.
 */

export interface SlotBisectOptions {
  tree: KernelTree;
  cache: CacheLayout;
  /** Which config the slot builds (kconfig's config key): build dirs are per config. */
  configKey: string;
  pipeline: KernelPipeline;
  patterns?: readonly string[];
  buildFailureIsBad?: boolean;
  /** Cached results of the ends (baseline cache, a prior `hmmci run`). */
  cachedBase?: CommitOutcome;
  cachedTip?: CommitOutcome;
  /** Look the ends up once the slot holds the commits (base sha known, worktree usable). */
  lookupEnds?(slot: {
    worktree: string;
    buildDir: string;
    commits: readonly BisectCommit[];
  }): Promise<{ base?: CommitOutcome; tip?: CommitOutcome; from: string[] }>;
  reporter?: Reporter;
  signal?: AbortSignal;
  onTested?(commit: BisectCommit, outcome: CommitOutcome): void;
}

export interface SlotBisectResult {
  report: BisectReport;
  commits: BisectCommit[];
  worktree: string;
  buildDir: string;
}

/** `hmmci bisect --good A --bad B [--tree DIR]`. */
export async function bisectRange(opts: SlotBisectOptions & { good: string; bad: string }): Promise<SlotBisectResult> {
  const reporter = opts.reporter ?? silentReporter;
  const commits = await rangeCommits(opts.tree, opts.good, opts.bad);
  reporter.info(`bisect: ${commits.length - 1} commits in ${opts.good}..${opts.bad}`);
  const slot = await acquireSlot({
    tree: opts.tree,
    rev: commits[0]!.sha,
    configKey: opts.configKey,
    cache: opts.cache,
    reporter,
    signal: opts.signal,
  });
  try {
    const report = await runInSlot(opts, commits, slot.worktree, slot.buildDir);
    return { report, commits, worktree: slot.worktree, buildDir: slot.buildDir };
  } finally {
    await slot.release();
  }
}

/** What applying a series in the slot's worktree made: the base and one commit per patch. */
export interface AppliedSeries {
  base: string;
  commits: readonly { sha: string; index: number; subject: string }[];
}

/**
 * `hmmci bisect <series>`: apply the whole series in a slot checked out at `baseRev` (`apply` is the
 * series stage's applySeries, which aborts cleanly on failure), then bisect its patches: index i
 * is the commit `git am` made for patch i of N.
 */
export async function bisectSeries(
  opts: SlotBisectOptions & {
    baseRev: string;
    baseSubject?: string;
    apply(worktree: string, base: string): Promise<AppliedSeries>;
  },
): Promise<SlotBisectResult> {
  const reporter = opts.reporter ?? silentReporter;
  const slot = await acquireSlot({
    tree: opts.tree,
    rev: opts.baseRev,
    configKey: opts.configKey,
    cache: opts.cache,
    reporter,
    signal: opts.signal,
  });
  try {
    // An interrupt mid-`git am` must not leave a half-applied worktree behind.
    const unreset = onCleanup(`reset worktree ${slot.worktree}`, () => resetWorktree(slot.worktree, slot.rev));
    let applied: AppliedSeries;
    try {
      applied = await opts.apply(slot.worktree, slot.rev);
    } finally {
      unreset();
    }
    const commits: BisectCommit[] = [
      { index: 0, sha: applied.base, subject: opts.baseSubject ?? 'base (the series not applied)' },
      ...applied.commits.map((c, i) => ({ index: i + 1, sha: c.sha, subject: c.subject })),
    ];
    const report = await runInSlot(opts, commits, slot.worktree, slot.buildDir);
    return { report, commits, worktree: slot.worktree, buildDir: slot.buildDir };
  } finally {
    await slot.release();
  }
}

async function changedFiles(worktree: string, from: string, to: string): Promise<string[]> {
  return (await git(worktree, ['diff', '--name-only', '--no-renames', from, to])).split('\n').filter(Boolean);
}

async function runInSlot(
  opts: SlotBisectOptions,
  commits: BisectCommit[],
  worktree: string,
  buildDir: string,
): Promise<BisectReport> {
  let base = opts.cachedBase;
  let tip = opts.cachedTip;
  if (opts.lookupEnds && (!base || !tip)) {
    const found = await opts.lookupEnds({ worktree, buildDir, commits });
    base ??= found.base;
    tip ??= found.tip;
    const what = [found.base && !opts.cachedBase ? 'base' : '', found.tip && !opts.cachedTip ? 'tip' : '']
      .filter(Boolean)
      .join(' and ');
    if (what) opts.reporter?.info(`bisect: results of the ${what} from ${found.from.join(', ')} (no build needed)`);
  }
  const tester = slotTester({
    worktree,
    buildDir,
    checkout: resetWorktree,
    changedFiles,
    pipeline: opts.pipeline,
    reporter: opts.reporter,
  });
  return bisect({
    commits,
    tester,
    base,
    tip,
    patterns: opts.patterns,
    buildFailureIsBad: opts.buildFailureIsBad,
    reporter: opts.reporter,
    signal: opts.signal,
    onTested: opts.onTested,
  });
}
