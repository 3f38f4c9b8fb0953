import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { runOk } from '../common/exec.js';
import { isHmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { archConfig } from '../guest/arch/index.js';
import type { Manifest, TestJobData, TestJobResult } from './jobs.js';
import { failureOf, type JobEnv } from './build-job.js';
import { DirStore, fetchCached } from './store.js';

/** Where each artifact goes in the kbuild-shaped directory the guest stage boots from. */
function layout(arch: string): Record<string, string> {
  return {
    bzImage: archConfig(arch).kernelImage,
    'test_hmm.ko': 'lib/test_hmm.ko',
    vmlinux: 'vmlinux',
    '.config': '.config',
  };
}

/**
 * Lay a manifest out as a build dir (+ a source dir holding the hmm-tests sources) under
 * `<cache>/fleet/kernels/<key>`, once per worker: later test jobs of the same kernel reuse it.
 */
export async function materialize(
  m: Manifest,
  env: JobEnv,
  root: string,
): Promise<{ srcDir: string; buildDir: string }> {
  const dir = join(root, 'kernels', m.key);
  const done = { srcDir: join(dir, 'src'), buildDir: join(dir, 'build') };
  if (existsSync(join(dir, '.complete'))) return done;
  const tmp = `${dir}.tmp-${randomUUID()}`;
  const objects = new DirStore(join(root, 'objects'));
  const where = layout(m.arch);
  mkdirSync(join(tmp, 'src'), { recursive: true });
  for (const a of m.artifacts) {
    if (a.name === 'hmm-tests-src.tar') {
      const tar = join(tmp, 'hmm-tests-src.tar');
      await fetchCached(env.store, objects, a.sha256, tar);
      await runOk('tar', ['-xf', tar, '-C', join(tmp, 'src')], { what: 'unpacking the hmm-tests sources' });
    } else if (where[a.name]) {
      await fetchCached(env.store, objects, a.sha256, join(tmp, 'build', where[a.name] as string));
    }
  }
  mkdirSync(join(tmp, '.complete'));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(root, 'kernels'), { recursive: true });
  renameSync(tmp, dir);
  return done;
}

/**
 * A boot the fleet should retry elsewhere rather than report: the guest hung before the kernel
 * said anything or before hmm-tests started, or it was lost (killed from outside, QEMU crashed).
 * A kernel that panics at boot, or tests that fail or hang, are results (KCIDB FAIL); a hang at
 * boot or a lost guest is ERROR/MISS. The guest stage says which watchdog fired in its message.
 */
export const INFRA_NO_RESULTS =
  /printed no kernel banner within|did not start within \d+ s of boot|quiet at boot|interrupted/;

export function isInfraFailure(f: { ok: false; kind: string; message: string } | unknown): boolean {
  const v = f as { ok?: boolean; kind?: string; message?: string; exitCode?: number };
  if (v && v.ok === false) return v.kind === 'no-results' && INFRA_NO_RESULTS.test(v.message ?? '');
  // Thrown: the harness or the machine failed (QEMU would not start, disk full), not the kernel.
  return !isHmmciError(f) || f.exitCode === ExitCode.INFRA || f.exitCode === ExitCode.INTERRUPTED;
}

/** An infrastructure error: the job runner tells the queue to retry it (with backoff), on any worker. */
export class RetryableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryableError';
  }
}

/** A test job on a worker: fetch the kernel by sha256, boot it, run hmm-tests, put the console log. */
export async function runTestJob(d: TestJobData, env: JobEnv, fleetRoot: string): Promise<TestJobResult> {
  const started = Date.now();
  env.progress({ phase: 'started', stage: 'fetch', worker: env.worker });
  const { srcDir, buildDir } = await materialize(d.manifest, env, fleetRoot);
  env.progress({ phase: 'booting', stage: 'test', worker: env.worker });
  let o;
  try {
    o = await env.stages.test({ srcDir, buildDir, runner: d.runner, logDir: join(env.workDir, 'guest') }, env.ctx);
  } catch (err) {
    if (isInfraFailure(err)) throw new RetryableError(`${env.worker}: ${(err as Error).message}`);
    return { ok: false, worker: env.worker, failure: await failureOf('test', err, env.store) };
  }
  if (!o.ok) {
    if (isInfraFailure(o)) throw new RetryableError(`${env.worker}: ${o.message}`);
    return { ok: false, worker: env.worker, failure: await failureOf('test', o, env.store) };
  }
  const console = (await env.store.put(o.consoleLogPath)).sha256;
  return {
    ok: true,
    worker: env.worker,
    result: o.result,
    console,
    accel: o.accel,
    runner: o.runner,
    ms: Date.now() - started,
  };
}
