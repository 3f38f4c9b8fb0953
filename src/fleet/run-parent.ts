/**
 * A run on the fleet is a BullMQ flow: one parent job in the `run` queue per run directory, its
 * children the run's test jobs (baseline, patched, reruns), created with a FlowProducer.
 *
 * Why the compare stays at the submitter: `hmmci run --fleet` drives the very same runSeries as a
 * local run (same progress, same run directory, same reports, byte for byte). That pipeline
 * decides what to submit next from what came back (a regression asks for reruns, a cached
 * baseline asks for no boot at all), and the run directory, the history database and the report
 * files are on the submitter's machine, not on a worker's. So the parent job does not compare: it
 * holds its children's results (BullMQ keeps each child's return value in its parent), names its
 * build jobs, and, once its submitter closes it with the run's outcome, a worker processes it into
 * the run's summary — what `hmmci fleet status` shows, and what a restarted submitter adopts.
 *
 * A parent waits for its children; children are added as the run goes, so the parent is opened
 * with one more child, a *hold* (a delayed job in the same queue), which its submitter removes when
 * the run is over. A submitter that died leaves its parent open: the same run submitted again
 * (same series, base, config, runner, guest options) adopts it once the dead submitter's lease is
 * gone, and its test jobs (ids keyed by parent, side and kernel) give back the results they already
 * have. An abandoned parent is closed when its hold comes due (HOLD_MS).
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FlowProducer, Job, type Queue } from 'bullmq';
import type { RunRecord } from '../report/record.js';
import type { FleetClient } from './client.js';
import { redisOptions } from './connection.js';
import { QUEUE_PREFIX, RUN_QUEUE, type TestJobResult } from './jobs.js';

export { RUN_QUEUE };
/** How long an unclosed run's hold waits before a worker closes the run as abandoned. */
export const HOLD_MS = 24 * 3600_000;
/** A submitter renews its lease on its open runs; a restarted one adopts a run whose lease expired. */
export const SUBMITTER_LEASE_MS = 30_000;

export interface RunBuildRef {
  side: string;
  queue: string;
  id: string;
}

/** What the submitter tells its run's parent when the run is over (from the run's record.json). */
export interface RunSummary {
  status: RunRecord['status'];
  exitCode?: number;
  regressions: string[];
  fixed: number;
  flaky: number;
  error?: string;
}

export interface RunJobData {
  kind: 'run';
  /** The run id (run directory name) and directory on the submitter's machine. */
  runId: string;
  runDir: string;
  title: string;
  /** Same series, base, config, runner and guest options: the same key (for adoption). */
  key: string;
  submitter: string;
  builds: RunBuildRef[];
  summary?: RunSummary;
}

export interface HoldJobData {
  kind: 'hold';
  run: string;
}

export interface RunJobResult {
  runId: string;
  runDir: string;
  title: string;
  /** False: the submitter never closed it (its hold came due). */
  closed: boolean;
  summary?: RunSummary;
  builds: RunBuildRef[];
  tests: Array<{
    side: string;
    job: string;
    ok: boolean;
    worker?: string;
    counts?: Record<string, number>;
    error?: string;
  }>;
}

export interface ParentRef {
  id: string;
  queue: string;
}

const openKey = (key: string) => `${QUEUE_PREFIX}:fleet:open-run:${key}`;
const leaseKey = (id: string) => `${QUEUE_PREFIX}:fleet:run-lease:${id}`;
const holdId = (parent: string) => `${parent}-hold`;
export const parentRef = (id: string): ParentRef => ({ id, queue: `${QUEUE_PREFIX}:${RUN_QUEUE}` });

/** The side of a test from its log dir (`<run>/guest/patched` → patched). */
export const sideOf = (logDir: string) => basename(logDir);
/** The run directory of a test's log dir. */
export const runDirOf = (logDir: string) => dirname(dirname(logDir));

/** The test job id of one side of a run on one kernel: the same run adopted again finds it. */
export function testJobId(parent: string, side: string, manifestKey: string): string {
  return `${parent}-${side}-${createHash('sha256').update(manifestKey).digest('hex').slice(0, 8)}`;
}

function readRunRecord(runDir: string): RunRecord | undefined {
  const f = join(runDir, 'record.json');
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as RunRecord;
  } catch {
    return undefined;
  }
}

