/**
 * Fault: an active test job is cancelled (as a superseded run's submitter does: FleetClient.cancelTest
 * sets its cancel mark), with a real redis-server and a real `hmmci worker` process on the fake
 * kernel. Within seconds its worker kills the job's runner process group and the guest's (QEMU)
 * group, the job ends failed after one attempt (not retried), and the worker goes on to take and
 * finish the next test job.
 */
import t from 'tap';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Queue } from 'bullmq';
import { FleetClient } from '../../src/fleet/client.js';
import { startRedis, stopRedis } from '../../test/fleet/helpers/redis.js';
import { fakeSeries, fleetEnv, runCli, startWorkerProc } from '../../test/fleet/helpers/fleet.js';
import { groupMembers, pgidOf, ppidOf, waitForProcess } from '../../test/fleet/helpers/procs.js';

t.setTimeout(600_000);

t.test('a cancelled active test job: its processes go, it fails unretried, the worker goes on', async (t) => {
  const redis = await startRedis();
  t.teardown(() => stopRedis(redis));
  const e = fleetEnv();
  const series = fakeSeries(e.dir, 'cancelled', 'clean-58-pass');
  const w = startWorkerProc(e, redis.url, 'cancel-W', { lease: 5, env: { HMMCI_FAKE_GUEST_MS: '8000' } });
  t.teardown(() => void w.proc.kill('SIGKILL'));
  await w.waitFor(/serving/);
  const args = ['run', series, '--fleet', redis.url, '--json', '--reruns', '0', '--no-baseline-cache'];
  const first = runCli(args, e.env(join(e.dir, 'submit-1')));

  const queue = 'test-x86_64-qemu';
  const id = (await w.waitFor(new RegExp(`took ${queue} job (\\S+)`), 180_000))[1] as string;
  const guest = await waitForProcess(w, /hmmci-fake-guest/);
  const guestGroup = pgidOf(guest);
  const runnerGroup = pgidOf(ppidOf(guest));
  t.not(runnerGroup, guestGroup, 'the guest has its own group beside the job runner’s');
  t.ok(groupMembers(runnerGroup).length > 0 && groupMembers(guestGroup).length > 0, 'both are running');

  const client = await FleetClient.connect(redis.url);
  t.teardown(() => client.close());
  const t0 = Date.now();
  t.equal(await client.cancelTest(queue, id, 'superseded by the fault test'), 'marked', 'an active job is marked');
  const end = Date.now() + 10_000;
  while ((groupMembers(runnerGroup).length || groupMembers(guestGroup).length) && Date.now() < end) await sleep(100);
  const gone = Date.now() - t0;
  t.same(groupMembers(runnerGroup), [], `the job runner's group ${runnerGroup} is gone (${gone} ms)`);
  t.same(groupMembers(guestGroup), [], `the guest's group ${guestGroup} is gone`);
  t.match(w.output(), `cancelled job ${id} (superseded by the fault test)`, 'the worker says so');

  const q = new Queue(queue, { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'hmmci' });
  t.teardown(() => q.close());
  let state = '';
  for (let i = 0; i < 100 && state !== 'failed'; i++) {
    state = (await (await Job.fromId(q, id))?.getState()) ?? '';
    if (state !== 'failed') await sleep(100);
  }
  const job = await Job.fromId(q, id);
  t.equal(state, 'failed', 'the job failed');
  t.equal(job?.attemptsMade, 1, 'after one attempt of its three: not retried');
  t.match(job?.failedReason, /cancelled by its submitter \(superseded by the fault test\)/, 'naming the cancel');
  const r1 = await first;
  t.not(r1.code, 0, 'the run whose job was cancelled does not pass');
  t.match(
    `${r1.stdout}${r1.stderr}`,
    `Test job ${id} was cancelled by its submitter (superseded by the fault test)`,
    'and says its test job was cancelled',
  );

  // The worker takes the next job: the same series submitted again runs to the end on it.
  const r2 = await runCli(args, e.env(join(e.dir, 'submit-2')));
  t.equal(r2.code, 0, 'the next run completes on the same worker', {
    diagnostic: r2.code !== 0,
    stderr: r2.stderr.slice(-3000),
    worker: w.output().slice(-3000),
  });
  const after = w.output().slice(w.output().indexOf(`cancelled job ${id}`));
  t.match(after, new RegExp(`took ${queue} job (?!${id}\\b)\\S+`), 'a test job taken after the cancel');
  t.equal(w.proc.exitCode, null, 'the worker is still serving');
});
