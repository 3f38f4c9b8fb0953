import type { TestRunResult } from '../results/types.js';

/**
 * One commit of the bisected history. Index 0 is the good base (the unpatched tree, or `--good`);
 * index N is the bad tip (the whole series applied, or `--bad`). For a series, index i is the
 * commit made by patch i of N.
 */
export interface BisectCommit {
  index: number;
  sha: string;
  subject: string;
}

/** What one commit's verdict is, git-bisect style (exit 0 / 1 / 125). */
export type Verdict = 'good' | 'bad' | 'skip';

/**
 * What testing one commit produced. Side effects (checkout, build, boot) live behind
 * `CommitTester`; everything that decides is pure and works on these values.
 */
export type CommitOutcome =
  | { kind: 'results'; result: TestRunResult; ms: number; built: boolean; consoleLogPath?: string; accel?: string }
  | { kind: 'build-failure'; ms: number; built: boolean; logPath?: string; errors?: string[] }
  /** The kernel built but the guest gave no results (boot failure, panic before tests, hang). */
  | { kind: 'no-results'; ms: number; built: boolean; reason: string; consoleLogPath?: string };

export interface CommitTester {
  /**
   * Check out, build and test one commit. `rerun` asks to test the commit that is already built
   * again (a second boot, no rebuild) to tell a flaky test from a real flip.
   */
  test(commit: BisectCommit, opts: { rerun: boolean; signal?: AbortSignal }): Promise<CommitOutcome>;
}

/** One row of the step table (`steps` in `--json`). */
export interface BisectStep {
  sha: string;
  subject: string;
  verdict: Verdict;
  ms: number;
  /** Extra (not in the contract, additive): where the step sits and what it cost. */
  index: number;
  /** 'base' / 'tip' when an end had to be tested here (no cached result). */
  role?: 'base' | 'tip';
  /** A second boot of an already-built commit to check a contradicting verdict. */
  rerun?: boolean;
  /** False when the step reused an existing build (a rerun). */
  built: boolean;
  /** Target tests that were bad at this commit. */
  bad: string[];
  /** Why the commit was skipped (does not build, no results, target tests did not run). */
  reason?: string;
}

export type BisectStatus = 'found' | 'ambiguous' | 'nothing-to-bisect' | 'all-flaky';

/** What `hmmci bisect --json` prints; the first four fields are the contract. */
export interface BisectReport {
  firstBad: { index: number; total: number; sha: string; subject: string } | null;
  flipped: string[];
  steps: BisectStep[];
  skipped: string[];
  status: BisectStatus;
  /** N: patches in the series / commits in the range after the good one. */
  total: number;
  /** When ambiguous: the commits the first bad one could be (skipped ones plus the first bad tested). */
  candidates: { index: number; sha: string; subject: string }[];
  /** Target tests whose result changed between two boots of the same kernel: named, not blamed. */
  flaky: string[];
  /** The tests "bad" was defined by, and how (`flipped` base→tip, or matched by --test). */
  targets: string[];
  badDefinition: string;
  /** Builds this bisect made (ends included when they were not cached) and total wall time. */
  builds: number;
  totalMs: number;
  /** Contradictions that re-ran and reproduced (a test that fails, then passes again later). */
  notes: string[];
}
