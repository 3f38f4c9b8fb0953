/**
 * Fault: Ctrl-C of `hmmci run --fleet` while its test job boots, with a real redis-server and a
 * real `hmmci worker` on the fake kernel. An interrupt is not a cancel: the submitter exits 130,
 * the test job goes on to complete on its worker (no cancel mark, no kill), and the same command
 * again adopts the open run and gets that result back without booting again.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Queue } from 'bullmq';
import { startRedis, stopRedis } from '../../test/fleet/helpers/redis.js';
import { CLI, fakeSeries, fleetEnv, runCli, startWorkerProc } from '../../test/fleet/helpers/fleet.js';
import { LOADER_ARGS } from '../../test/helpers/child-node.js';

t.setTimeout(600_000);

t.test('Ctrl-C of run --fleet leaves its test job running for adoption', async (t) => {
  const redis = await startRedis();
  t.teardown(() => stopRedis(redis));
  const e = fleetEnv();
  const series = fakeSeries(e.dir, 'interrupted', 'clean-58-pass');
  const w = startWorkerProc(e, redis.url, 'int-W', { lease: 5, env: { HMMCI_FAKE_GUEST_MS: '6000' } });
  t.teardown(() => void w.proc.kill('SIGKILL'));
  await w.waitFor(/serving/);
  const args = ['run', series, '--fleet', redis.url, '--json', '--reruns', '0', '--no-baseline-cache'];
  const env = e.env(join(e.dir, 'cache-submit'));
  const submit = spawn(process.execPath, [...LOADER_ARGS, CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  submit.stderr?.on('data', (b) => (out += b));
  const exited = new Promise<number | null>((r) => submit.once('exit', (c) => r(c)));
  t.teardown(() => void submit.kill('SIGKILL'));

  const queue = 'test-x86_64-qemu';
  const id = (await w.waitFor(new RegExp(`took ${queue} job (\\S+)`), 180_000))[1] as string;
  submit.kill('SIGINT');
  t.equal(await exited, 130, 'the interrupted submitter exits 130', { stderr: out.slice(-2000) });

  const q = new Queue(queue, { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'hmmci' });
  t.teardown(() => q.close());
  let state = '';
  for (let i = 0; i < 300 && state !== 'completed' && state !== 'failed'; i++) {
    state = (await (await Job.fromId(q, id))?.getState()) ?? '';
    if (state !== 'completed') await sleep(100);
  }
  t.equal(state, 'completed', 'its test job ran to the end on the worker');
  t.notMatch(w.output(), /cancelled job/, 'nothing was cancelled');

  const again = await runCli(args, env);
  t.equal(again.code, 0, 'the same command again completes', { stderr: again.stderr.slice(-3000) });
  t.match(again.stderr, /adopting open run parent/, 'by adopting the open run');
  const took = w
    .output()
    .split('\n')
    .filter((l) => l.includes(`took ${queue} job ${id}`));
  t.equal(took.length, 1, 'and gets the finished test back: that job was booted once');
});
