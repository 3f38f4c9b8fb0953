import type { Redis } from 'ioredis';
import type { Capabilities } from './capabilities.js';
import { QUEUE_PREFIX } from './jobs.js';

/** A live worker as it publishes itself: refreshed every heartbeat, gone when it misses three. */
export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  capabilities: Capabilities;
  queues: string[];
  startedAt: string;
  heartbeatAt: string;
  /** What it is doing now. */
  current: Array<{ queue: string; jobId: string; stage?: string; text?: string }>;
  state: 'idle' | 'busy' | 'draining';
}

const key = (id: string) => `${QUEUE_PREFIX}:fleet:worker:${id}`;
const SET = `${QUEUE_PREFIX}:fleet:workers`;

/** Publish (or refresh) a worker; it expires `ttlMs` after its last heartbeat. */
export async function publishWorker(redis: Redis, w: WorkerInfo, ttlMs: number): Promise<void> {
  await redis.multi().set(key(w.id), JSON.stringify(w), 'PX', ttlMs).sadd(SET, w.id).exec();
}

export async function removeWorker(redis: Redis, id: string): Promise<void> {
  await redis.multi().del(key(id)).srem(SET, id).exec();
}

/** Workers whose heartbeat has not expired; ids of expired ones are dropped from the set. */
export async function liveWorkers(redis: Redis): Promise<WorkerInfo[]> {
  const ids = await redis.smembers(SET);
  if (ids.length === 0) return [];
  const values = await redis.mget(ids.map(key));
  const gone = ids.filter((_, i) => !values[i]);
  if (gone.length) await redis.srem(SET, ...gone);
  return values.filter((v): v is string => Boolean(v)).map((v) => JSON.parse(v) as WorkerInfo);
}
