/**
 * The fleet end to end: a real redis-server, two real `hmmci worker` processes on this machine
 * (real stages: the default tree, kbuild, QEMU), two fixture series submitted with `run --fleet`,
 * and one worker killed with -9 while it builds (make, or a compiler make runs). Both series get
 * their correct result, once. The submit waits until both workers serve: `run --fleet` fails fast
 * when no worker is live, and a worker starting alongside loses that race about half the time.
 * Workers share the default cache (tree, slots, ccache) with the other e2e tests: the baseline
 * is a warm slot, each series costs one incremental build and one boot (plus the killed build).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, stopRedis } from '../test/fleet/helpers/redis.js';
import { allPids, groupMembers, procStat } from '../test/fleet/helpers/procs.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'bin', 'hmmci.js');
const store = mkdtempSync(join(tmpdir(), 'hmmci-e2e-fleet-store-'));
const env = { ...process.env, HMMCI_STORE: store };

function worker(url: string, id: string) {
  const proc = spawn(process.execPath, [bin, 'worker', '--redis', url, '--id', id, '--lease', '10'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (b) => (out += b));
  proc.stderr.on('data', (b) => (out += b));
  const exited = new Promise((r) => proc.once('exit', r));
  /** Until the worker says it serves its queues (it is then live in redis), or has exited. */
  const serving = async (ms = 60_000) => {
    const end = Date.now() + ms;
    while (!/serving /.test(out) && proc.exitCode === null && Date.now() < end) await sleep(50);
    return /serving /.test(out);
  };
  return { id, proc, output: () => out, exited, serving };
}

/** The compile stage of a build job: make and what it runs (with every object a ccache hit, no cc1 at all). */
const BUILDING = new Set(['make', 'cc1', 'gcc', 'ccache', 'as', 'ld', 'objtool', 'modpost']);

t.test('two workers, two series, one worker killed -9 mid-build', async (t) => {
  const redis = await startRedis({ appendonly: true });
  t.teardown(() => stopRedis(redis));
  const workers = [worker(redis.url, 'e2e-A'), worker(redis.url, 'e2e-B')];
  t.teardown(() => workers.forEach((w) => w.proc.kill('SIGKILL')));
  // `run --fleet` fails fast when no worker is live yet: submit only once both serve.
  const ready = await Promise.all(workers.map((w) => w.serving()));
  t.same(ready, [true, true], 'both workers serve', { workers: workers.map((w) => w.output()) });
  if (!ready.every(Boolean)) return;
  let ended = false;
  const submit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(
      process.execPath,
      [
        bin,
        'run',
        'fixtures/series/one-patch.mbox',
        'fixtures/series/break-test-at-2.mbox',
        '--fleet',
        redis.url,
        '--json',
        '--reruns',
        '0',
      ],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b) => (stdout += b));
    p.stderr.on('data', (b) => (stderr += b));
    p.on('exit', (code) => {
      ended = true;
      resolve({ code, stdout, stderr });
    });
  });

  // A worker whose job runner (its child, a process-group leader) is running make or the compiler.
  let victim: (typeof workers)[number] | undefined;
  let group = 0;
  const until = Date.now() + 30 * 60_000;
  while (!victim && !ended && Date.now() < until) {
    const all = allPids().map((pid) => ({ pid, s: procStat(pid) }));
    for (const w of workers) {
      const runner = all.find((p) => p.s?.ppid === w.proc.pid)?.pid;
      if (runner && all.some((p) => p.s?.pgid === runner && BUILDING.has(p.s.comm))) [victim, group] = [w, runner];
    }
    await sleep(100);
  }
  if (!victim) {
    const r = await submit;
    t.fail('a worker was caught building', {
      submit: { code: r.code, stderr: r.stderr.slice(-3000) },
      workers: workers.map((w) => w.output().slice(-3000)),
    });
    return;
  }
  t.pass(`worker ${victim.id} was caught building`);
  victim.proc.kill('SIGKILL');
  await victim.exited;
  const end = Date.now() + 15_000;
  while (groupMembers(group).length && Date.now() < end) await sleep(200);
  t.same(groupMembers(group), [], "the dead worker's make and compilers are gone");

  const r = await submit;
  t.equal(r.code, 1, 'exit 1: one series regressed', {
    stderr: r.stderr.slice(-3000),
    workers: workers.map((w) => w.output()),
  });
  const reports = JSON.parse(r.stdout) as Array<{
    series: { input: string };
    status: string;
    regressions: Array<{ name: string }>;
    patched: { counts: Record<string, number> };
  }>;
  t.same(
    reports.map((x) => x.status),
    ['complete', 'complete'],
  );
  t.same(
    reports.map((x) => x.regressions.map((y) => y.name)),
    [[], ['hmm2.hmm2_device_coherent.snapshot']],
    'each series its own result',
  );
  t.same(
    reports.map((x) => x.patched.counts.pass),
    [58, 57],
    'one patched boot each, counted once',
  );
  const survivor = workers.find((w) => w !== victim);
  t.match(survivor?.output() ?? '', /took build-x86_64 job/, 'the survivor built');
});
