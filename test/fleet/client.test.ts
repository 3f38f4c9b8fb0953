/**
 * FleetClient.ensureServable on a real redis-server: no live worker for a queue fails at once by
 * default; with a wait it finds a worker that comes up during the wait (a worker started
 * alongside the submitter, or restarting), and otherwise fails after the wait, saying how long.
 */
import t from 'tap';
import { FleetClient } from '../../src/fleet/client.js';
import { FleetError } from '../../src/fleet/connection.js';
import { registerWorker } from './helpers/registry.js';
import { startRedis, stopRedis } from './helpers/redis.js';

t.setTimeout(60_000);
const redis = await startRedis();
t.teardown(() => stopRedis(redis));
const client = await FleetClient.connect(redis.url);
t.teardown(() => client.close());

function publish(id: string, queues: string[], state: 'idle' | 'draining' = 'idle') {
  return registerWorker(client.conn.redis, { id, queues, state });
}

t.test('no wait: no live worker fails at once, naming the queue and what it needs', async (t) => {
  const started = Date.now();
  const err = await client.ensureServable('build-x86_64').catch((e: unknown) => e);
  t.type(err, FleetError);
  t.match(
    (err as Error).message,
    /^No live worker can build kernels for x86_64 .*, so the build-x86_64 job would wait forever \(no worker is live at all\)/,
  );
  t.notMatch((err as Error).message, / after \d+ s/);
  t.ok(Date.now() - started < 1000, 'at once');
});

t.test('a worker that comes up during the wait is found', async (t) => {
  const started = Date.now();
  setTimeout(() => void publish('late', ['build-x86_64']), 700);
  await client.ensureServable('build-x86_64', 5000);
  const ms = Date.now() - started;
  t.ok(ms >= 650 && ms < 3000, `found after the worker came up (${ms} ms)`);
});

t.test('a draining worker, or one on another queue, does not serve: fails after the wait', async (t) => {
  await publish('drain', ['test-x86_64-qemu'], 'draining');
  await publish('vng-only', ['test-x86_64-vng']);
  const started = Date.now();
  const err = await client.ensureServable('test-x86_64-qemu', 1200).catch((e: unknown) => e);
  const ms = Date.now() - started;
  t.type(err, FleetError);
  t.ok(ms >= 1150 && ms < 4000, `waited the whole wait (${ms} ms)`);
  t.match((err as Error).message, /No live worker can boot x86_64 kernels .* after 1 s, so the test-x86_64-qemu job/);
  t.match((err as Error).message, /drain \(test-x86_64-qemu\)/, 'names the live workers');
  t.match((err as Error).message, /--wait-workers/);
});

t.test('a queue served right away returns without waiting', async (t) => {
  const started = Date.now();
  await client.ensureServable('test-x86_64-vng', 10_000);
  t.ok(Date.now() - started < 1000);
});