/** A run's identity apart from its run directory: series, base, config, runner, guest options. */
export function runKey(record: RunRecord | undefined, runDir: string, test: { runner: string; guest?: unknown }) {
  const id = record
    ? [
        record.series.patchsetHash ?? record.series.input,
        record.series.base,
        record.config.fragments,
        record.config.extra,
        record.config.variant ?? '',
      ]
    : [runDir];
  return createHash('sha256')
    .update(JSON.stringify([...id, test.runner, test.guest ?? null]))
    .digest('hex')
    .slice(0, 24);
}

/** The summary a closed run carries, from its record. */
export function summaryOf(r: RunRecord): RunSummary {
  return {
    status: r.status,
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    regressions: (r.comparison?.regressions ?? []).map((c) => c.name),
    fixed: r.comparison?.fixed.length ?? 0,
    flaky: r.comparison?.flaky.length ?? 0,
    ...(r.error ? { error: r.error.message } : {}),
  };
}

interface OpenRun {
  ref: ParentRef;
  data: RunJobData;
  adopted: boolean;
  /** updateData calls of one parent, in order. */
  writes: Promise<unknown>;
}

/** The run parents one submitter opened or adopted: open on first test, close at the end. */
export class RunParents {
  private readonly runs = new Map<string, Promise<OpenRun>>();
  private flow?: FlowProducer;
  private timer?: NodeJS.Timeout;
  readonly submitter = `${process.pid}-${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly client: FleetClient,
    private readonly opts: { leaseMs?: number; info?: (text: string) => void } = {},
  ) {}

  private get queue(): Queue {
    return this.client.queue(RUN_QUEUE);
  }

  /** The parent of the run a test's log dir belongs to (opened, or adopted, on first use). */
  async parentFor(logDir: string, test: { runner: string; guest?: unknown }, build?: RunBuildRef): Promise<ParentRef> {
    const runDir = runDirOf(logDir);
    let p = this.runs.get(runDir);
    if (!p) {
      p = this.open(runDir, test);
      this.runs.set(runDir, p);
    }
    const run = await p;
    if (build && !run.data.builds.some((b) => b.id === build.id && b.side === build.side)) {
      run.data.builds.push(build);
      await this.write(run);
    }
    return run.ref;
  }

  private write(run: OpenRun): Promise<unknown> {
    const data = structuredClone(run.data);
    run.writes = run.writes.then(() => this.queue.getJob(run.ref.id).then((j) => j?.updateData(data)));
    return run.writes;
  }

  private async open(runDir: string, test: { runner: string; guest?: unknown }): Promise<OpenRun> {
    const record = readRunRecord(runDir);
    const key = runKey(record, runDir, test);
    const adopted = await this.adopt(key, runDir);
    if (adopted) return adopted;
    const id = `r-${key.slice(0, 16)}-${randomUUID().slice(0, 8)}`;
    const data: RunJobData = {
      kind: 'run',
      runId: basename(runDir),
      runDir,
      title: record?.series.title ?? basename(runDir),
      key,
      submitter: this.submitter,
      builds: [],
    };
    if (!this.flow) {
      this.flow = new FlowProducer({
        connection: { ...redisOptions(this.client.conn.target), lazyConnect: false },
        prefix: QUEUE_PREFIX,
      });
      this.flow.on('error', () => undefined);
    }
    await this.flow.add({
      name: 'run',
      queueName: RUN_QUEUE,
      data,
      opts: { jobId: id, removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } },
      children: [
        {
          name: 'hold',
          queueName: RUN_QUEUE,
          data: { kind: 'hold', run: id } satisfies HoldJobData,
          opts: { jobId: holdId(id), delay: HOLD_MS, removeOnComplete: true },
        },
      ],
    });
    await this.lease(id);
    await this.client.conn.redis.sadd(openKey(key), id);
    this.opts.info?.(`fleet: run ${data.runId} is parent job ${id} on ${RUN_QUEUE}`);
    return { ref: parentRef(id), data, adopted: false, writes: Promise.resolve() };
  }

  /** An open parent of the same run whose submitter is gone: take it over. */
  private async adopt(key: string, runDir: string): Promise<OpenRun | undefined> {
    const redis = this.client.conn.redis;
    for (const id of (await redis.smembers(openKey(key))).sort()) {
      const job = (await this.queue.getJob(id)) as Job<RunJobData> | undefined;
      if (!job || (await job.getState()) !== 'waiting-children') {
        await redis.srem(openKey(key), id);
        continue;
      }
      // Another live submitter runs it now: not this one's to take.
      if ((await redis.set(leaseKey(id), this.submitter, 'PX', this.leaseMs, 'NX')) !== 'OK') continue;
      this.startRenewing();
      // The run goes on in this submitter's run directory; the parent names it from now on.
      const data = { ...job.data, runDir, runId: basename(runDir), submitter: this.submitter };
      const deps = await job.getDependenciesCount({ processed: true });
      this.opts.info?.(
        `fleet: adopting open run parent ${id} (${job.data.runId}; ${deps.processed ?? 0} test job(s) already done)`,
      );
      const run: OpenRun = { ref: parentRef(id), data, adopted: true, writes: Promise.resolve() };
      await this.write(run);
      return run;
    }
    return undefined;
  }

  private get leaseMs(): number {
    return this.opts.leaseMs ?? SUBMITTER_LEASE_MS;
  }

  private async lease(id: string): Promise<void> {
    await this.client.conn.redis.set(leaseKey(id), this.submitter, 'PX', this.leaseMs);
    this.startRenewing();
  }

  private startRenewing(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.renew(), Math.max(100, this.leaseMs / 3));
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    const redis = this.client.conn.redis;
    for (const p of this.runs.values()) {
      const run = await p.catch(() => undefined);
      if (run) await redis.set(leaseKey(run.ref.id), this.submitter, 'PX', this.leaseMs).catch(() => undefined);
    }
  }

  /**
   * The run is over: each parent gets its run's outcome (from record.json) and loses its hold, so a
   * worker processes it. A run that did not end (interrupted, still running) stays open for adoption,
   * unless it was cancelled (`cancelled`: the watcher's supersede; nobody will submit it again).
   */
  async closeAll(o: { cancelled?: boolean } = {}): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const p of this.runs.values()) {
      const run = await p.catch(() => undefined);
      if (!run) continue;
      const record = readRunRecord(run.data.runDir);
      const redis = this.client.conn.redis;
      if (!record || record.status === 'running' || (record.status === 'interrupted' && !o.cancelled)) {
        await redis.del(leaseKey(run.ref.id)).catch(() => undefined);
        continue;
      }
      run.data.summary = summaryOf(record);
      await this.write(run);
      await run.writes;
      const hold = await this.queue.getJob(holdId(run.ref.id));
      if (hold) {
        await hold.removeChildDependency();
        await hold.remove().catch(() => undefined);
      }
      await redis.srem(openKey(run.data.key), run.ref.id);
      await redis.del(leaseKey(run.ref.id));
    }
    this.runs.clear();
    await this.flow?.close().catch(() => undefined);
    this.flow = undefined;
  }
}

/** A worker's processing of a run parent (or of an abandoned run's hold): the run's summary. */
export async function processRunJob(job: Job<RunJobData | HoldJobData>): Promise<RunJobResult | { hold: string }> {
  const d = job.data;
  if (d.kind === 'hold') return { hold: d.run };
  const values = await job.getChildrenValues<TestJobResult | { hold: string }>();
  const failures = await job.getIgnoredChildrenFailures();
  const tests: RunJobResult['tests'] = [];
  const sideFrom = (k: string) => /-(baseline|patched|rerun\d+)-[0-9a-f]{8}$/.exec(k)?.[1] ?? 'test';
  for (const [k, v] of Object.entries(values)) {
    if (!v || 'hold' in v) continue;
    const id = k.slice(k.lastIndexOf(':') + 1);
    tests.push(
      v.ok
        ? {
            side: sideFrom(id),
            job: id,
            ok: true,
            worker: v.worker,
            counts: v.result.counts as unknown as Record<string, number>,
          }
        : { side: sideFrom(id), job: id, ok: false, worker: v.worker, error: v.failure.message },
    );
  }
  for (const [k, reason] of Object.entries(failures)) {
    const id = k.slice(k.lastIndexOf(':') + 1);
    tests.push({ side: sideFrom(id), job: id, ok: false, error: reason });
  }
  tests.sort((a, b) => a.side.localeCompare(b.side));
  return {
    runId: d.runId,
    runDir: d.runDir,
    title: d.title,
    closed: Boolean(d.summary),
    ...(d.summary ? { summary: d.summary } : {}),
    builds: d.builds,
    tests,
  };
}
