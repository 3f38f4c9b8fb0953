import type { Comparison } from '../compare/types.js';
import type { TestRunResult } from '../results/types.js';

/**
 * Everything one `hmmci run` job produced, as kept in `<cache>/runs/<id>/record.json`. Every
 * report (terminal, --json, --junit, --kcidb, --mail) is a pure function of this record, so
 * `hmmci report <run>` renders any format again later.
 */
export interface RunRecord {
  /** Format version of record.json. */
  schema: 1;
  /** Run id: the run directory's name. */
  id: string;
  /** Several series given to one `hmmci run` share a batch id. */
  batch?: string;
  createdAt: string;
  finishedAt?: string;
  status: 'running' | 'complete' | 'interrupted' | 'failed';
  /** Exit status this job ends with (README "Exit status"). */
  exitCode?: number;
  runDir: string;
  series: SeriesSummary;
  config: ConfigSummary;
  /** Baseline results (null until known, or when the baseline never produced any). */
  baseline: SideResult | null;
  /** First patched run (null when the series did not apply, build or boot). */
  patched: SideResult | null;
  /** Patched reruns made to confirm changed results. */
  reruns: TestRunResult[];
  comparison: Comparison | null;
  /** Stage name, side and elapsed milliseconds, in the order they ran. */
  stages: StageTiming[];
  env: EnvInfo;
  /** Artifacts kept in the run directory (paths absolute). */
  artifacts: Artifacts;
  /**
   * Regressions on tests that flipped before on this base and config (from `hmmci history`): still
   * regressions, labelled "known flaky (k of n recent baseline runs failed)".
   */
  knownFlaky?: Array<{ test: string; failed: number; of: number; flips: number; label: string }>;
  /** Why the job stopped, when it did not complete. */
  error?: { message: string; exitCode: number; logPath?: string; details?: readonly string[] };
}

export interface SeriesSummary {
  /** The series as given on the command line (file, folder, range or message-id). */
  input: string;
  /** Cover letter subject, or the first patch's subject. */
  title: string;
  /** Patch subjects in order. */
  patches: string[];
  author?: string;
  messageId?: string;
  /** Base commit the series was applied to (full sha), and why that one. */
  base: string;
  baseReason?: string;
  /** Commits `git am` made (known once applied). */
  commits?: Array<{ sha: string; index: number; subject: string }>;
  /** KCIDB patchset hash: sha256 over newline-terminated sha256 of each patch, in order. */
  patchsetHash?: string;
}

export interface ConfigSummary {
  /** Fragments merged (file names). */
  fragments: string[];
  /** Extra options (`CONFIG_X=y`). */
  extra: string[];
  /** Variant name when several config variants run as jobs. */
  variant?: string;
  configHash: string;
}

export interface SideResult extends TestRunResult {
  /** The baseline came from the baseline cache (no build, no boot this run). */
  cached?: boolean;
  /** Run id that produced a cached baseline. */
  fromRun?: string;
}

export type Side = 'baseline' | 'patched' | 'run';

export interface StageTiming {
  name: string;
  side: Side;
  ms: number;
}

/** The JSON contract's env: what the results were produced on. */
export interface EnvInfo {
  /** Kernel version of the tree (e.g. 6.12.117). */
  kernel: string;
  /** `gcc --version` first line. */
  gcc: string;
  /** `qemu-system-x86_64 --version` first line. */
  qemu: string;
  /** kvm or tcg. */
  accel: string;
  /** qemu or vng. */
  runner: string;
  configHash: string;
}

export interface Artifacts {
  dir: string;
  series?: string;
  config?: string;
  baselineBuildLog?: string;
  patchedBuildLog?: string;
  baselineConsole?: string;
  /** Console logs of the patched runs, first run first. */
  patchedConsoles: string[];
  /**
   * The first patched run's other console logs when it booted several guests (shards, reboots):
   * `patched.console-shard2.log`…; patchedConsoles[0] is the first guest's.
   */
  patchedOtherConsoles?: string[];
  baselineResults?: string;
  patchedResults?: string;
  /** manifest.json: every artifact a later stage needs (kernels, hmm-tests, logs, results) with its sha256. */
  manifest?: string;
}
