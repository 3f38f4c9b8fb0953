/**
 * Fleet benchmark (a script, not a test): `npm run bench:fleet`. On the fake kernel (real git am,
 * real make of the fake tree, the stand-in guest of test/fleet/helpers/fake-guest-stages.ts):
 *  - queue overhead per job: submit → a worker starts it, and a job's whole time minus the work
 *    inside it (fork of the job runner, progress, result);
 *  - artifact store put/get of 1, 16 and 64 MiB objects: shared directory and nginx WebDAV;
 *  - throughput: S series through `run --fleet` with 1 worker, then with 2 workers;
 *  - Redis commands per series (INFO commandstats before/after), split into what the jobs cost
 *    (counted) and what time costs (idle workers' heartbeats and blocking reads, a submitter's
 *    polling of a job it follows: both measured as rates);
 *  - artifact requests and bytes per series, from the access log of the nginx WebDAV store the
 *    runs use, by artifact name (mapped through the build jobs' manifests);
 *  - on paper, a 20-worker fleet on the real kernel: those per-series counts and rates with the
 *    real artifact sizes (a default-config build and a run of this machine's cache) and the real
 *    build + boot time (bench/results.json `floor`).
 * Writes the `fleet` entry of bench/results.json (the project's figures file).
 * HMMCI_BENCH_SERIES (default 4), HMMCI_FAKE_GUEST_MS (1500), FAKE_KERNEL_SLOW (2) shape the
 * simulated work; HMMCI_BENCH_REAL_BUILD / HMMCI_BENCH_REAL_RUN name the real build dir / run dir.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Job, Queue } from 'bullmq';
import { HMM_TEST_SOURCES } from '../../src/fleet/build-job.js';
import { FleetClient } from '../../src/fleet/client.js';
import type { BuildJobResult, TestJobResult } from '../../src/fleet/jobs.js';
import { publishWorker } from '../../src/fleet/registry.js';
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
const round = (x: number, d = 2) => +x.toFixed(d);

async function commands(url: string): Promise<number> {
  const r = new Redis(url);
  const info = await r.info('commandstats');
  r.disconnect();
  return [...info.matchAll(/calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

async function storeBench(dir: string) {
  const nginx = await startNginx();
  const out: Record<string, { putMs: number; getMs: number; putMiBps: number; getMiBps: number }> = {};
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
        const get = Date.now() - t;
        out[`${name} ${mib} MiB`] = {
          putMs: put,
          getMs: get,
          putMiBps: round(mib / Math.max(put, 1) / 1e-3),
          getMiBps: round(mib / Math.max(get, 1) / 1e-3),
        };
      }
    }
  } finally {
    await nginx.stop();
  }
  return out;
}

/** Jobs of every queue after a run: submit → start, whole-job minus in-job time, how long each was followed. */
async function overheads(port: number) {
  const waits: number[] = [];
  const extra: number[] = [];
  const work: number[] = [];
  let followedMs = 0;
  const names = new Map<string, Set<string>>();
  const nameAs = (sha: string, n: string) => names.set(sha, (names.get(sha) ?? new Set()).add(n));
  for (const name of ['build-x86_64', 'test-x86_64-qemu']) {
    const q = new Queue(name, { connection: { host: '127.0.0.1', port }, prefix: 'hmmci' });
    for (const j of (await q.getJobs(['completed'], 0, 1000)) as Job[]) {
      if (!j.processedOn || !j.finishedOn) continue;
      waits.push(j.processedOn - j.timestamp);
      followedMs += j.finishedOn - j.timestamp;
      const v = j.returnvalue as (BuildJobResult & TestJobResult) | null;
      if (v?.ok && 'ms' in v && v.ms !== undefined) {
        extra.push(j.finishedOn - j.processedOn - v.ms);
        work.push(v.ms);
      }
      if (v?.ok && v.manifest) for (const a of v.manifest.artifacts) nameAs(a.sha256, a.name);
      if (v?.ok && v.console) nameAs(v.console, 'console.log');
    }
    await q.close();
  }
  return {
    stats: {
      jobs: waits.length,
      submitToStartMsMedian: median(waits),
      perJobOverheadMsMedian: median(extra),
      jobWorkMsMedian: median(work),
    },
    followedMs,
    names,
  };
}

/**
 * Requests and bytes per artifact name from the store's access log. One object can be several
 * artifacts (the fake kernel's bzImage and vmlinux are the same file): its request stands for one
 * transfer of each (a real kernel's are different objects, each put and fetched once).
 */
