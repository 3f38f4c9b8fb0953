import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { redisOptions, type FleetConnection } from './connection.js';
import { QUEUE_PREFIX, type JobProgress } from './jobs.js';
import { liveWorkers, type WorkerInfo } from './registry.js';
import { describeCapabilities } from './capabilities.js';
import { RUN_QUEUE, type RunBuildRef, type RunJobData, type RunJobResult, type RunSummary } from './run-parent.js';

export interface FleetStatus {
  redis: { url: string; version: string };
  workers: WorkerInfo[];
  queues: Array<{ name: string; waiting: number; active: number; delayed: number; completed: number; failed: number }>;
  running: Array<{
    queue: string;
    id: string;
    worker?: string;
    stage?: string;
    text?: string;
    phase?: string;
    startedAt?: string;
  }>;
  failed: Array<{ queue: string; id: string; reason: string; attempts: number; finishedAt?: string }>;
  /** Run parent jobs: open ones (waiting for their test jobs or their submitter) and recent ones. */
  runs: RunStatus[];
}

export interface RunStatus {
  id: string;
  runId: string;
  title: string;
  /** waiting-children: open; waiting/active: being summarised; completed. */
  state: string;
  createdAt: string;
  /** Test job ids by state (the hold is not counted). */
  tests: { done: string[]; pending: string[]; failed: string[] };
  builds: RunBuildRef[];
  summary?: RunSummary;
  /** Completed without its submitter closing it (abandoned). */
  abandoned?: boolean;
}

