/**
 * Ctrl-C of a worker: it takes no new job, lets the current one finish within --grace, and hands
 * it back to the queue when it does not (at once, not after the lease): another worker takes it
 * within seconds even with a 60 s lease.
 */
import t from 'tap';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, stopRedis } from '../../test/fleet/helpers/redis.js';
import { fakeSeries, fleetEnv, runCli, startWorkerProc } from '../../test/fleet/helpers/fleet.js';
import { groupMembers, pgidOf, waitForProcess } from '../../test/fleet/helpers/procs.js';

t.setTimeout(600_000);

t.test('Ctrl-C past the grace hands the job back', async (t) => {
  const redis = await startRedis();
  t.teardown(() => stopRedis(redis));
  const e = fleetEnv();
  const series = fakeSeries(e.dir, 'benign', 'clean-58-pass');
  const a = startWorkerProc(e, redis.url, 'int-A', {
    lease: 60,
    env: { FAKE_KERNEL_SLOW: '20' },
    args: ['--grace', '1'],
  });
  t.teardown(() => void a.proc.kill('SIGKILL'));
  await a.waitFor(/serving/);
  const submit = runCli(['run', series, '--fleet', redis.url, '--json', '--reruns', '0'], e.env(join(e.dir, 'submit')));
  const id = (await a.waitFor(/took build-x86_64 job (\S+)/, 120_000))[1] as string;
  const group = pgidOf(await waitForProcess(a, /\bmake\b/));
  a.proc.kill('SIGINT');
  t.equal(await a.exited, 130, 'the worker exits 130 after Ctrl-C');
  t.match(a.output(), new RegExp(`handed job ${id} back to the queue`));
  const end = Date.now() + 5000;
  while (groupMembers(group).length && Date.now() < end) await sleep(100);
  t.same(groupMembers(group), [], 'its build stopped');
  const handedAt = Date.now();
  const b = startWorkerProc(e, redis.url, 'int-B', { lease: 60, env: { FAKE_KERNEL_SLOW: '1' } });
  t.teardown(() => void b.proc.kill('SIGKILL'));
  await b.waitFor(new RegExp(`took build-x86_64 job ${id}`), 30_000);
  t.ok(Date.now() - handedAt < 30_000, 'taken again at once, not after the 60 s lease');
  const r = await submit;
  t.equal(r.code, 0, `the run completes (stderr: ${r.stderr.slice(-500)})`);
});
