/**
 * Fleet benchmark (a script, not a test): `npm run bench:fleet`. On the fake kernel (real git am,
 * real make of the fake tree, the stand-in guest of test/fleet/helpers/fake-guest-stages.ts):
 *  - queue overhead per job: submit → a worker starts it, and a job's whole time minus the work
 *    inside it (fork of the job runner, progress, result);
 *  - artifact store put/get of 1, 16 and 64 MiB objects: shared directory and nginx WebDAV;
 *  - throughput: S series through `run --fleet` with 1 worker, then with 2 workers;
 *  - Redis commands per series (INFO commandstats before/after).
 * Writes bench/fleet-results.json. HMMCI_BENCH_SERIES (default 4), HMMCI_FAKE_GUEST_MS (1500),
 * FAKE_KERNEL_SLOW (2) shape the simulated work.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Job, Queue } from 'bullmq';
import { openStore } from '../../src/fleet/store.js';
import { startRedis, stopRedis } from '../../test/fleet/helpers/redis.js';
import { startNginx } from '../../test/fleet/helpers/nginx.js';
import { fakeSeries, fleetEnv, runCli, startWorkerProc } from '../../test/fleet/helpers/fleet.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const S = Number(process.env.HMMCI_BENCH_SERIES ?? 4);
const work = {
  HMMCI_FAKE_GUEST_MS: process.env.HMMCI_FAKE_GUEST_MS ?? '1500',
  FAKE_KERNEL_SLOW: process.env.FAKE_KERNEL_SLOW ?? '2',
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function commands(url: string): Promise<number> {
  const r = new Redis(url);
  const info = await r.info('commandstats');
  r.disconnect();
  return [...info.matchAll(/calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

async function storeBench(dir: string) {
  const nginx = await startNginx();
  const out: Record<string, Record<string, number>> = {};
  try {
    for (const mib of [1, 16, 64]) {
      const f = join(dir, `blob-${mib}`);
      writeFileSync(f, Buffer.alloc(mib * 2 ** 20, mib));
      for (const [name, store] of [
        ['dir', openStore(join(dir, 'dir-store'))],
        ['http', openStore(`${nginx.url}/o`)],
      ] as const) {
        let t = Date.now();
        const { sha256 } = await store.put(f);
        const put = Date.now() - t;
        t = Date.now();
        await store.get(sha256, join(dir, `got-${name}-${mib}`));
        out[`${name} ${mib} MiB`] = { putMs: put, getMs: Date.now() - t };
      }
    }
  } finally {
    await nginx.stop();
  }
  return out;
}

/** Jobs of every queue after a run: submit → start and whole-job minus in-job time. */
async function overheads(port: number) {
  const waits: number[] = [];
  const extra: number[] = [];
  for (const name of ['build-x86_64', 'test-x86_64-qemu']) {
    const q = new Queue(name, { connection: { host: '127.0.0.1', port }, prefix: 'hmmci' });
    for (const j of (await q.getJobs(['completed'], 0, 1000)) as Job[]) {
      if (j.processedOn && j.finishedOn) {
        waits.push(j.processedOn - j.timestamp);
        const ms = (j.returnvalue as { ms?: number })?.ms;
        if (ms !== undefined) extra.push(j.finishedOn - j.processedOn - ms);
      }
    }
    await q.close();
  }
  return { jobs: waits.length, submitToStartMsMedian: median(waits), perJobOverheadMsMedian: median(extra) };
}

async function throughput(workers: number) {
  const redis = await startRedis();
  const e = fleetEnv();
  const series = Array.from({ length: S }, (_, i) =>
    fakeSeries(e.dir, `s${i}`, i % 2 ? 'fail-coherent-snapshot' : 'clean-58-pass'),
  );
  const ws = Array.from({ length: workers }, (_, i) =>
    startWorkerProc(e, redis.url, `bench-${i}`, { lease: 10, env: work }),
  );
  try {
    await Promise.all(ws.map((w) => w.waitFor(/serving/)));
    const before = await commands(redis.url);
    const t = Date.now();
    const r = await runCli(
      ['run', ...series, '--fleet', redis.url, '--json', '--reruns', '0'],
      e.env(join(e.dir, 'submit')),
      30 * 60_000,
    );
    const ms = Date.now() - t;
    if (r.code !== 1) throw new Error(`run --fleet exited ${r.code}: ${r.stderr.slice(-2000)}`);
    const cmds = (await commands(redis.url)) - before;
    return {
      workers,
      series: S,
      wallMs: ms,
      seriesPerMinute: +(S / (ms / 60_000)).toFixed(2),
      redisCommandsPerSeries: Math.round(cmds / S),
      ...(await overheads(redis.port)),
    };
  } finally {
    for (const w of ws) w.proc.kill('SIGKILL');
    await stopRedis(redis);
  }
}

const dir = fleetEnv().dir;
const results = {
  date: new Date().toISOString(),
  work,
  store: await storeBench(dir),
  one: await throughput(1),
  two: await throughput(2),
};
mkdirSync(join(root, 'bench'), { recursive: true });
writeFileSync(join(root, 'bench', 'fleet-results.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(
  `2 workers / 1 worker throughput: ${(results.two.seriesPerMinute / results.one.seriesPerMinute).toFixed(2)}x\n`,
);