/** Queue names that exist in this Redis (BullMQ keeps a `<prefix>:<name>:meta` hash per queue). */
async function queueNames(redis: Redis): Promise<string[]> {
  const names = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${QUEUE_PREFIX}:*:meta`, 'COUNT', 200);
    cursor = next;
    for (const k of keys) names.add(k.slice(QUEUE_PREFIX.length + 1, -':meta'.length));
  } while (cursor !== '0');
  return [...names].filter((n) => !n.includes(':')).sort();
}

/** Everything `hmmci fleet status` shows: workers, queue depths, running jobs, recent failures. */
export async function fleetStatus(conn: FleetConnection): Promise<FleetStatus> {
  const workers = await liveWorkers(conn.redis);
  const status: FleetStatus = {
    redis: { url: conn.target.url, version: conn.version },
    workers,
    queues: [],
    running: [],
    failed: [],
    runs: [],
  };
  for (const name of await queueNames(conn.redis)) {
    const q = new Queue(name, {
      connection: { ...redisOptions(conn.target), lazyConnect: false },
      prefix: QUEUE_PREFIX,
    });
    try {
      const c = await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
      status.queues.push({
        name,
        waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
        active: c.active ?? 0,
        delayed: c.delayed ?? 0,
        completed: c.completed ?? 0,
        failed: c.failed ?? 0,
      });
      for (const j of await q.getJobs(['active'], 0, 50)) {
        const p = (typeof j.progress === 'object' ? j.progress : {}) as Partial<JobProgress>;
        status.running.push({
          queue: name,
          id: j.id ?? '',
          worker: p.worker,
          stage: p.stage,
          text: p.text,
          phase: p.phase,
          startedAt: j.processedOn ? new Date(j.processedOn).toISOString() : undefined,
        });
      }
      for (const j of await q.getJobs(['failed'], 0, 20)) {
        status.failed.push({
          queue: name,
          id: j.id ?? '',
          reason: j.failedReason ?? '',
          attempts: j.attemptsMade,
          finishedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : undefined,
        });
      }
    } finally {
      await q.close();
    }
  }
  status.runs = await runStatuses(conn);
  return status;
}

const idOfKey = (k: string) => k.slice(k.lastIndexOf(':') + 1);

/** The run parents in the `run` queue: open ones first, then the 10 most recent completed. */
export async function runStatuses(conn: FleetConnection): Promise<RunStatus[]> {
  const q = new Queue(RUN_QUEUE, {
    connection: { ...redisOptions(conn.target), lazyConnect: false },
    prefix: QUEUE_PREFIX,
  });
  try {
    const open = await q.getJobs(['waiting-children', 'waiting', 'active'], 0, 100);
    const done = await q.getJobs(['completed'], 0, 9);
    const out: RunStatus[] = [];
    for (const j of [...open, ...done]) {
      if ((j.data as { kind?: string }).kind !== 'run') continue;
      const d = j.data as RunJobData;
      const deps = await j.getDependencies({ processed: {}, unprocessed: {}, ignored: {} });
      const tests = (ks: string[]) => ks.map(idOfKey).filter((id) => !id.endsWith('-hold'));
      const value = j.returnvalue as RunJobResult | null;
      out.push({
        id: j.id ?? '',
        runId: d.runId,
        title: d.title,
        state: await j.getState(),
        createdAt: new Date(j.timestamp).toISOString(),
        tests: {
          done: tests(Object.keys(deps.processed ?? {})),
          pending: tests(deps.unprocessed ?? []),
          failed: tests(Object.keys(deps.ignored ?? {})),
        },
        builds: d.builds,
        ...(d.summary ? { summary: d.summary } : {}),
        ...(value && value.closed === false ? { abandoned: true } : {}),
      });
    }
    return out;
  } finally {
    await q.close();
  }
}

const ago = (iso: string, now: number) => `${Math.max(0, Math.round((now - Date.parse(iso)) / 1000))}s ago`;

export function renderStatus(s: FleetStatus, now = Date.now()): string {
  const out = [`Redis ${s.redis.version} at ${s.redis.url}`, '', `Workers (${s.workers.length} live):`];
  for (const w of s.workers) {
    out.push(`  ${w.id}  ${w.state}  heartbeat ${ago(w.heartbeatAt, now)}  ${describeCapabilities(w.capabilities)}`);
    out.push(`    queues: ${w.queues.join(', ')}`);
    for (const c of w.current)
      out.push(`    now: ${c.queue} job ${c.jobId}${c.stage ? ` — ${c.stage}${c.text ? `: ${c.text}` : ''}` : ''}`);
  }
  if (!s.workers.length) out.push('  none: start `hmmci worker --redis URL` on each machine');
  out.push('', 'Queues:');
  for (const q of s.queues)
    out.push(
      `  ${q.name.padEnd(20)} waiting ${q.waiting}  active ${q.active}  delayed ${q.delayed}  completed ${q.completed}  failed ${q.failed}`,
    );
  if (!s.queues.length) out.push('  none yet');
  if (s.running.length) {
    out.push('', 'Running:');
    for (const r of s.running)
      out.push(
        `  ${r.queue} ${r.id} on ${r.worker ?? '?'}: ${r.stage ?? r.phase ?? 'started'}${r.text ? ` — ${r.text}` : ''}`,
      );
  }
  if (s.runs.length) {
    out.push('', 'Runs:');
    for (const r of s.runs) {
      const t = r.tests;
      const outcome = r.summary
        ? `${r.summary.status}, exit ${r.summary.exitCode ?? '?'}, ${r.summary.regressions.length} regression(s)`
        : r.abandoned
          ? 'abandoned by its submitter'
          : 'open';
      out.push(
        `  ${r.runId} (${r.id}) ${r.state}: ${outcome}; tests ${t.done.length} done, ${t.pending.length} pending, ${t.failed.length} failed; builds ${r.builds.map((b) => b.id).join(', ') || 'none'}`,
      );
    }
  }
  if (s.failed.length) {
    out.push('', 'Failed:');
    for (const f of s.failed)
      out.push(`  ${f.queue} ${f.id} after ${f.attempts} attempt(s): ${f.reason.split('\n')[0]}`);
  }
  return out.join('\n');
}
