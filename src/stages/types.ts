import type { GuestRunOptions } from '../guest/guest-options.js';
import type { GuestShape } from '../guest/guest-shape.js';
import type { CacheLayout } from '../common/cache.js';
import type { Reporter } from '../common/progress.js';
import type { TestRunResult } from '../results/types.js';
import type { KernelTree, Slot } from '../tree/types.js';

/**
 * The contract between the stages and whoever drives them (`hmmci run`, `hmmci bisect`, a fleet
 * worker). Plain data in, plain data out: configure, build and test return an outcome value —
 * a kernel that does not configure, build or produce results is an answer, not an exception —
 * and throw only when the harness or the machine failed (missing tool, disk full, QEMU would not
 * start) or on an interrupt. Only the CLI (and a run record's exit status) turns outcomes into
 * exit codes.
 */

/** What every stage call gets: where the cache is, how to report, and the interrupt signal. */
export interface StageContext {
  cache: CacheLayout;
  reporter: Reporter;
  signal: AbortSignal;
}

/** A series as the stages need it: plain data (JSON-safe), loaded and checked before anything is built. */
export interface LoadedSeries {
  input: string;
  title: string;
  /** Patch subjects in order. */
  patches: string[];
  author?: string;
  messageId?: string;
  /** The `base-commit:` the series names, as written (chooseBase decides what is used). */
  base?: string;
  /** The series as mbox text, kept in the run directory (and what a stage elsewhere applies). */
  mbox: string;
  /** Each patch's text, for the KCIDB patchset hash. */
  patchTexts: string[];
}

export interface ApplyOutcome {
  base: string;
  baseReason?: string;
  commits: Array<{ sha: string; index: number; subject: string }>;
}

export interface ConfigVariant {
  /** Shown in reports when several variants run. */
  name?: string;
  fragments: string[];
  extra: string[];
}

/** Why a stage gave no usable kernel or results. `message` is the one-paragraph explanation. */
export type FailureKind = 'config' | 'build' | 'no-results';

export interface StageFailure<K extends FailureKind = FailureKind> {
  ok: false;
  kind: K;
  /** One paragraph: what failed, on which input, what to do. */
  message: string;
  /** The log that shows it (config.log, build.log, the console log). */
  logPath?: string;
  /** First errors, missing options, last console lines. */
  details: readonly string[];
}

export interface Configured {
  ok: true;
  configPath: string;
  configHash: string;
  /** The slot's .config was already current for these inputs: nothing was run. */
  reused?: boolean;
}

/** Requested options that did not land (unmet dependency, unknown option) are `kind: 'config'`. */
export type ConfigureOutcome = Configured | StageFailure<'config'>;

/** What a later stage needs from a build, as absolute paths in the build directory. */
export interface KernelArtifacts {
  bzImage: string;
  /** lib/test_hmm.ko */
  testHmmKo: string;
  config: string;
  vmlinux?: string;
}

export interface Built {
  ok: true;
  logPath: string;
  artifacts: KernelArtifacts;
}

/** A compile or link error is `kind: 'build'`. */
export type BuildOutcome = Built | StageFailure<'build'>;

export interface Tested {
  ok: true;
  result: TestRunResult;
  consoleLogPath: string;
  accel: string;
  runner: string;
  /** The static hmm-tests binary the guest ran (when the stage knows it). */
  hmmTests?: string;
  /** Every guest's console log when there were several (shards, reboots), consoleLogPath first. */
  consoleLogs?: string[];
  /** How the guest ran when not one plain boot (repeats, shards, reboots, CPUs, memory pressure). */
  shape?: GuestShape;
}

/**
 * The guest gave no results (boot failure, panic before the tests, hang at boot) is
 * `kind: 'no-results'` with the console log as `logPath`; an hmm-tests that does not compile
 * from the tree under test is `kind: 'build'`.
 */
export type TestOutcome = Tested | StageFailure<'no-results' | 'build'>;

export type Runner = 'qemu' | 'vng';

/**
 * The stages `hmmci run` and `hmmci bisect` drive, as a small interface: the CLI and the e2e
 * tests use the real implementations (src/stages/real-stages.ts); unit tests inject fakes to
 * exercise the run directory, the baseline store, reruns, failures and reports without a kernel.
 * resolveTree, loadSeries, chooseBase, acquireSlot and applySeries throw HmmciError (bad input,
 * apply 4, tree 9…); configure, build and test return their failures as values.
 */
export interface Stages {
  resolveTree(req: { tree?: string }, ctx: StageContext): Promise<KernelTree>;
  loadSeries(input: string, tree: KernelTree, ctx: StageContext): Promise<LoadedSeries>;
  /** The commit a series is applied on (its base-commit when the tree has it, else --base, else the
   * tree baseline), with one sentence saying why. */
  chooseBase(
    req: { tree: KernelTree; series: LoadedSeries; option?: string },
    ctx: StageContext,
  ): Promise<{ base: string; reason: string }>;
  /** Name of the config a slot builds (slots and build dirs are never shared between configs). */
  configKey(variant: ConfigVariant): string;
  acquireSlot(req: { tree: KernelTree; rev: string; configKey: string }, ctx: StageContext): Promise<Slot>;
  /** Put a slot's worktree back to `rev` (after a failure or an interrupt): no half-applied tree. */
  resetSlot(slot: Slot, rev: string): Promise<void>;
  applySeries(req: { series: LoadedSeries; worktree: string; base: string }, ctx: StageContext): Promise<ApplyOutcome>;
  configure(
    req: { srcDir: string; buildDir: string; variant: ConfigVariant },
    ctx: StageContext,
  ): Promise<ConfigureOutcome>;
  build(req: { srcDir: string; buildDir: string; jobs: number }, ctx: StageContext): Promise<BuildOutcome>;
  /** Boot and run hmm-tests; the console log goes under `logDir` (default: the guest stage's own). */
  test(
    req: { srcDir: string; buildDir: string; runner: Runner; logDir?: string; guest?: GuestRunOptions },
    ctx: StageContext,
  ): Promise<TestOutcome>;
  /**
   * Optional: get ready for `test` of this tree while its kernel builds (hmm-tests compiled from
   * the tree, cached by its sources), so the test stage starts booting at once. Never fails: a
   * problem is left for `test` to report.
   */
  prepareTest?(req: { srcDir: string }, ctx: StageContext): Promise<void>;
  /** First lines of `gcc --version` and of the QEMU binary's `--version`. */
  toolchain(ctx: StageContext): Promise<{ gcc: string; qemu: string }>;
}
