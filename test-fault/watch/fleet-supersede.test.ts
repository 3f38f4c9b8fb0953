/**
 * `hmmci watch --fleet` (polling) with a real redis-server and a real `hmmci worker` on the fake
 * kernel: v1 is booting on the worker (a guest that would run for 10 minutes) when v2 arrives. The
 * watcher supersedes v1, its fleet run cancels v1's active test job: the worker kills the job's
 * runner and guest process groups within seconds, the job fails after one attempt (not retried),
 * v1's run parent is closed (not left for adoption), and the worker goes on to v2's jobs (v2's
 * baseline build is v1's, shared by its key: never cancelled).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Queue } from 'bullmq';
import { RUN_QUEUE, type RunJobResult } from '../../src/fleet/run-parent.js';
import { startRedis, stopRedis } from '../../test/fleet/helpers/redis.js';
import { CLI, fleetEnv, startWorkerProc } from '../../test/fleet/helpers/fleet.js';
import { LOADER_ARGS } from '../../test/helpers/child-node.js';
import { groupMembers, pgidOf, ppidOf, waitForProcess } from '../../test/fleet/helpers/procs.js';
import { makeTraffic } from '../../test/watch/traffic.js';
import { createPublicInbox, publicInboxMissing } from '../../tools/public-inbox/fixture.js';

t.setTimeout(600_000);

async function until<T>(what: () => T | Promise<T>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v || Date.now() > end) return v;
    await sleep(100);
  }
}

t.test('a superseded fleet run cancels its active test job', { skip: publicInboxMissing() }, async (t) => {
  const redis = await startRedis();
  t.teardown(() => stopRedis(redis));
  const e = fleetEnv();
  const inbox = createPublicInbox({ root: join(e.dir, 'pi') });
  t.teardown(() => inbox.close());
  const traffic = makeTraffic(e.dir);
  inbox.deliverMany(traffic.v1.mails);
  const w = startWorkerProc(e, redis.url, 'sup-W', { lease: 5, env: { HMMCI_FAKE_GUEST_MS: '600000' } });
  t.teardown(() => void w.proc.kill('SIGKILL'));
  await w.waitFor(/serving/);

  const cache = join(e.dir, 'cache-watch');
  const args = ['watch', '--inbox', inbox.dir, '--state', join(e.dir, 'state'), '--tree', traffic.repo];
  args.push('--outbox', join(e.dir, 'outbox'), '--reruns', '0', '--fleet', redis.url, '--interval', '1s');
  const watcher = spawn(process.execPath, [...LOADER_ARGS, CLI, ...args], {
    env: e.env(cache),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  watcher.stdout?.on('data', (b) => (log += b));
  watcher.stderr?.on('data', (b) => (log += b));
  const exited = new Promise((r) => watcher.once('exit', r));
  t.teardown(() => {
    try {
      process.kill(-(watcher.pid as number), 'SIGKILL');
    } catch {
      /* gone */
    }
  });

  const queue = 'test-x86_64-qemu';
  const id = (await w.waitFor(new RegExp(`took ${queue} job (\\S+)`), 240_000))[1] as string;
  const guest = await waitForProcess(w, /hmmci-fake-guest/);
  const groups = [pgidOf(ppidOf(guest)), pgidOf(guest)];
  t.ok(
    groups.every((g) => groupMembers(g).length > 0),
    `v1's test job ${id} is booting (groups ${groups})`,
  );

  const v2key = `${traffic.v2.cover} v2`;
  const t0 = Date.now();
  inbox.deliverMany(traffic.v2.mails);
  const cancelled = await w.waitFor(new RegExp(`cancelled job ${id} \\((.*)\\)`), 60_000);
  t.equal(cancelled[1], `superseded by ${v2key}`, 'the worker cancels it, naming the supersede');
  await until(() => groups.every((g) => groupMembers(g).length === 0), 15_000);
  t.same(
    groups.map((g) => groupMembers(g)),
    [[], []],
    `its runner and guest process groups are gone (${Date.now() - t0} ms after v2 arrived)`,
  );

  const connection = { host: '127.0.0.1', port: redis.port };
  const q = new Queue(queue, { connection, prefix: 'hmmci' });
  const runs = new Queue(RUN_QUEUE, { connection, prefix: 'hmmci' });
  t.teardown(() => Promise.all([q.close(), runs.close()]));
  await until(async () => (await (await Job.fromId(q, id))?.getState()) === 'failed', 10_000);
  const job = await Job.fromId(q, id);
  t.equal(await job?.getState(), 'failed', 'the test job failed');
  t.equal(job?.attemptsMade, 1, 'after one attempt: not retried');
  t.match(job?.failedReason, `cancelled by its submitter (superseded by ${v2key})`, 'its reason names the cancel');

  // v1's run parent: closed by its submitter (a cancel is not left for adoption), summarised.
  const parent = await until(async () => {
    const done = await runs.getJobs(['completed'], 0, 50);
    return done.map((j) => j.returnvalue as RunJobResult).find((v) => v?.tests?.some((x) => x.job === id));
  }, 30_000);
  t.equal(parent?.closed, true, "v1's run parent was closed");
  t.equal(parent?.summary?.status, 'interrupted', 'as an interrupted run');

  const logged = await until(() => log.includes(`cancelled (superseded by ${v2key})`), 30_000);
  t.ok(logged, 'the watcher logs the cancelled run');
  const after = () => w.output().slice(w.output().indexOf(`cancelled job ${id}`));
  const next = await until(() => new RegExp(`took ${queue} job (?!${id}\\b)\\S+`).test(after()), 120_000);
  t.ok(next, 'the worker goes on to a test job of v2', next ? {} : { worker: after(), watcher: log.slice(-3000) });
  process.kill(-(watcher.pid as number), 'SIGINT');
  await exited;
});
