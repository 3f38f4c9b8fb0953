/**
 * Faults with a real redis-server and real workers: a worker paused (SIGSTOP) past its lease while
 * its build runs, then resumed — its late result is rejected, the other worker's is the one
 * result, and the paused worker kills its job's processes when it sees the lease lost; and Redis
 * restarted mid-run with append-only persistence — no queued job is lost, the run completes.
 */
import t from 'tap';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Queue } from 'bullmq';
import { startRedis, stopRedis } from '../../test/fleet/helpers/redis.js';
import { fakeSeries, fleetEnv, runCli, startWorkerProc } from '../../test/fleet/helpers/fleet.js';
import { groupMembers, pgidOf, waitForProcess } from '../../test/fleet/helpers/procs.js';

t.setTimeout(600_000);
const e = fleetEnv();
const series = fakeSeries(e.dir, 'breaks-snapshot', 'fail-coherent-snapshot');

t.test('SIGSTOP past the lease, then SIGCONT', async (t) => {
  const redis = await startRedis();
  t.teardown(() => stopRedis(redis));
  const slow = { FAKE_KERNEL_SLOW: '15' };
  const a = startWorkerProc(e, redis.url, 'stop-A', { env: slow, lease: 5 });
  const b = startWorkerProc(e, redis.url, 'stop-B', { env: slow, lease: 5 });
  t.teardown(() => {
    for (const w of [a, b]) {
      w.proc.kill('SIGCONT');
      w.proc.kill('SIGKILL');
    }
  });
  await Promise.all([a.waitFor(/serving/), b.waitFor(/serving/)]);
  const submit = runCli(
    ['run', series, '--fleet', redis.url, '--json', '--reruns', '0'],
    e.env(join(e.dir, 'submit-stop')),
  );
  const took = /took build-x86_64 job (\S+)/;
  const first = await Promise.race([
    a.waitFor(took, 120_000).then((m) => ({ w: a, id: m[1] as string })),
    b.waitFor(took, 120_000).then((m) => ({ w: b, id: m[1] as string })),
  ]);
  const paused = first.w;
  const other = paused === a ? b : a;
  const group = pgidOf(await waitForProcess(paused, /\bmake\b/));
  paused.proc.kill('SIGSTOP');
  await other.waitFor(new RegExp(`took build-x86_64 job ${first.id}`), 60_000);
  t.ok(groupMembers(group).length > 0, "the paused worker's build is still running when it resumes");
  paused.proc.kill('SIGCONT');
  await paused.waitFor(new RegExp(`(lost the lease of job|late result of job) ${first.id}`), 20_000);
  const end = Date.now() + 5000;
  while (groupMembers(group).length && Date.now() < end) await sleep(100);
  t.same(groupMembers(group), [], "the resumed worker killed its job's processes");

  const r = await submit;
  t.equal(r.code, 1, `the run completes with the regression (stderr: ${r.stderr.slice(-400)})`, {
    diagnostic: r.code !== 1,
    workers: [a.output(), b.output()],
  });
  t.same(
    (JSON.parse(r.stdout) as { regressions: Array<{ name: string }> }).regressions.map((x) => x.name),
    ['hmm2.hmm2_device_coherent.snapshot'],
  );
  const q = new Queue('build-x86_64', { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'hmmci' });
  t.teardown(() => q.close());
  const job = await Job.fromId(q, first.id);
  t.equal(
    (job?.returnvalue as { worker: string }).worker,
    other.id,
    `the one recorded result is the other worker's (${job?.failedReason} ${paused.output()} ${other.output()})`,
  );
});

t.test('Redis restarted mid-run with append-only persistence', async (t) => {
  const redis = await startRedis({ appendonly: true });
  t.teardown(() => stopRedis(redis));
  const w = startWorkerProc(e, redis.url, 'aof-A', { lease: 5, env: { FAKE_KERNEL_SLOW: '3' } });
  t.teardown(() => void w.proc.kill('SIGKILL'));
  await w.waitFor(/serving/);
  const series2 = fakeSeries(e.dir, 'benign', 'clean-58-pass');
  const submit = runCli(
    ['run', series, series2, '--fleet', redis.url, '--json', '--reruns', '0', '--no-baseline-cache'],
    e.env(join(e.dir, 'submit-aof')),
  );
  await w.waitFor(/took build-x86_64 job/, 120_000);
  await sleep(500);
  await redis.restart();
  const r = await submit;
  t.equal(r.code, 1, `both series complete (stderr: ${r.stderr.slice(-600)})`);
  const reports = JSON.parse(r.stdout) as Array<{ status: string; regressions: Array<{ name: string }> }>;
  t.same(
    reports.map((x) => x.status),
    ['complete', 'complete'],
  );
  t.same(
    reports.map((x) => x.regressions.map((y) => y.name)),
    [['hmm2.hmm2_device_coherent.snapshot'], []],
    'each series its own correct result',
  );
});
