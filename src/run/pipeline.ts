import type { RunRecord } from '../report/record.js';
import { ExitCode } from '../common/exit-codes.js';
import { BaselineStore } from '../stages/baseline-store.js';
import type { LoadedSeries, StageContext, Stages } from '../stages/types.js';
import { startBaseline, type BaselineGroup } from './baseline-job.js';
import type { ConcurrencyPlan } from './concurrency.js';
import { aggregateExit } from './exit-status.js';
import { runJob } from './patched-job.js';
import { newQueues, planFor, type Job, type RunContext, type RunRequest } from './run-context.js';
import { createRunDir } from './run-dir.js';
import { Timer } from './timer.js';

export type { RunRequest } from './run-context.js';

export interface RunOutcome {
  records: RunRecord[];
  exitCode: number;
  plan: ConcurrencyPlan;
}

/**
 * `hmmci run`: for each series (and config variant) apply, configure, build, boot and test the
 * patched kernel, compare with the unpatched baseline (computed once per base and config, locked,
 * kept in the BaselineStore by base commit, config hash, toolchain and runner), confirm changed
 * results with reruns, and keep everything in a run directory per job. Builds and guests run on
 * separate queues sized from the machine; a patched build may run while its baseline boots.
 */
export async function runSeries(req: RunRequest, stages: Stages): Promise<RunOutcome> {
  const ctx: StageContext = { cache: req.cache, reporter: req.reporter, signal: req.signal };
  const plan = planFor(req);
  const queues = newQueues(plan);
  const stopQueues = () => {
    queues.buildQueue.clear();
    queues.guestQueue.clear();
  };
  req.signal.addEventListener('abort', stopQueues, { once: true });
  const runTimer = new Timer(req.reporter, () => undefined);
  // gcc's and QEMU's versions (two processes) are asked for while the tree and series load.
  const toolchainAsked = stages.toolchain(ctx);
  toolchainAsked.catch(() => undefined);
  const tree = await runTimer.run(
    'tree',
    'run',
    ctx,
    (c) => stages.resolveTree({ tree: req.tree }, c),
    (t) => `${t.id} @ ${t.baseline.slice(0, 12)}`,
  );
  const loaded: LoadedSeries[] = [];
  for (const input of req.inputs) {
    loaded.push(
      await runTimer.run(
        'series',
        'run',
        ctx,
        (c) => stages.loadSeries(input, tree, c),
        (s) => `${s.patches.length} patch${s.patches.length === 1 ? '' : 'es'}: ${s.title}`,
      ),
    );
  }
  const toolchain = await toolchainAsked;
  const multi = req.inputs.length * req.variants.length > 1;
  const rc: RunContext = {
    req,
    stages,
    ctx,
    plan,
    ...queues,
    tree,
    toolchain,
    store: new BaselineStore(req.cache),
    multi,
    runStages: runTimer.stages,
  };
  const jobs = await planJobs(rc, loaded);
  rc.batch = multi ? jobs[0]?.runDir.id : undefined;
  // One baseline per (base, config), computed once, shared by every job of the group.
  const groups = new Map<string, BaselineGroup>();
  const groupOf = (job: Job) =>
    groups.get(job.groupKey) ?? groups.set(job.groupKey, startBaseline(rc, job)).get(job.groupKey)!;
  const records = await Promise.all(jobs.map((job) => runJob(rc, job, groupOf(job))));
  req.signal.removeEventListener('abort', stopQueues);
  // Slots still held by baselines whose jobs never took them.
  for (const g of groups.values()) {
    const slot = await g.slot.catch(() => undefined);
    if (slot && !g.taken) await slot.release();
  }
  return { records, exitCode: aggregateExit(records.map((r) => r.exitCode ?? ExitCode.INFRA)), plan };
}

/** One job per series and config variant, each with its base and (made now, so an interrupt at any point leaves it marked) run directory. */
async function planJobs(rc: RunContext, loaded: readonly LoadedSeries[]): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const series of loaded) {
    const { base, reason } = await rc.stages.chooseBase({ tree: rc.tree, series, option: rc.req.base }, rc.ctx);
    for (const variant of rc.req.variants) {
      const groupKey = `${base}\0${rc.stages.configKey(variant)}`;
      const runDir = createRunDir(rc.req.cache, variant.name ? `${series.input}-${variant.name}` : series.input);
      jobs.push({
        index: jobs.length,
        series,
        variant,
        base,
        baseReason: reason,
        groupKey,
        sharesBaselineSlot: !jobs.some((j) => j.groupKey === groupKey),
        runDir,
      });
    }
  }
  return jobs;
}
