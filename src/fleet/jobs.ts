import { createHash } from 'node:crypto';
import type { TestRunResult } from '../results/types.js';

/** Queue names say what a worker must be able to do: build for an arch, boot an arch with a runner. */
export const QUEUE_PREFIX = 'hmmci';
export const buildQueue = (arch: string) => `build-${arch}`;
export const testQueue = (arch: string, runner: string) => `test-${arch}-${runner}`;

/** What a queue asks of a worker, in words (for "no live worker can …"). */
export function queueNeeds(queue: string): string {
  const b = /^build-(.+)$/.exec(queue);
  if (b)
    return `build kernels for ${b[1]} (make, and gcc for ${b[1]}: native or a cross compiler such as ${b[1]}-linux-gnu-gcc)`;
  if (queue === BISECT_QUEUE) return 'run bisect step jobs (any worker does)';
  if (queue === RUN_QUEUE) return 'summarise finished runs (any worker does)';
  const t = /^test-(.+)-(qemu|vng)$/.exec(queue);
  if (t)
    return t[2] === 'vng'
      ? `boot ${t[1]} kernels with virtme-ng (vng on PATH and qemu-system-${t[1]})`
      : `boot ${t[1]} kernels (qemu-system-${t[1]})`;
  return queue;
}

/** A tree as a worker can find it: the default tree (same tarball → same baseline commit), or a path on every machine. */
export interface TreeSpec {
  kind: 'default' | 'user';
  /** For `user`: the checkout's path (shared or identical on every worker). */
  path?: string;
  id: string;
  baseline: string;
}

/** A config variant with its fragments' texts (the worker may not have the submitter's files). */
export interface VariantSpec {
  name?: string;
  /** Fragment file names and texts, in order. */
  fragments: Array<{ name: string; text: string }>;
  extra: string[];
  configKey: string;
}

export interface BuildJobData {
  kind: 'build';
  tree: TreeSpec;
  base: string;
  /** The series mbox in the store, or null for the baseline. */
  series: { mbox: string; patchsetHash: string; title: string; upTo?: number } | null;
  variant: VariantSpec;
  toolchain: string;
  arch: string;
  store: string;
  jobs?: number;
}

export interface Artifact {
  name: string;
  sha256: string;
  size: number;
}

/** What a build leaves for test jobs: artifacts by sha256 (bzImage, test_hmm.ko, vmlinux, .config, build.log, hmm-tests sources). */
export interface Manifest {
  key: string;
  arch: string;
  configHash: string;
  artifacts: Artifact[];
}

export interface StageFailure {
  stage: 'tree' | 'apply' | 'configure' | 'build' | 'test';
  /** The stage outcome's kind, when it was one (config, build, no-results). */
  kind?: 'config' | 'build' | 'no-results';
  message: string;
  exitCode: number;
  details: string[];
  /** The log (build.log, console.log) in the store. */
  log?: string;
}

export type BuildJobResult =
  | {
      ok: true;
      worker: string;
      apply: {
        base: string;
        baseReason?: string;
        commits: Array<{ sha: string; index: number; subject: string }>;
      } | null;
      configHash: string;
      configReused?: boolean;
      manifest: Manifest;
      ms: number;
    }
  | { ok: false; worker: string; failure: StageFailure };

export interface TestJobData {
  kind: 'test';
  manifest: Manifest;
  runner: 'qemu' | 'vng';
  arch: string;
  store: string;
  /** For fleet status: the run and side this boot belongs to. */
  label: string;
}

export type TestJobResult =
  | { ok: true; worker: string; result: TestRunResult; console: string; accel: string; runner: string; ms: number }
  | { ok: false; worker: string; failure: StageFailure };

export type JobData =
  | BuildJobData
  | TestJobData
  | import('./bisect-job.js').BisectJobData
  | import('./run-parent.js').RunJobData
  | import('./run-parent.js').HoldJobData;

/** Bisect step jobs need no machine capability: any worker serves them. */
export const BISECT_QUEUE = 'bisect';
/** Run parent jobs (src/fleet/run-parent.ts): summarised by any worker once their children are done. */
export const RUN_QUEUE = 'run';

/** Progress a worker publishes on its job (`job.updateProgress`): the phase reached and a status line. */
export interface JobProgress {
  phase: 'started' | 'tree' | 'applied' | 'configured' | 'built' | 'booting' | 'done';
  stage?: string;
  text?: string;
  worker?: string;
  apply?: { base: string; baseReason?: string; commits: Array<{ sha: string; index: number; subject: string }> } | null;
  configHash?: string;
  configReused?: boolean;
}

/**
 * The job id of a build: one per (tree, base, patchset hash or "baseline", config, toolchain), so
 * the same key submitted twice is one job and a baseline is built once for every series on its base.
 */
export function buildKey(d: Pick<BuildJobData, 'tree' | 'base' | 'series' | 'variant' | 'toolchain' | 'arch'>): string {
  const parts = [
    d.tree.id,
    d.tree.baseline,
    d.base,
    d.series ? `${d.series.patchsetHash}${d.series.upTo ? `@${d.series.upTo}` : ''}` : 'baseline',
    d.variant.configKey,
    d.toolchain,
    d.arch,
  ];
  return `b-${createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32)}`;
}
