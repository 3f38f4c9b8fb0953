/**
 * The submitter's side of a cancel, on a real redis-server: a fleet test stage whose run is
 * aborted while its test job waits (no worker takes it here) stops following at once; with a
 * RunCancelled reason (the watcher's supersede) the test job is removed from its queue and leaves
 * its run parent's dependencies, with any other abort (Ctrl-C) it stays queued for the same run
 * submitted again to adopt. The build job the test needs is completed by an inline BullMQ Worker
 * and is never touched by a cancel.
 */
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { tempDir } from '../../tools/fake-kernel/fixture.js';
import { cacheLayout } from '../../src/common/cache.js';
import { createReporter } from '../../src/common/progress.js';
import { cancelsJobs, RunCancelled } from '../../src/common/run-cancelled.js';
import { FleetClient } from '../../src/fleet/client.js';
import { BUILD_MARKER, fleetStages } from '../../src/fleet/fleet-stages.js';
import { QUEUE_PREFIX, type BuildJobResult } from '../../src/fleet/jobs.js';
import { registerWorker } from './helpers/registry.js';
import { RUN_QUEUE, RunParents } from '../../src/fleet/run-parent.js';
import { openStore } from '../../src/fleet/store.js';
import { realStages } from '../../src/stages/real-stages.js';
import { startRedis, stopRedis } from './helpers/redis.js';

t.setTimeout(60_000);
const redis = await startRedis();
t.teardown(() => stopRedis(redis));
const connection = { host: '127.0.0.1', port: redis.port };
const dir = tempDir('hmmci-fleet-cancel-');
const TEST_QUEUE = 'test-x86_64-qemu';
const BUILD_QUEUE = 'build-x86_64';

const client = await FleetClient.connect(redis.url, { pollMs: 50 });
t.teardown(() => client.close());
// A worker that serves the queues (so submits pass the fail-fast check) but takes no test job.
await registerWorker(client.conn.redis, { id: 'registered', queues: [BUILD_QUEUE, TEST_QUEUE, RUN_QUEUE] }, 600_000);

const builder = new Worker(
  BUILD_QUEUE,
  async (): Promise<BuildJobResult> => ({
    ok: true,
    worker: 'inline',
    apply: null,
    configHash: 'c0nf',
    manifest: { key: 'kernel-1', arch: 'x86_64', configHash: 'c0nf', artifacts: [] },
    ms: 1,
  }),
  { connection, prefix: QUEUE_PREFIX },
);
t.teardown(() => builder.close());
const builds = new Queue(BUILD_QUEUE, { connection, prefix: QUEUE_PREFIX });
t.teardown(() => builds.close());
const built = new Promise<void>((r) => builder.once('completed', () => r()));
await builds.add('build', { kind: 'build' } as never, { jobId: 'build-1' });
await built;

/** A fleet test stage of run `name`, aborted with `reason` once its job is queued; the job's id and state after. */
async function abortedTest(name: string, reason?: unknown) {
  const buildDir = join(dir, name, 'build');
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(join(buildDir, BUILD_MARKER), JSON.stringify({ queue: BUILD_QUEUE, id: 'build-1' }));
  const runs = new RunParents(client);
  const stages = fleetStages({ client, store: openStore(join(dir, 'store')), local: realStages(), workDir: dir, runs });
  const controller = new AbortController();
  let jobId = '';
  const reporter = createReporter({ quiet: true });
  const queued = new Promise<void>((resolve) => {
    reporter.stage = () => ({
      update: (text: string) => {
        jobId = /job (\S+) on/.exec(text)?.[1] ?? jobId;
        resolve();
      },
      done: () => 0,
      fail: () => 0,
    });
  });
  const ctx = { cache: cacheLayout(join(dir, 'cache')), reporter, signal: controller.signal };
  const logDir = join(dir, name, 'run-1', 'guest', 'patched');
  const stage = stages.test({ srcDir: join(dir, name, 'src'), buildDir, runner: 'qemu', logDir }, ctx);
  await queued;
  const parent = await runs.parentFor(logDir, { runner: 'qemu' });
  const runQueue = client.queue(RUN_QUEUE);
  const deps = async () => (await (await runQueue.getJob(parent.id))?.getDependenciesCount())?.unprocessed;
  const before = await deps();
  const tests = client.queue(TEST_QUEUE);
  const stateBefore = await (await tests.getJob(jobId))?.getState();
  const t0 = Date.now();
  controller.abort(reason);
  const err = await stage.then(
    () => undefined,
    (e: unknown) => e,
  );
  const ms = Date.now() - t0;
  const after = await deps();
  // What runJob writes for an aborted run (constructed: the fields closeAll reads), then withFleet's close.
  mkdirSync(join(dir, name, 'run-1'), { recursive: true });
  writeFileSync(join(dir, name, 'run-1', 'record.json'), JSON.stringify({ status: 'interrupted', exitCode: 130 }));
  await runs.closeAll({ cancelled: cancelsJobs(reason) });
  const parentState = await (await runQueue.getJob(parent.id))?.getState();
  const job = await tests.getJob(jobId);
  const build = await builds.getJob('build-1');
  return { err, ms, jobId, stateBefore, job, before, after, parentState, buildState: await build?.getState() };
}

t.test("the watcher's supersede (RunCancelled) removes the waiting test job", async (t) => {
  const reason = new RunCancelled('superseded by <m@x> v2');
  const r = await abortedTest('superseded', reason);
  t.equal(r.stateBefore, 'waiting', `test job ${r.jobId} was waiting (nobody takes it here)`);
  t.equal(r.err, reason, 'the stage ends with the abort (as a local stage does), not with a result');
  t.ok(r.ms < 2000, `at once (${r.ms} ms), not when the job would end`);
  t.equal(r.job, undefined, 'the test job is gone from its queue');
  t.equal(r.after, (r.before ?? 0) - 1, 'the run parent waits for one child fewer (its hold is the other)');
  t.equal(r.buildState, 'completed', 'the shared build job is left as it was');
  t.equal(r.parentState, 'waiting', 'the cancelled run is closed (its parent waits for a worker to summarise it)');
});

t.test('an interrupt (Ctrl-C) stops following but leaves the test job for adoption', async (t) => {
  const r = await abortedTest('interrupted', new Error('interrupted by SIGINT'));
  t.match(r.err, { message: 'interrupted by SIGINT' }, 'the stage ends with the abort');
  t.ok(r.ms < 2000, `at once (${r.ms} ms)`);
  t.equal(await r.job?.getState(), 'waiting', 'the test job still waits for a worker');
  t.equal(r.after, r.before, 'and its run parent still waits for it');
  t.equal(r.parentState, 'waiting-children', 'the interrupted run stays open for adoption');
});
