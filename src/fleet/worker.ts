import { fork, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Reporter } from '../common/progress.js';
import { probeCapabilities, servedQueues, type Capabilities } from './capabilities.js';
import { connectFleet, FleetError, redisOptions, type FleetConnection } from './connection.js';
import { BISECT_QUEUE, QUEUE_PREFIX, RUN_QUEUE, type JobData, type JobProgress } from './jobs.js';
import type { RunMessage, RunnerMessage } from './job-runner.js';
import { CANCELLED_BY_SUBMITTER, cancelMark, clearCancelMark } from './cancel-mark.js';
import { publishWorker, removeWorker, type WorkerInfo } from './registry.js';
import { processRunJob, type HoldJobData, type RunJobData } from './run-parent.js';

export interface WorkerOptions {
  redisUrl: string;
  cacheRoot: string;
  id?: string;
  /** Lease of a job: renewed every half; a worker silent for longer loses its job (default 30 s). */
  leaseMs?: number;
  heartbeatMs?: number;
  /** Serve only builds or only tests (default both, as far as the machine can). */
  only?: { builds?: boolean; tests?: boolean };
  /** On stop: how long the current job may take to finish before it is handed back (default 30 s). */
  graceMs?: number;
  reporter: Reporter;
  capabilities?: Capabilities;
  minRedisVersion?: string;
}

interface Active {
  job: Job<JobData>;
  queue: string;
  token?: string;
  child: ChildProcess;
  progress?: JobProgress;
  handback?: boolean;
  leaseLost?: boolean;
  /** Why its submitter cancelled it (a cancel mark was seen): the job fails without retry. */
  cancelled?: string;
}

const RUNNER = fileURLToPath(new URL(`./job-runner${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/** Stop a job runner and everything in its process group (make, gcc; QEMU is killed by its cleanup). */
export function killRunner(child: ChildProcess, graceMs = 3000): void {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      /* gone */
    }
  };
  kill('SIGTERM');
  setTimeout(() => kill('SIGKILL'), graceMs).unref();
}

/** Wait for a runner to exit; SIGKILL its group when it takes longer than `ms`. */
async function exitOf(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  const t = setTimeout(() => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, ms);
  await gone;
  clearTimeout(t);
}

export interface FleetWorker {
  id: string;
  capabilities: Capabilities;
  queues: string[];
  /** Stop taking jobs; let the current ones finish within graceMs, else hand them back. */
  stop(): Promise<void>;
}

/** Serving only the any-worker queues (bisect steps, run summaries) is serving nothing of a machine's own. */
const ANY_WORKER_QUEUES = new Set([BISECT_QUEUE, RUN_QUEUE]);

function nothingToServe(caps: Capabilities): FleetError {
  return new FleetError(
    `This machine can serve no hmmci queue: it has ${caps.make ? '' : 'no make, '}${caps.compilers.length ? '' : 'no gcc, '}${caps.qemu.length ? '' : 'no qemu-system-*'}. Install what \`hmmci doctor\` names, or drop --builds-only/--tests-only.`,
  );
}

/** What a worker is and does, as published in the registry at every heartbeat. */
class Presence {
  readonly active = new Map<string, Active>();
  stopping = false;
  private readonly startedAt = new Date().toISOString();
  private timer?: NodeJS.Timeout;
  private cancelTimer?: NodeJS.Timeout;

  constructor(
    readonly conn: FleetConnection,
    readonly id: string,
    private readonly caps: Capabilities,
    private readonly queues: string[],
    private readonly beatMs: number,
  ) {}

  info(): WorkerInfo {
    return {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      capabilities: this.caps,
      queues: this.queues,
      startedAt: this.startedAt,
      heartbeatAt: new Date().toISOString(),
      current: [...this.active.values()].map((a) => ({
        queue: a.queue,
        jobId: a.job.id ?? '',
        stage: a.progress?.stage,
        text: a.progress?.text,
      })),
      state: this.stopping ? 'draining' : this.active.size ? 'busy' : 'idle',
    };
  }

  readonly publish = (): Promise<void> =>
    publishWorker(this.conn.redis, this.info(), this.beatMs * 3).catch(() => undefined);

  /** Heartbeat; and every second (at most a beat), a look for cancel marks on the active jobs. */
  start(onCancel: (a: Active, why: string) => void): void {
    this.timer = setInterval(this.publish, this.beatMs);
    this.cancelTimer = setInterval(() => void this.checkCancels(onCancel), Math.min(1000, this.beatMs));
  }

  private async checkCancels(onCancel: (a: Active, why: string) => void): Promise<void> {
    for (const a of this.active.values()) {
      if (a.cancelled || a.leaseLost) continue;
      const why = await cancelMark(this.conn.redis, a.queue, a.job.id ?? '').catch(() => undefined);
      if (why && !a.cancelled) onCancel(a, why);
    }
  }

  async remove(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.cancelTimer);
    await removeWorker(this.conn.redis, this.id).catch(() => undefined);
  }
}

interface ProcessorEnv {
  presence: Presence;
  cacheRoot: string;
  log: (text: string) => void;
}

/**
 * A queue's job processor: a run parent (or an abandoned run's hold) is summarised right here (it
 * only reads Redis); every other job runs in a forked job runner, its own process group.
 */
