/** A worker registered in the fleet's Redis without a worker process: what the submitter and the pages see. */
import type { Redis } from 'ioredis';
import { probeCapabilities } from '../../../src/fleet/capabilities.js';
import { publishWorker, type WorkerInfo } from '../../../src/fleet/registry.js';

/** Register worker `w.id` serving `w.queues` (idle, this machine's capabilities unless given) for `ttlMs`. */
export function registerWorker(
  redis: Redis,
  w: Pick<WorkerInfo, 'id' | 'queues'> & Partial<WorkerInfo>,
  ttlMs = 60_000,
): Promise<void> {
  const now = new Date().toISOString();
  return publishWorker(
    redis,
    {
      host: 'here',
      pid: process.pid,
      capabilities: probeCapabilities(),
      startedAt: now,
      heartbeatAt: now,
      current: [],
      state: 'idle',
      ...w,
    },
    ttlMs,
  );
}
