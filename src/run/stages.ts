import type { CacheLayout } from '../common/cache.js';
import type { Reporter } from '../common/progress.js';
import type { TestRunResult } from '../results/types.js';
import type { KernelTree, Slot } from '../tree/types.js';
import type { GuestRunOptions } from '../guest/guest-options.js';

/** What every stage call gets: where the cache is, how to report, and the interrupt signal. */
export interface StageContext {
  cache: CacheLayout;
  reporter: Reporter;
  signal: AbortSignal;
}

/** A series as the run needs it (loaded and checked before anything is built). */
export interface LoadedSeries {
  input: string;
  title: string;
  /** Patch subjects in order. */
  patches: string[];
  author?: string;
  messageId?: string;
  /** The `base-commit:` the series names, as written (chooseBase decides what is used). */
  base?: string;
  /** The series as mbox text, kept in the run directory. */
  mbox: string;
  /** Each patch's text, for the KCIDB patchset hash. */
  patchTexts: string[];
  /** The series stage's own object, handed back to applySeries. */
  handle: unknown;
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

export interface ConfigureOutcome {
  configPath: string;
  configHash: string;
  /** The slot's .config was already current for these inputs: nothing was run. */
  reused?: boolean;
}

export interface BuildOutcome {
  logPath: string;
}

export interface TestOutcome {
  result: TestRunResult;
  consoleLogPath: string;
  accel: string;
  runner: string;
}

/**
 * The stages `hmmci run` drives, as a small interface: the CLI and the e2e tests use the real
 * implementations (src/run/real-stages.ts); unit tests inject fakes to exercise the run
 * directory, the baseline cache, reruns, failures and reports without a kernel.
 * Failures are thrown as HmmciError with the stage's exit status (apply 4, build 5, guest 11…).
 */
export interface Stages {
  resolveTree(req: { tree?: string }, ctx: StageContext): Promise<KernelTree>;
  loadSeries(input: string, tree: KernelTree, ctx: StageContext): Promise<LoadedSeries>;
  /** The commit a series is applied on (its base-commit when the tree has it, else --base, else the
   * tree baseline), with one sentence saying why. */
  chooseBase(req: { tree: KernelTree; series: LoadedSeries; option?: string }, ctx: StageContext): Promise<{ base: string; reason: string }>;
  /** Name of the config a slot builds (slots and build dirs are never shared between configs). */
  configKey(variant: ConfigVariant): string;
  acquireSlot(req: { tree: KernelTree; rev: string; configKey: string }, ctx: StageContext): Promise<Slot>;
  /** Put a slot's worktree back to `rev` (after a failure or an interrupt): no half-applied tree. */
  resetSlot(slot: Slot, rev: string): Promise<void>;
  applySeries(req: { series: LoadedSeries; worktree: string; base: string }, ctx: StageContext): Promise<ApplyOutcome>;
  configure(req: { srcDir: string; buildDir: string; variant: ConfigVariant }, ctx: StageContext): Promise<ConfigureOutcome>;
  build(req: { srcDir: string; buildDir: string; jobs: number }, ctx: StageContext): Promise<BuildOutcome>;
  /** Boot and run hmm-tests; the console log goes under `logDir` (default: the guest stage's own). */
  test(req: { srcDir: string; buildDir: string; runner: 'qemu' | 'vng'; logDir?: string; guest?: GuestRunOptions }, ctx: StageContext): Promise<TestOutcome>;
  /** First lines of `gcc --version` and of the QEMU binary's `--version`. */
  toolchain(ctx: StageContext): Promise<{ gcc: string; qemu: string }>;
}
