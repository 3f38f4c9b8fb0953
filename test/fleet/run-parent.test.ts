/**
 * A run as a BullMQ flow, on a real redis-server: the parent job is opened by a FlowProducer with
 * its hold, test jobs join it as children, an interrupted submitter leaves it open, the same run
 * submitted again adopts it (and gets its finished test back without a new boot), a live
 * submitter's run is not adopted, and once closed a worker summarises the parent from its
 * children's results. The test queue's consumer here is a BullMQ Worker with an inline processor
 * (the real worker process and its job runner are exercised by test-fault/fleet/*).
 */
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker, type Job } from 'bullmq';
import { tempDir } from '../../tools/fake-kernel/fixture.js';
import { FleetClient } from '../../src/fleet/client.js';
import { QUEUE_PREFIX, type TestJobData, type TestJobResult } from '../../src/fleet/jobs.js';
import { registerWorker } from './helpers/registry.js';
import {
  processRunJob,
  RUN_QUEUE,
  RunParents,
  testJobId,
  type RunJobData,
  type RunJobResult,
} from '../../src/fleet/run-parent.js';
import { fleetStatus, renderStatus } from '../../src/fleet/status.js';
import { startRedis, stopRedis } from './helpers/redis.js';

t.setTimeout(60_000);
const redis = await startRedis();
t.teardown(() => stopRedis(redis));
const connection = { host: '127.0.0.1', port: redis.port };
const dir = tempDir('hmmci-run-parent-');
const TEST_QUEUE = 'test-x86_64-qemu';

const client = await FleetClient.connect(redis.url, { pollMs: 50 });
t.teardown(() => client.close());
await registerWorker(client.conn.redis, { id: 'inline', queues: [TEST_QUEUE, RUN_QUEUE] }, 600_000);

let boots = 0;
const tester = new Worker<TestJobData>(
  TEST_QUEUE,
  async (): Promise<TestJobResult> => {
    boots++;
    return {
      ok: true,
      worker: 'inline',
      result: { tests: [], counts: { pass: 58 } as never, events: [] } as never,
      console: 'c0ffee',
      accel: 'tcg',
      runner: 'qemu',
      ms: 1,
    };
  },
  { connection, prefix: QUEUE_PREFIX },
);
const summariser = new Worker<RunJobData>(RUN_QUEUE, (job: Job) => processRunJob(job), {
  connection,
  prefix: QUEUE_PREFIX,
});
t.teardown(() => Promise.all([tester.close(), summariser.close()]));

/** A run directory with the record.json runSeries writes first (constructed: the fields the key reads). */
function runDir(name: string, status: string, regressions: string[] = []): string {
  const d = join(dir, name);
  mkdirSync(join(d, 'guest', 'patched'), { recursive: true });
  writeFileSync(
    join(d, 'record.json'),
    JSON.stringify({
      id: name,
      status,
      exitCode: status === 'complete' ? (regressions.length ? 1 : 0) : undefined,
      series: {
        input: 'x.mbox',
        title: '<script>alert(1)</script> mm/hmm: x',
        patches: [],
        base: 'abc',
        patchsetHash: 'ph',
      },
      config: { fragments: ['base.config'], extra: [], configHash: 'ch' },
      comparison:
        status === 'complete' ? { regressions: regressions.map((name) => ({ name })), fixed: [], flaky: [] } : null,
    }),
  );
  return d;
}

const testData: TestJobData = {
  kind: 'test',
  manifest: { key: 'kernel-1', arch: 'x86_64', configHash: 'ch', artifacts: [] },
  runner: 'qemu',
  arch: 'x86_64',
  store: '/nowhere',
  label: 'x',
};

t.test('open, interrupt, adopt, close, summarise', async (t) => {
  const a = runDir('run-a', 'running');
  const first = new RunParents(client, { leaseMs: 500 });
  const parent = await first.parentFor(
    join(a, 'guest', 'patched'),
    { runner: 'qemu' },
    {
      side: 'patched',
      queue: 'build-x86_64',
      id: 'b-1',
    },
  );
  const pjob = await client.queue(RUN_QUEUE).getJob(parent.id);
  t.equal(await pjob?.getState(), 'waiting-children', 'the parent waits for its children (the hold at least)');
  const id = testJobId(parent.id, 'patched', testData.manifest.key);
  const h = await client.submitTest<TestJobResult>(testData, { parent, id });
  const end = await h.end;
  t.equal(end.state, 'completed');
  t.equal(boots, 1);
  t.equal(await pjob?.getState(), 'waiting-children', 'still open: its submitter has not closed it');

  let s = await fleetStatus(client.conn);
  const open = s.runs.find((r) => r.id === parent.id);
  t.same(open?.tests, { done: [id], pending: [], failed: [] }, 'status: its test job, done; the hold not counted');
  t.same(open?.builds, [{ side: 'patched', queue: 'build-x86_64', id: 'b-1' }], 'status: its build job');
  t.match(renderStatus(s), new RegExp(`run-a \\(${parent.id}\\) waiting-children: open; tests 1 done`));

  // A second live submitter of the same run does not take it over.
  const b = runDir('run-b', 'running');
  const live = new RunParents(client, { leaseMs: 500 });
  const other = await live.parentFor(join(b, 'guest', 'patched'), { runner: 'qemu' });
  t.not(other.id, parent.id, 'a run whose submitter is alive is not adopted');

  // Interrupted: the first submitter closes what ended, leaves this run open and its lease free.
  await first.closeAll();
  t.equal(await pjob?.getState(), 'waiting-children', 'an interrupted run stays open');

  const c = runDir('run-c', 'running');
  const again = new RunParents(client, { leaseMs: 500 });
  const adopted = await again.parentFor(join(c, 'guest', 'patched'), { runner: 'qemu' });
  t.equal(adopted.id, parent.id, 'the same run submitted again adopts the open parent');
  const h2 = await client.submitTest<TestJobResult>(testData, { parent: adopted, id });
  t.equal((await h2.end).state, 'completed');
  t.equal(boots, 1, 'its finished test job gives its result back: no second boot');

  runDir('run-c', 'complete', ['hmm.hmm_device_private.anon_write']);
  await again.closeAll();
  let done: RunJobResult | undefined;
  for (let i = 0; i < 100 && !done; i++) {
    const j = await client.queue(RUN_QUEUE).getJob(parent.id);
    if ((await j?.getState()) === 'completed') done = j?.returnvalue as RunJobResult;
    else await sleep(50);
  }
  t.ok(done, 'closed: a worker summarised the parent');
  t.equal(done?.closed, true);
  t.same(done?.summary?.regressions, ['hmm.hmm_device_private.anon_write'], 'with the outcome its submitter wrote');
  t.match(
    done?.tests,
    [{ side: 'patched', ok: true, worker: 'inline', counts: { pass: 58 } }],
    'and its children’s results',
  );
  t.equal(await (await client.queue(RUN_QUEUE).getJob(`${parent.id}-hold`))?.getState(), undefined, 'the hold is gone');

  s = await fleetStatus(client.conn);
  t.match(
    s.runs.find((r) => r.id === parent.id),
    { state: 'completed', summary: { status: 'complete', exitCode: 1 } },
    'status shows the closed run',
  );
  runDir('run-b', 'failed');
  await live.closeAll();
});
