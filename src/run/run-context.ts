import { availableParallelism, freemem, totalmem } from 'node:os';
import PQueue from 'p-queue';
import type { CacheLayout } from '../common/cache.js';
import type { Reporter } from '../common/progress.js';
import type { Side, StageTiming } from '../report/record.js';
import type { BaselineStore } from '../stages/baseline-store.js';
import type {
  BuildOutcome,
  ConfigVariant,
  ConfigureOutcome,
  LoadedSeries,
  Runner,
  StageContext,
  Stages,
  TestOutcome,
} from '../stages/types.js';
import type { KernelTree, Slot } from '../tree/types.js';
import { withDefaultShards, type GuestRunOptions } from '../guest/guest-options.js';
import { planConcurrency, type ConcurrencyPlan, type MachineShape } from './concurrency.js';
import type { RunDir } from './run-dir.js';
import { countsLine, type Timer } from './timer.js';

export interface RunRequest {
  /** Series inputs (mbox, folder, range, message-id), one job each per config variant. */
  inputs: string[];
  /** `--tree DIR` (default: the default tree). */
  tree?: string;
  /** `--base REV`: base when a series does not name one (default: the tree's baseline). */
  base?: string;
  variants: ConfigVariant[];
  runner: Runner;
  /** Patched reruns to confirm changed results (default 1). */
  reruns: number;
  /** Reuse cached baselines (default true). */
  useBaselineCache?: boolean;
  /**
   * Build the patched kernel while the baseline boots, from a snapshot of the baseline's kernel
   * files, when the baseline is not cached (default true; changes no result). False: one after
   * the other (what the benchmark compares against).
   */
  overlapBaselineBoot?: boolean;
  cache: CacheLayout;
  reporter: Reporter;
  signal: AbortSignal;
  machine?: MachineShape;
  /** make -j (default from the concurrency plan). */
  jobs?: number;
  /**
   * `--repeat/--smp/--memory-pressure/--shards`, handed to the test stage on both sides; without
   * `shards`, QEMU guests shard `auto` (withDefaultShards).
   */
  guest?: GuestRunOptions;
}

/** One job: a series in one config variant, with its run directory. */
export interface Job {
  index: number;
  series: LoadedSeries;
  variant: ConfigVariant;
  /** Base commit (series' own, --base, or the tree baseline) and why. */
  base: string;
  baseReason: string;
  /** Jobs of one (base, config) share one baseline; the first of them continues in its slot. */
  groupKey: string;
  sharesBaselineSlot: boolean;
  runDir: RunDir;
}

/** What every job of one `hmmci run` shares: the stages, queues, tree, toolchain, baseline store. */
export interface RunContext {
  req: RunRequest;
  stages: Stages;
  ctx: StageContext;
  plan: ConcurrencyPlan;
  buildQueue: PQueue;
  guestQueue: PQueue;
  tree: KernelTree;
  toolchain: { gcc: string; qemu: string };
  store: BaselineStore;
  /** Several jobs: progress lines and run ids say which job a stage belongs to. */
  multi: boolean;
  batch?: string;
  /** Timings of the stages before the jobs (tree, series). */
  runStages: StageTiming[];
}

export function planFor(req: RunRequest): ConcurrencyPlan {
  const machine = req.machine ?? { cores: availableParallelism(), memBytes: Math.max(freemem(), totalmem() * 0.5) };
  return planConcurrency(machine, { jobs: req.jobs });
}

export function newQueues(plan: ConcurrencyPlan): { buildQueue: PQueue; guestQueue: PQueue } {
  return { buildQueue: new PQueue({ concurrency: plan.builds }), guestQueue: new PQueue({ concurrency: plan.guests }) };
}

const configSummary = (v: ConfigureOutcome) =>
  v.ok ? `hash ${v.configHash}${v.reused ? ' (already current)' : ''}` : undefined;

/** The stage calls every job makes, timed, queued where the machine is shared (builds, guests). */
export function slotOf(rc: RunContext, t: Timer, side: Side, job: Job): Promise<Slot> {
  const configKey = rc.stages.configKey(job.variant);
  return t.run(
    'slot',
    side,
    rc.ctx,
    (c) => rc.stages.acquireSlot({ tree: rc.tree, rev: job.base, configKey }, c),
    (s) => `slot ${s.index} @ ${s.rev.slice(0, 12)}`,
  );
}

export function configureIn(
  rc: RunContext,
  t: Timer,
  side: Side,
  slot: Slot,
  variant: ConfigVariant,
): Promise<ConfigureOutcome> {
  return t.run(
    'config',
    side,
    rc.ctx,
    (c) => rc.stages.configure({ srcDir: slot.worktree, buildDir: slot.buildDir, variant }, c),
    configSummary,
  );
}

export function buildIn(rc: RunContext, t: Timer, side: Side, slot: Slot): Promise<BuildOutcome> {
  return rc.buildQueue.add(
    () =>
      t.run('build', side, rc.ctx, (c) =>
        rc.stages.build({ srcDir: slot.worktree, buildDir: slot.buildDir, jobs: rc.plan.buildJobs }, c),
      ),
    { throwOnTimeout: true },
  );
}

/**
 * Get the test of this tree ready while its kernel builds (hmm-tests compiled from it: seconds of
 * gcc on the core the mostly serial incremental make leaves idle). Never rejects: the test stage
 * reports what went wrong. Await it before the worktree changes again.
 */
export function prepareIn(rc: RunContext, srcDir: string): Promise<void> {
  if (!rc.stages.prepareTest) return Promise.resolve();
  return rc.stages.prepareTest({ srcDir }, rc.ctx).catch(() => undefined);
}

/** One boot of a built kernel (first test, rerun, baseline): the one guest call of a run. */
export function guestRun(
  rc: RunContext,
  t: Timer,
  name: 'test' | 'rerun',
  side: Side,
  at: { srcDir: string; buildDir: string; logDir: string },
): Promise<TestOutcome> {
  const req = {
    srcDir: at.srcDir,
    buildDir: at.buildDir,
    runner: rc.req.runner,
    guest: withDefaultShards(rc.req.guest, rc.req.runner),
    logDir: at.logDir,
  };
  return rc.guestQueue.add(
    () =>
      t.run(
        name,
        side,
        rc.ctx,
        (c) => rc.stages.test(req, c),
        (o) => (o.ok ? countsLine(o.result) : undefined),
      ),
    { throwOnTimeout: true },
  );
}
