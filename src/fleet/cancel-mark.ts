/**
 * Cancelling a fleet job: a waiting, delayed or prioritized one is removed from its queue (a child
 * of a run parent leaves the parent's dependencies with it); an active one gets a cancel mark in
 * Redis, `hmmci:fleet:cancel:<queue>:<job id>` (next to the worker registry, with a TTL), which
 * the worker holding it reads every second: it kills the job's runner process group and fails the
 * job without retry.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE_PREFIX } from './jobs.js';

/** How the failed reason of a cancelled job begins (`cancelled by its submitter (<why>)`). */
export const CANCELLED_BY_SUBMITTER = 'cancelled by its submitter';

/** How long a cancel mark lives: long enough for a stalled job to be taken again and cancelled there. */
export const CANCEL_MARK_TTL_MS = 3600_000;

const markKey = (queue: string, id: string) => `${QUEUE_PREFIX}:fleet:cancel:${queue}:${id}`;

/** Mark job `id` of `queue` cancelled, saying why (for the worker's log and the job's failure). */
export async function markCancelled(
  redis: Redis,
  queue: string,
  id: string,
  why: string,
  ttlMs = CANCEL_MARK_TTL_MS,
): Promise<void> {
  await redis.set(markKey(queue, id), why, 'PX', ttlMs);
}

/** Why job `id` of `queue` was cancelled, or undefined when it carries no mark. */
export async function cancelMark(redis: Redis, queue: string, id: string): Promise<string | undefined> {
  return (await redis.get(markKey(queue, id))) ?? undefined;
}

export async function clearCancelMark(redis: Redis, queue: string, id: string): Promise<void> {
  await redis.del(markKey(queue, id));
}

/** What cancelling did: removed from its queue, marked (active: its worker stops it), or nothing (it ended, or is gone). */
export type CancelOutcome = 'removed' | 'marked' | 'ended' | 'absent';

const QUEUED = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Cancel job `id` of `q`. The mark is set first, so a job that becomes active between the state read
 * and the removal (a locked job cannot be removed) is still stopped by its worker; a job removed
 * or already ended loses the mark again.
 */
export async function cancelJob(q: Queue, redis: Redis, id: string, why: string): Promise<CancelOutcome> {
  const job = await q.getJob(id);
  if (!job) return 'absent';
  const state = await job.getState();
  if (state === 'completed' || state === 'failed') return 'ended';
  await markCancelled(redis, q.name, id, why);
  if (!QUEUED.has(state)) return 'marked';
  try {
    await job.remove();
  } catch {
    return 'marked'; // taken meanwhile (locked): the mark stops it
  }
  await clearCancelMark(redis, q.name, id);
  return 'removed';
}