const processorFor = (queue: string, env: ProcessorEnv) => async (job: Job<JobData>, token?: string) => {
  if (job.data.kind === 'run' || job.data.kind === 'hold') return processRunJob(job as Job<RunJobData | HoldJobData>);
  const { presence, log } = env;
  const child = fork(RUNNER, [], { detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const a: Active = { job, queue, token, child };
  presence.active.set(job.id ?? '', a);
  log(`took ${queue} job ${job.id} (attempt ${job.attemptsStarted})`);
  void presence.publish();
  try {
    return await runInChild(
      a,
      { type: 'run', jobId: job.id ?? 'job', data: job.data, worker: presence.id, cacheRoot: env.cacheRoot },
      presence.publish,
    );
  } catch (err) {
    if (a.cancelled) {
      await exitOf(child, 3000);
      await clearCancelMark(presence.conn.redis, queue, job.id ?? '').catch(() => undefined);
      throw new UnrecoverableError(`${CANCELLED_BY_SUBMITTER} (${a.cancelled})`);
    }
    if (a.handback && token) {
      await exitOf(child, 3000);
      await job.moveToWait(token).catch(() => undefined);
      log(`handed job ${job.id} back to the queue`);
      throw new WaitingError();
    }
    throw err;
  } finally {
    presence.active.delete(job.id ?? '');
    void presence.publish();
  }
};

/** A BullMQ consumer of one queue: one job at a time, a lease renewed every half, lost leases kill the job. */
function consume(queue: string, conn: FleetConnection, leaseMs: number, env: ProcessorEnv): Worker<JobData> {
  const w = new Worker<JobData>(queue, processorFor(queue, env), {
    connection: { ...redisOptions(conn.target), lazyConnect: false },
    prefix: QUEUE_PREFIX,
    concurrency: 1,
    lockDuration: leaseMs,
    stalledInterval: leaseMs,
    maxStalledCount: 5,
    name: env.presence.id,
  });
  w.on('lockRenewalFailed', (ids) => {
    for (const jid of ids) {
      const a = env.presence.active.get(jid);
      if (!a || a.leaseLost) continue;
      a.leaseLost = true;
      env.log(`lost the lease of job ${jid} (another worker may have it now): stopping its processes`);
      killRunner(a.child);
    }
  });
  w.on('error', (err) => {
    const m = /Missing lock for job ([^.\s]+)\. (moveToFinished|moveToFailed)/.exec(err.message);
    env.log(m ? `late result of job ${m[1]} rejected: its lease was lost` : `queue ${queue}: ${err.message}`);
  });
  return w;
}

/** Stop taking jobs; let the current ones finish within `graceMs`, else hand them back; leave the registry. */
async function drain(
  presence: Presence,
  workers: Worker<JobData>[],
  conn: FleetConnection,
  graceMs: number,
): Promise<void> {
  if (presence.stopping) return;
  presence.stopping = true;
  void presence.publish();
  const closing = Promise.all(workers.map((w) => w.close()));
  const t = setTimeout(
    () => {
      for (const a of presence.active.values()) {
        a.handback = true;
        killRunner(a.child, 1000);
      }
    },
    presence.active.size ? graceMs : 0,
  );
  await closing;
  clearTimeout(t);
  await presence.remove();
  await conn.close();
}

/**
 * `hmmci worker`: probe what this machine can do, consume only the queues it can serve, run each
 * job in a child process group (so a kill -9 of the worker takes its make and QEMU along), renew
 * the job's lease, heartbeat into the registry, and kill a job's processes when its lease is lost.
 */
export async function startWorker(opts: WorkerOptions): Promise<FleetWorker> {
  const conn = await connectFleet(opts.redisUrl, { minVersion: opts.minRedisVersion });
  const caps = opts.capabilities ?? probeCapabilities({ machineFile: `${opts.cacheRoot}/machine.json` });
  const queues = servedQueues(caps, opts.only);
  if (!queues.some((q) => !ANY_WORKER_QUEUES.has(q))) {
    await conn.close();
    throw nothingToServe(caps);
  }
  const id = opts.id ?? `${hostname()}-${process.pid}`;
  const lease = opts.leaseMs ?? 30_000;
  const presence = new Presence(conn, id, caps, queues, opts.heartbeatMs ?? Math.min(5000, lease / 2));
  await presence.publish();
  const log = (t: string) => opts.reporter.info(`worker ${id}: ${t}`);
  presence.start((a, why) => {
    a.cancelled = why;
    log(`cancelled job ${a.job.id} (${why})`);
    killRunner(a.child);
  });
  const env: ProcessorEnv = { presence, cacheRoot: opts.cacheRoot, log };
  const workers = queues.map((q) => consume(q, conn, lease, env));
  log(
    `serving ${queues.join(', ')} (${caps.arch}, ${caps.kvm === 'usable' ? 'KVM' : 'TCG only'}, ${caps.cores} cores)`,
  );
  return { id, capabilities: caps, queues, stop: () => drain(presence, workers, conn, opts.graceMs ?? 30_000) };
}

/** Send the job to its runner; resolve with its result, reject on its error or death. */
function runInChild(a: Active, msg: RunMessage, publish: () => void): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      if (a.child.connected) a.child.disconnect();
    };
    a.child.on('message', (m: RunnerMessage) => {
      if (m.type === 'data') {
        if (!a.leaseLost) void a.job.updateData(m.data).catch(() => undefined);
      } else if (m.type === 'progress') {
        a.progress = m.progress;
        void a.job.updateProgress(m.progress as unknown as object).catch(() => undefined);
        publish();
      } else if (m.type === 'result')
        settle(() => (a.leaseLost || a.cancelled ? reject(new Error('lease lost or cancelled')) : resolve(m.value)));
      else
        settle(() =>
          reject(m.retry || a.leaseLost || a.handback ? new Error(m.message) : new UnrecoverableError(m.message)),
        );
    });
    a.child.on('exit', (code, sig) =>
      settle(() =>
        reject(new Error(a.leaseLost ? 'lease lost' : `the job runner exited (${sig ?? code}) before it finished`)),
      ),
    );
    a.child.send(msg);
  });
}
