/**
 * `hmmci bisect SERIES --fleet`: the bisect driver runs as a step job on a worker over build and
 * test jobs; it names the same first bad patch a local bisect would, and after the worker holding
 * the step job is killed -9 the job resumes on another worker from the outcomes in its data.
 */
import t from 'tap';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { startRedis, stopRedis } from '../../test/fleet/helpers/redis.js';
import { CLI, fakeSeriesOf, fleetEnv, startWorkerProc } from '../../test/fleet/helpers/fleet.js';

t.setTimeout(600_000);

t.test('bisect --fleet finds patch 2 of 4, and resumes after its worker dies', async (t) => {
  const redis = await startRedis();
  t.teardown(() => stopRedis(redis));
  const e = fleetEnv();
  const series = fakeSeriesOf(e.dir, 'break-at-2', [null, 'fail-coherent-snapshot', null, null]);
  const a = startWorkerProc(e, redis.url, 'bis-A', { lease: 5, env: { HMMCI_FAKE_GUEST_MS: '1500' } });
  const b = startWorkerProc(e, redis.url, 'bis-B', { lease: 5, env: { HMMCI_FAKE_GUEST_MS: '1500' } });
  t.teardown(() => [a, b].forEach((w) => w.proc.kill('SIGKILL')));
  await Promise.all([a.waitFor(/serving/), b.waitFor(/serving/)]);

  const p = spawn(process.execPath, ['--import', 'tsx', CLI, 'bisect', series, '--fleet', redis.url, '--json'], {
    env: e.env(join(e.dir, 'submit')),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (x) => (stdout += x));
  p.stderr.on('data', (x) => (stderr += x));
  const exited = new Promise<number | null>((r) => p.once('exit', r));

  // Once the step job has recorded two outcomes, kill the worker that holds it.
  const took = /took bisect job (\S+)/;
  const holder = await Promise.race([a.waitFor(took, 120_000).then(() => a), b.waitFor(took, 120_000).then(() => b)]);
  const end = Date.now() + 120_000;
  while (!/bisect: [2-9] commit\(s\) tested/.test(stderr) && Date.now() < end) await sleep(100);
  t.match(stderr, /bisect: [2-9] commit\(s\) tested/, 'the step job recorded outcomes');
  holder.proc.kill('SIGKILL');
  const other = holder === a ? b : a;
  await other.waitFor(took, 60_000);

  t.equal(await exited, 0, `bisect completes (stderr: ${stderr.slice(-1500)})`);
  const report = JSON.parse(stdout) as {
    firstBad: { index: number; total: number; subject: string } | null;
    flipped: string[];
    status: string;
    steps: Array<{ index: number }>;
  };
  t.equal(report.status, 'found');
  t.match(
    report.firstBad,
    { index: 2, total: 4, subject: 'mm/hmm: break-at-2 step 2' },
    'patch 2 is the first bad one',
  );
  t.same(report.flipped, ['hmm2.hmm2_device_coherent.snapshot']);
  t.match(
    stderr,
    /bisect: [1-9]\d* step\(s\) replayed from the job's data after a restart/,
    'the restarted step job replayed what it had',
  );
});
