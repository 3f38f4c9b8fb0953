import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Queue } from 'bullmq';
import { connectFleet, FleetError, redisOptions, type FleetConnection } from './connection.js';
import {
  buildKey,
  queueNeeds,
  QUEUE_PREFIX,
  type BuildJobData,
  type JobData,
  type JobProgress,
  type TestJobData,
} from './jobs.js';
import { cancelJob, type CancelOutcome } from './cancel-mark.js';
import { liveWorkers } from './registry.js';
import type { ParentRef } from './run-parent.js';

/** The error a stopped wait ends with: the signal's reason when it is one, else one naming the wait. */
export function abortReason(signal: AbortSignal, what: string): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(`${what}: aborted`);
}

export type JobEnd<R> = { state: 'completed'; value: R } | { state: 'failed'; reason: string; attempts: number };

/** A submitted job: its progress as it moves, and how it ended. */
export interface JobHandle<R> {
  id: string;
  queue: string;
  /** Resolves when the job's progress reaches a phase (or the job ended). */
  reached(phases: readonly JobProgress['phase'][]): Promise<JobProgress | undefined>;
  end: Promise<JobEnd<R>>;
}

export interface ClientOptions {
  /** How often job state is read (ms): the queue overhead per job is about this. */
  pollMs?: number;
  /** A waiting job whose queue no live worker serves fails after this long (ms; default 60 s: a worker may be restarting). */
  orphanMs?: number;
  onProgress?: (jobId: string, p: JobProgress) => void;
}

/** The submitting side of the fleet: adds jobs (deduplicated by id) and follows them until they end. */
export class FleetClient {
  private readonly queues = new Map<string, Queue>();
  private closed = false;
  private constructor(
    readonly conn: FleetConnection,
    private readonly opts: ClientOptions,
  ) {}

  static async connect(url: string, opts: ClientOptions = {}): Promise<FleetClient> {
    return new FleetClient(await connectFleet(url, { flag: '--fleet' }), opts);
  }

  queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, {
        connection: { ...redisOptions(this.conn.target), lazyConnect: false },
        prefix: QUEUE_PREFIX,
      });
      q.on('error', () => undefined);
      this.queues.set(name, q);
    }
    return q;
  }

  /**
   * Fail fast: no live worker serves `queue` (after waiting up to `waitMs` for one to come up: a
   * worker started alongside, or restarting) → one paragraph naming what is missing.
   */
  async ensureServable(queue: string, waitMs = 0): Promise<void> {
    const end = Date.now() + waitMs;
    for (;;) {
      const live = await liveWorkers(this.conn.redis);
      if (live.some((w) => w.queues.includes(queue) && w.state !== 'draining')) return;
      if (Date.now() >= end) throw this.noWorker(queue, live, waitMs);
      await sleep(Math.min(250, Math.max(0, end - Date.now())));
    }
  }

  private noWorker(queue: string, live: Awaited<ReturnType<typeof liveWorkers>>, waitMs: number): FleetError {
    const who = live.length
      ? `live workers: ${live.map((w) => `${w.id} (${w.queues.join(', ')})`).join('; ')}`
      : 'no worker is live at all';
    const waited = waitMs > 0 ? ` after ${Math.round(waitMs / 1000)} s` : '';
    return new FleetError(
      `No live worker can ${queueNeeds(queue)}${waited}, so the ${queue} job would wait forever (${who}). Start \`hmmci worker --redis ${this.conn.target.url}\` on a machine that can (or give it longer with --wait-workers), or run without --fleet.`,
    );
  }

  /** A build job (keyed: one per kernel); `signal` stops following it, never the build itself. */
  async submitBuild<R>(data: BuildJobData, signal?: AbortSignal): Promise<JobHandle<R>> {
    return this.submit<R>(`build-${data.arch}`, data, buildKey(data), { attempts: 3, ...(signal ? { signal } : {}) });
  }

  /**
   * A test job; with `parent`, a child of a run's parent job (`id` then keys it within the run, so
   * an adopted run finds its finished tests); its failure after every attempt is the parent's to
   * report, not a reason to hold the parent forever.
   */
  async submitTest<R>(
    data: TestJobData,
    o: { id?: string; parent?: ParentRef; signal?: AbortSignal } = {},
  ): Promise<JobHandle<R>> {
    return this.submit<R>(`test-${data.arch}-${data.runner}`, data, o.id ?? `t-${randomUUID()}`, {
      attempts: 3,
      ...(o.parent ? { parent: o.parent } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  }

  /**
   * Cancel a test job (src/fleet/cancel-mark.ts): removed from its queue while it waits, else
   * marked for its worker to stop. Build jobs are never cancelled: keyed by base and series
   * (buildKey), one is shared by every run that needs that kernel.
   */
  async cancelTest(queue: string, id: string, why: string): Promise<CancelOutcome> {
    return cancelJob(this.queue(queue), this.conn.redis, id, why);
  }

  /** Add a job under `id` (an existing job with that id is that job: one build per key); a failed one is retried. */
  async submit<R>(
    queue: string,
    data: JobData,
    id: string,
    o: { attempts: number; parent?: ParentRef; signal?: AbortSignal },
  ): Promise<JobHandle<R>> {
    await this.ensureServable(queue);
    const q = this.queue(queue);
    const job = await q.add(data.kind, data, {
      jobId: id,
      attempts: o.attempts,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 24 * 3600 },
      ...(o.parent ? { parent: o.parent, ignoreDependencyOnFailure: true } : {}),
    });
    if ((await job.getState()) === 'failed') await job.retry('failed');
    return this.follow<R>(queue, id, o.signal);
  }

  /**
   * Follow a job already submitted (by queue and id) until it ends; when `signal` aborts, stop
   * following (`end` rejects with the abort's reason) and leave the job as it is.
   */
  follow<R>(queue: string, id: string, signal?: AbortSignal): JobHandle<R> {
    const waiters: Array<{ phases: readonly string[]; resolve: (p: JobProgress | undefined) => void }> = [];
    let last: JobProgress | undefined;
    const end = (async (): Promise<JobEnd<R>> => {
      let waitingSince = Date.now();
      for (;;) {
        if (this.closed) throw new Error(`fleet: stopped following ${queue} job ${id}: the client is closed`);
        if (signal?.aborted) throw abortReason(signal, `fleet: stopped following ${queue} job ${id}`);
        const job = await Job.fromId(this.queue(queue), id).catch(() => undefined);
        if (job) {
          const p = job.progress as JobProgress | number;
          if (p && typeof p === 'object' && JSON.stringify(p) !== JSON.stringify(last)) {
            last = p;
            this.opts.onProgress?.(id, p);
            for (const w of waiters.filter((x) => x.phases.includes(p.phase))) w.resolve(p);
          }
          const state = await job.getState().catch(() => 'unknown');
          if (state === 'completed' || state === 'failed') {
            // Read the job again: the copy above may predate its end (no return value yet).
            const done = (await Job.fromId(this.queue(queue), id).catch(() => undefined)) ?? job;
            if (state === 'completed') return { state, value: done.returnvalue as R };
            return { state, reason: done.failedReason ?? 'unknown', attempts: done.attemptsMade };
          }
          if (state === 'active') waitingSince = Date.now();
          else if (Date.now() - waitingSince > (this.opts.orphanMs ?? 60_000)) {
            await this.ensureServable(queue);
            waitingSince = Date.now();
          }
        }
        await sleep(this.opts.pollMs ?? 200, undefined, signal ? { signal } : {}).catch(() => undefined);
      }
    })();
    end.then(
      () => waiters.forEach((w) => w.resolve(last)),
      () => waiters.forEach((w) => w.resolve(undefined)),
    );
    return {
      id,
      queue,
      end,
      reached: (phases) =>
        last && phases.includes(last.phase)
          ? Promise.resolve(last)
          : new Promise((resolve) => waiters.push({ phases, resolve })),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    await this.conn.close();
  }
}
