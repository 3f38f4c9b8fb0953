/**
 * Cancelling fleet jobs on a real redis-server: the cancel mark (set with a TTL under the fleet's
 * prefix, read, cleared), and cancelJob on each state a job can be in: a waiting and a delayed job
 * are removed (a child of a parent leaves the parent's dependencies), an active one (held by an
 * inline BullMQ Worker) is marked and stays, an ended one is left alone, an unknown id is absent.
 */
import t from 'tap';
import { FlowProducer, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  cancelJob,
  cancelMark,
  CANCEL_MARK_TTL_MS,
  clearCancelMark,
  markCancelled,
} from '../../src/fleet/cancel-mark.js';
import { QUEUE_PREFIX } from '../../src/fleet/jobs.js';
import { startRedis, stopRedis } from './helpers/redis.js';

t.setTimeout(60_000);
const server = await startRedis();
t.teardown(() => stopRedis(server));
const connection = { host: '127.0.0.1', port: server.port };
const redis = new Redis(connection);
t.teardown(() => redis.quit());
const Q = 'test-x86_64-qemu';
const queue = new Queue(Q, { connection, prefix: QUEUE_PREFIX });
t.teardown(() => queue.close());
const data = { kind: 'test' };

t.test('a cancel mark: set with a TTL under the fleet prefix, read back, cleared', async (t) => {
  t.equal(await cancelMark(redis, Q, 'j1'), undefined, 'no mark at first');
  await markCancelled(redis, Q, 'j1', 'superseded by <m@x> v2');
  t.equal(await cancelMark(redis, Q, 'j1'), 'superseded by <m@x> v2', 'the mark says why');
  const key = `${QUEUE_PREFIX}:fleet:cancel:${Q}:j1`;
  const ttl = await redis.pttl(key);
  t.ok(ttl > CANCEL_MARK_TTL_MS - 5000 && ttl <= CANCEL_MARK_TTL_MS, `it expires (pttl ${ttl} ms)`);
  t.equal(await cancelMark(redis, 'test-x86_64-vng', 'j1'), undefined, 'a mark names its queue');
  await clearCancelMark(redis, Q, 'j1');
  t.equal(await redis.exists(key), 0, 'cleared');
  await markCancelled(redis, Q, 'j2', 'short', 200);
  const end = Date.now() + 5000;
  while ((await redis.exists(`${QUEUE_PREFIX}:fleet:cancel:${Q}:j2`)) && Date.now() < end)
    await new Promise((r) => setTimeout(r, 50));
  t.equal(await cancelMark(redis, Q, 'j2'), undefined, 'a mark with a 200 ms TTL is gone');
});

t.test('a waiting and a delayed job are removed, with no mark left', async (t) => {
  await queue.add('test', data, { jobId: 'waiting-1' });
  await queue.add('test', data, { jobId: 'delayed-1', delay: 60_000 });
  t.equal(await (await queue.getJob('waiting-1'))?.getState(), 'waiting');
  t.equal(await cancelJob(queue, redis, 'waiting-1', 'superseded'), 'removed');
  t.equal(await cancelJob(queue, redis, 'delayed-1', 'superseded'), 'removed');
  t.equal(await queue.getJob('waiting-1'), undefined, 'the waiting job is gone from its queue');
  t.equal(await queue.getJob('delayed-1'), undefined, 'the delayed job too');
  t.equal(await cancelMark(redis, Q, 'waiting-1'), undefined, 'no mark stays behind a removed job');
  t.equal(await cancelJob(queue, redis, 'never-was', 'superseded'), 'absent');
});

t.test("a waiting child leaves its parent's dependencies", async (t) => {
  const flow = new FlowProducer({ connection, prefix: QUEUE_PREFIX });
  t.teardown(() => flow.close());
  await flow.add({
    name: 'run',
    queueName: 'run-cancel-test',
    data: { kind: 'run' },
    opts: { jobId: 'parent-1' },
    children: [{ name: 'test', queueName: Q, data, opts: { jobId: 'child-1' } }],
  });
  const runs = new Queue('run-cancel-test', { connection, prefix: QUEUE_PREFIX });
  t.teardown(() => runs.close());
  const parent = await runs.getJob('parent-1');
  t.equal((await parent?.getDependenciesCount())?.unprocessed, 1, 'the parent waits for its child');
  t.equal(await cancelJob(queue, redis, 'child-1', 'superseded'), 'removed');
  t.equal((await parent?.getDependenciesCount())?.unprocessed, 0, 'and no longer after the cancel');
});

t.test('an active job is marked and left to its worker; an ended one is left alone', async (t) => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const active = new Promise<void>((r) => (started = r));
  const w = new Worker(
    Q,
    async () => {
      started();
      await held;
      return 'done';
    },
    { connection, prefix: QUEUE_PREFIX },
  );
  t.teardown(() => w.close());
  await queue.add('test', data, { jobId: 'active-1' });
  await active;
  t.equal(await cancelJob(queue, redis, 'active-1', 'superseded by v3'), 'marked');
  t.equal(await (await queue.getJob('active-1'))?.getState(), 'active', 'an active job is not removed');
  t.equal(await cancelMark(redis, Q, 'active-1'), 'superseded by v3', 'its worker finds the mark');
  const done = new Promise<void>((r) => w.once('completed', () => r()));
  release();
  await done;
  await clearCancelMark(redis, Q, 'active-1');
  t.equal(await cancelJob(queue, redis, 'active-1', 'late'), 'ended', 'a completed job is not touched');
  t.equal(await cancelMark(redis, Q, 'active-1'), undefined, 'and gets no mark');
});