function storeTraffic(log: string, names: Map<string, Set<string>>) {
  const by: Record<string, { put: number; get: number; putBytes: number; getBytes: number }> = {};
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const [method, status, sent, length, uri] = line.split(' ');
    if (!uri || !status?.startsWith('2') || (method !== 'PUT' && method !== 'GET')) continue;
    const m = /([0-9a-f]{2})\/([0-9a-f]{62})$/.exec(uri); // objectPath(): ab/cdef…
    const sha = m ? `${m[1]}${m[2]}` : undefined;
    for (const name of (sha && names.get(sha)) ?? ['series.mbox/other']) {
      const e = (by[name] ??= { put: 0, get: 0, putBytes: 0, getBytes: 0 });
      if (method === 'PUT') {
        e.put++;
        e.putBytes += Number(length);
      } else {
        e.get++;
        e.getBytes += Number(sent);
      }
    }
  }
  return by;
}

/** Redis commands per second of W idle workers (heartbeats, blocking reads, stalled checks). */
async function idleRate(url: string, workers: number, ms = 10_000): Promise<number> {
  const before = await commands(url);
  await sleep(ms);
  return (await commands(url)) - before - 1; /* the INFO itself */
}

/** Redis commands per second a submitter spends following one job that waits (polling). */
async function pollRate(): Promise<number> {
  const redis = await startRedis();
  try {
    const client = await FleetClient.connect(redis.url);
    await publishWorker(
      client.conn.redis,
      {
        id: 'bench',
        host: 'bench',
        pid: process.pid,
        capabilities: {} as never,
        queues: ['poll-bench'],
        startedAt: '',
        heartbeatAt: '',
        current: [],
        state: 'idle',
      },
      60_000,
    );
    await client.queue('poll-bench').add('x', {}, { jobId: 'p' });
    client.follow('poll-bench', 'p');
    await sleep(500);
    const before = await commands(redis.url);
    await sleep(10_000);
    const n = (await commands(redis.url)) - before - 1;
    await client.close();
    return n / 10;
  } finally {
    await stopRedis(redis);
  }
}

async function throughput(workers: number) {
  const redis = await startRedis();
  const nginx = await startNginx({ accessLog: true });
  const e = fleetEnv();
  const series = Array.from({ length: S }, (_, i) =>
    fakeSeries(e.dir, `s${i}`, i % 2 ? 'fail-coherent-snapshot' : 'clean-58-pass'),
  );
  const ws = Array.from({ length: workers }, (_, i) =>
    startWorkerProc(e, redis.url, `bench-${i}`, { lease: 10, env: work }),
  );
  try {
    await Promise.all(ws.map((w) => w.waitFor(/serving/)));
    const idle = (await idleRate(redis.url, workers)) / 10 / workers;
    const before = await commands(redis.url);
    const t = Date.now();
    const r = await runCli(
      ['run', ...series, '--fleet', redis.url, '--json', '--reruns', '0', '--store', `${nginx.url}/store`],
      e.env(join(e.dir, 'submit')),
      30 * 60_000,
    );
    const ms = Date.now() - t;
    if (r.code !== 1) throw new Error(`run --fleet exited ${r.code}: ${r.stderr.slice(-2000)}`);
    const cmds = (await commands(redis.url)) - before;
    const o = await overheads(redis.port);
    const traffic = storeTraffic(nginx.accessLog as string, o.names);
    return {
      workers,
      series: S,
      wallMs: ms,
      seriesPerMinute: round(S / (ms / 60_000)),
      redisCommandsPerSeries: Math.round(cmds / S),
      idleCommandsPerWorkerSecond: round(idle),
      /** Commands of the jobs themselves: all minus what the workers spend idling over the wall time. */
      jobCommandsPerSeries: Math.round((cmds - idle * workers * (ms / 1000)) / S),
      followedJobSecondsPerSeries: round(o.followedMs / 1000 / S),
      artifactsPerSeries: Object.fromEntries(
        Object.entries(traffic).map(([k, v]) => [
          k,
          {
            put: round(v.put / S),
            get: round(v.get / S),
            putBytes: Math.round(v.putBytes / S),
            getBytes: Math.round(v.getBytes / S),
          },
        ]),
      ),
      ...o.stats,
    };
  } finally {
    for (const w of ws) w.proc.kill('SIGKILL');
    await nginx.stop();
    await stopRedis(redis);
  }
}

