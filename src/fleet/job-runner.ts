/**
 * One job, in its own process group (forked detached by `hmmci worker`): make, gcc and the job's
 * own cleanup live here, QEMU in its own group registered with cleanup. When the worker dies
 * (kill -9) the IPC channel closes: this process runs the cleanup (QEMU, slot locks, worktree
 * reset) and kills its whole group, so nothing the dead worker started keeps running.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheLayout } from '../common/cache.js';
import { ExitCode } from '../common/exit-codes.js';
import { installSignalHandlers, interruptSignal, runCleanup } from '../common/cleanup.js';
import type { Reporter } from '../common/progress.js';
import { realStages } from '../stages/real-stages.js';
import type { Stages } from '../stages/types.js';
import { runBisectJob, type BisectJobData } from './bisect-job.js';
import { runBuildJob } from './build-job.js';
import { FleetClient } from './client.js';
import type { JobData, JobProgress } from './jobs.js';
import { openStore } from './store.js';
import { RetryableError, runTestJob } from './test-job.js';

export interface RunMessage {
  type: 'run';
  jobId: string;
  data: JobData;
  worker: string;
  cacheRoot: string;
}

export type RunnerMessage =
  | { type: 'progress'; progress: JobProgress }
  | { type: 'result'; value: unknown }
  | { type: 'data'; data: JobData }
  | { type: 'error'; message: string; retry: boolean };

const send = (m: RunnerMessage) => {
  if (process.connected) process.send?.(m);
};

/** The worker's stages: the real ones, or (tests only) a module named by HMMCI_FLEET_STAGES exporting fleetStages(). */
async function loadStages(): Promise<Stages> {
  const mod = process.env.HMMCI_FLEET_STAGES;
  if (!mod) return realStages();
  return ((await import(mod)) as { fleetStages: () => Stages }).fleetStages();
}

/** Stage progress of the job as `progress` messages (at most one status line a second). */
function forwardingReporter(last: () => JobProgress): Reporter {
  let at = 0;
  return {
    stage(name) {
      return {
        update(text) {
          if (Date.now() - at < 1000) return;
          at = Date.now();
          send({ type: 'progress', progress: { ...last(), stage: name, text } });
        },
        done: () => 0,
        fail: () => 0,
      };
    },
    info: () => undefined,
    warn: () => undefined,
  };
}

/** A bisect step job: the driver submits its own build and test jobs; its data goes back to the worker to store. */
async function bisectStep(d: BisectJobData): Promise<unknown> {
  const client = await FleetClient.connect(d.redis);
  try {
    return await runBisectJob(d, client, async (next) => {
      send({ type: 'data', data: next });
      send({
        type: 'progress',
        progress: {
          phase: 'started',
          stage: 'bisect',
          text: `${next.state.step} commit(s) tested; last good ${next.state.good}, first bad ${next.state.bad} of ${next.commits.length - 1}`,
        },
      });
    });
  } finally {
    await client.close();
  }
}

async function runJob(m: RunMessage): Promise<void> {
  const cache = cacheLayout(m.cacheRoot);
  const fleetRoot = join(cache.root, 'fleet');
  const workDir = join(fleetRoot, 'jobs', `${m.jobId}-${randomUUID().slice(0, 8)}`);
  mkdirSync(workDir, { recursive: true });
  let current: JobProgress = { phase: 'started', worker: m.worker };
  const progress = (p: JobProgress) => {
    current = p;
    send({ type: 'progress', progress: p });
  };
  try {
    if (m.data.kind === 'bisect') {
      send({ type: 'result', value: await bisectStep(m.data) });
      return;
    }
    if (m.data.kind !== 'build' && m.data.kind !== 'test') throw new Error(`a ${m.data.kind} job has no runner`);
    const stages = await loadStages();
    const env = {
      stages,
      ctx: { cache, reporter: forwardingReporter(() => current), signal: interruptSignal() },
      store: openStore(m.data.store),
      workDir,
      worker: m.worker,
      progress,
    };
    const value = m.data.kind === 'build' ? await runBuildJob(m.data, env) : await runTestJob(m.data, env, fleetRoot);
    send({ type: 'result', value });
  } catch (err) {
    // Input failures came back as values; what is thrown here is the machine's or the job's
    // interruption (lease lost, hand-back): another attempt, possibly elsewhere, may succeed.
    const code = (err as { exitCode?: number }).exitCode;
    send({
      type: 'error',
      message: (err as Error)?.message ?? String(err),
      retry:
        err instanceof RetryableError || code === undefined || code === ExitCode.INFRA || code === ExitCode.INTERRUPTED,
    });
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

installSignalHandlers();
process.on('disconnect', () => {
  // The worker is gone (killed, crashed): stop everything this job started, then the group.
  void runCleanup().finally(() => {
    try {
      process.kill(-process.pid, 'SIGKILL');
    } catch {
      process.exit(137);
    }
  });
});
process.on('message', (m: RunMessage) => {
  if (m?.type !== 'run') return;
  // The worker disconnects once it has the result; that ends this process (and its group).
  void runJob(m);
});
