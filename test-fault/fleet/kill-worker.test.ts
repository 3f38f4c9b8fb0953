/**
 * Fault: kill -9 of a worker in the middle of a build and in the middle of a boot, with a real
 * redis-server and real worker processes. The job runs again on the other worker, the run records
 * exactly one result, and the dead worker's make / QEMU (its job's process group) are gone.
 */
import t from 'tap';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Queue } from 'bullmq';
import { RUN_QUEUE, type RunJobResult } from '../../src/fleet/run-parent.js';
import { startRedis, stopRedis } from '../../test/fleet/helpers/redis.js';
import { fakeSeries, fleetEnv, processesUnder, runCli, startWorkerProc } from '../../test/fleet/helpers/fleet.js';
import { groupMembers, pgidOf, waitForProcess } from '../../test/fleet/helpers/procs.js';

t.setTimeout(600_000);

const redis = await startRedis();
t.teardown(() => stopRedis(redis));
const e = fleetEnv();
const series = fakeSeries(e.dir, 'breaks-snapshot', 'fail-coherent-snapshot');

for (const phase of ['build', 'boot'] as const) {
  t.test(`kill -9 of the worker during a ${phase}`, async (t) => {
    const slow: Record<string, string> =
      phase === 'build' ? { FAKE_KERNEL_SLOW: '5' } : { HMMCI_FAKE_GUEST_MS: '6000' };
    const a = startWorkerProc(e, redis.url, `${phase}-A`, { env: slow, lease: 5 });
    const b = startWorkerProc(e, redis.url, `${phase}-B`, { env: slow, lease: 5 });
    t.teardown(() => {
      for (const w of [a, b]) w.proc.kill('SIGKILL');
    });
    await Promise.all([a.waitFor(/serving/), b.waitFor(/serving/)]);
    const submit = runCli(
      ['run', series, '--fleet', redis.url, '--json', '--reruns', '0', '--no-baseline-cache'],
      e.env(join(e.dir, `cache-submit-${phase}`)),
    );

    // The first build (the baseline's) or the first boot: whoever took it is killed mid-way.
    const queue = phase === 'build' ? 'build-x86_64' : 'test-x86_64-qemu';
    const took = new RegExp(`took ${queue} job (\\S+)`);
    const first = await Promise.race([
      a.waitFor(took, 120_000).then((m) => ({ w: a, id: m[1] as string })),
      b.waitFor(took, 120_000).then((m) => ({ w: b, id: m[1] as string })),
    ]);
    const victim = first.w;
    const other = victim === a ? b : a;
    const pid = await waitForProcess(victim, phase === 'build' ? /\bmake\b/ : /hmmci-fake-guest/);
    const group = pgidOf(pid);
    victim.proc.kill('SIGKILL');
    await victim.exited;

    // The dead worker's make (with its whole job group) / QEMU go within seconds.
    const end = Date.now() + 10_000;
    while ((groupMembers(group).length || processesUnder(victim.cache).length) && Date.now() < end) await sleep(100);
    t.same(groupMembers(group), [], `nothing left in the dead job's process group ${group}`);
    t.same(processesUnder(victim.cache), [], 'no process of the dead worker is left');

    const r = await submit;
    t.equal(r.code, 1, 'the run completes and reports the regression', {
      diagnostic: r.code !== 1,
      stderr: r.stderr.slice(-3000),
      workers: [a.output(), b.output()],
    });
    const report = JSON.parse(r.stdout) as {
      regressions: Array<{ name: string }>;
      status: string;
      patchedRuns?: number;
    };
    t.same(
      report.regressions.map((x) => x.name),
      ['hmm2.hmm2_device_coherent.snapshot'],
      'the one regression, found once',
    );
    t.equal(report.status, 'complete');
    t.match(other.output(), new RegExp(`took ${queue} job ${first.id}`), 'the other worker ran the killed job again');

    const q = new Queue(queue, { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'hmmci' });
    t.teardown(() => q.close());
    const job = await Job.fromId(q, first.id);
    t.equal(await job?.getState(), 'completed', 'the job completed');
    t.equal((job?.returnvalue as { worker: string }).worker, other.id, "its one result is the surviving worker's");

    // The run was a flow: its parent job, closed by the submitter, summarised by the surviving worker.
    const runs = new Queue(RUN_QUEUE, { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'hmmci' });
    t.teardown(() => runs.close());
    let parent: RunJobResult | undefined;
    for (let i = 0; i < 200 && !parent; i++) {
      const done = await runs.getJobs(['completed'], 0, 50);
      parent = done
        .map((j) => j.returnvalue as RunJobResult)
        .find((v) => v?.runDir?.startsWith(join(e.dir, `cache-submit-${phase}`)));
      if (!parent) await sleep(100);
    }
    t.ok(parent, 'the run parent job completed');
    t.equal(parent?.closed, true, 'closed by its submitter');
    t.same(parent?.summary?.regressions, ['hmm2.hmm2_device_coherent.snapshot'], 'with the run’s outcome');
    t.same(
      parent?.tests.map((x) => [x.side, x.ok]),
      [
        ['baseline', true],
        ['patched', true],
      ],
      'and one result per test job, each once',
    );
  });
}
