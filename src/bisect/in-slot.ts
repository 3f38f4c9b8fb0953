import type { CacheLayout } from '../common/cache.js';
import { silentReporter, type Reporter } from '../common/progress.js';
import { acquireSlot, resetWorktree } from '../tree/slots.js';
import type { KernelTree } from '../tree/types.js';
import { bisect } from './driver.js';
import { rangeCommits } from './range.js';
import { slotTester, type KernelPipeline } from './slot-tester.js';
import type { BisectCommit, BisectReport, TestOutcome } from './types.js';

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
  cachedBase?: TestOutcome;
  cachedTip?: TestOutcome;
  reporter?: Reporter;
  signal?: AbortSignal;
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
  const slot = await acquireSlot({ tree: opts.tree, rev: commits[0]!.sha, configKey: opts.configKey, cache: opts.cache, reporter, signal: opts.signal });
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
export async function bisectSeries(opts: SlotBisectOptions & { baseRev: string; baseSubject?: string; apply(worktree: string): Promise<AppliedSeries> }): Promise<SlotBisectResult> {
  const reporter = opts.reporter ?? silentReporter;
  const slot = await acquireSlot({ tree: opts.tree, rev: opts.baseRev, configKey: opts.configKey, cache: opts.cache, reporter, signal: opts.signal });
  try {
    const applied = await opts.apply(slot.worktree);
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

async function runInSlot(opts: SlotBisectOptions, commits: BisectCommit[], worktree: string, buildDir: string): Promise<BisectReport> {
  const tester = slotTester({ worktree, buildDir, checkout: resetWorktree, pipeline: opts.pipeline, reporter: opts.reporter });
  return bisect({
    commits,
    tester,
    base: opts.cachedBase,
    tip: opts.cachedTip,
    patterns: opts.patterns,
    buildFailureIsBad: opts.buildFailureIsBad,
    reporter: opts.reporter,
    signal: opts.signal,
  });
}
