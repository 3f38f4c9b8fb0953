/** A job no live worker can serve fails fast, before anything is built, naming the capability (exit 12). */
import t from 'tap';
import { join } from 'node:path';
import { ExitCode } from '../../src/common/exit-codes.js';
import { startRedis, stopRedis } from '../../test/fleet/helpers/redis.js';
import { fakeSeries, fleetEnv, runCli, startWorkerProc } from '../../test/fleet/helpers/fleet.js';

t.setTimeout(600_000);

t.test('run --fleet --runner vng with only a build worker', async (t) => {
  const redis = await startRedis();
  t.teardown(() => stopRedis(redis));
  // A worker that only builds: nobody can boot, so the run fails before submitting, naming what is missing.
  const e = fleetEnv();
  const w = startWorkerProc(e, redis.url, 'builder', { args: ['--builds-only'] });
  t.teardown(() => void w.proc.kill('SIGKILL'));
  await w.waitFor(/serving .*build-x86_64/);
  const series = fakeSeries(e.dir, 'benign', 'clean-58-pass');
  const started = Date.now();
  const r = await runCli(
    ['run', series, '--fleet', redis.url, '--json', '--runner', 'vng'],
    e.env(join(e.dir, 'submit')),
  );
  t.equal(r.code, ExitCode.FLEET, `exit 12, not a broken baseline (stderr: ${r.stderr.slice(-800)})`);
  t.match(
    r.stdout + r.stderr,
    /No live worker can boot x86_64 kernels with virtme-ng \(vng on PATH and qemu-system-x86_64\)/,
  );
  t.ok(Date.now() - started < 60_000, 'fails fast: before anything is built');
  t.notMatch(w.output(), /took build/, 'nothing was submitted');
});