/** Real sizes of what a build and a test put into the store: a default-config build dir and a finished run. */
function realSizes(): { sizes: Record<string, number>; from: { build: string; run: string } } | null {
  const cache = process.env.HMMCI_CACHE ?? join(homedir(), '.cache', 'hmmci');
  const build =
    process.env.HMMCI_BENCH_REAL_BUILD ??
    readdirSync(join(cache, 'worktrees'))
      .filter((d) => /^linux-[\d.]+-[0-9a-f]+-\d+$/.test(d))
      .map((d) => join(cache, 'worktrees', d, '.hmmci-build'))
      .find((d) =>
        ['arch/x86/boot/bzImage', 'lib/test_hmm.ko', 'vmlinux', '.config'].every((f) => existsSync(join(d, f))),
      );
  const runs = join(cache, 'runs');
  const run =
    process.env.HMMCI_BENCH_REAL_RUN ??
    readdirSync(runs)
      .filter((d) => /one-patch/.test(d))
      .sort()
      .reverse()
      .map((d) => join(runs, d))
      .find((d) => existsSync(join(d, 'patched.console.log')) && existsSync(join(d, 'patched.build.log')));
  if (!build || !run) return null;
  const src = join(build, '..');
  const tar = execFileSync(
    'tar',
    ['-cf', '-', '-C', src, ...HMM_TEST_SOURCES.filter((f) => existsSync(join(src, f)))],
    {
      maxBuffer: 1 << 30,
    },
  );
  const size = (f: string) => statSync(f).size;
  return {
    sizes: {
      bzImage: size(join(build, 'arch/x86/boot/bzImage')),
      'test_hmm.ko': size(join(build, 'lib/test_hmm.ko')),
      vmlinux: size(join(build, 'vmlinux')),
      '.config': size(join(build, '.config')),
      'build.log': size(join(run, 'patched.build.log')),
      'hmm-tests-src.tar': tar.length,
      'console.log': size(join(run, 'patched.console.log')),
      'series.mbox/other': size(join(run, 'series.mbox')),
    },
    from: { build, run },
  };
}

/**
 * A 20-worker fleet on the real kernel, on paper: the job commands and artifact requests counted per
 * series here, the idle and polling rates measured here, and the real build + boot time and
 * artifact sizes. At full load every worker-second is spent on some series, so a series costs its
 * worker-seconds × the idle rate in heartbeats, whatever the fleet's size; the submitter polls each
 * job while it is followed (build and test of the series; its baseline cached, as on a busy base).
 */
function onPaper(
  m: Awaited<ReturnType<typeof throughput>>,
  poll: number,
  real: ReturnType<typeof realSizes>,
  floor: { makeMs: number; bootMs: number } | undefined,
) {
  const workerSec = floor ? (floor.makeMs + floor.bootMs) / 1000 : null;
  const jobOnly = m.jobCommandsPerSeries - poll * m.followedJobSecondsPerSeries;
  const redis =
    workerSec === null ? null : Math.round(jobOnly + poll * workerSec + m.idleCommandsPerWorkerSecond * workerSec);
  // The fake kernel has no hmm-tests sources: each build puts their tar and each worker that lays
  // the kernel out fetches it, as often as its bzImage.
  const counts = { ...m.artifactsPerSeries };
  if (!counts['hmm-tests-src.tar'] && counts.bzImage) counts['hmm-tests-src.tar'] = counts.bzImage;
  const bytes = real
    ? Object.entries(counts).reduce((n, [name, c]) => n + (real.sizes[name] ?? 0) * (c.put + c.get), 0)
    : null;
  return {
    workers: 20,
    realWorkerSecondsPerSeries: workerSec,
    redisCommandsPerSeries: redis,
    redisCommandsPerSecondAt20WorkersFullLoad: workerSec && redis ? Math.round((20 / workerSec) * redis) : null,
    idleFleetRedisCommandsPerSecond: round(20 * m.idleCommandsPerWorkerSecond, 1),
    artifactBytesPerSeries: bytes,
    artifactMiBPerSeries: bytes === null ? null : round(bytes / 2 ** 20, 1),
    storeMiBpsAt20WorkersFullLoad: bytes === null || !workerSec ? null : round(((20 / workerSec) * bytes) / 2 ** 20, 1),
    realSizes: real?.sizes ?? null,
    realFrom: real?.from ?? null,
  };
}

const dir = fleetEnv().dir;
const real = realSizes();
const store = await storeBench(dir);
const poll = await pollRate();
const one = await throughput(1);
const two = await throughput(2);
const resultsFile = join(root, 'bench', 'results.json');
const all = JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, unknown> & {
  floor?: { makeMs: number; bootMs: number };
};
const results = {
  command: 'npm run bench:fleet',
  date: new Date().toISOString(),
  loadavg: (await import('node:os')).loadavg().map((x) => round(x)),
  work,
  store,
  submitterPollCommandsPerJobSecond: round(poll),
  one,
  two,
  ratios: {
    twoWorkersOverOne: round(two.seriesPerMinute / one.seriesPerMinute),
    submitToStartOverJobWork: round(two.submitToStartMsMedian / Math.max(1, two.jobWorkMsMedian), 4),
    perJobOverheadOverJobWork: round(two.perJobOverheadMsMedian / Math.max(1, two.jobWorkMsMedian), 3),
  },
  onPaper20Workers: onPaper(two, poll, real, all.floor),
};
mkdirSync(join(root, 'bench'), { recursive: true });
all.fleet = results;
writeFileSync(resultsFile, `${JSON.stringify(all, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`2 workers / 1 worker throughput: ${results.ratios.twoWorkersOverOne}x\n`);
