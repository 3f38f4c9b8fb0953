import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { run } from '../common/exec.js';
import { isHmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { archConfig } from '../guest/arch/index.js';
import type { ConfigVariant, StageContext, StageFailure as OutcomeFailure, Stages } from '../stages/types.js';
import { mboxOf } from '../stages/real-stages.js';
import { loadSeries as loadSeriesFile } from '../series/load.js';
import {
  buildKey,
  type Artifact,
  type BuildJobData,
  type BuildJobResult,
  type JobProgress,
  type StageFailure,
} from './jobs.js';
import type { ArtifactStore } from './store.js';

/** What a job runs with on the worker: its stages, context, the store, a scratch dir. */
export interface JobEnv {
  stages: Stages;
  ctx: StageContext;
  store: ArtifactStore;
  workDir: string;
  worker: string;
  progress: (p: JobProgress) => void;
}

/** The hmm-tests sources a test worker compiles hmm-tests from (and decode_stacktrace.sh). */
export const HMM_TEST_SOURCES = [
  'tools/testing/selftests/mm/hmm-tests.c',
  'tools/testing/selftests/kselftest_harness.h',
  'tools/testing/selftests/kselftest.h',
  'lib/test_hmm_uapi.h',
  'mm/gup_test.h',
  'tools/include/uapi',
  'scripts/decode_stacktrace.sh',
];

/** A stage's failure (an outcome value, or a thrown HmmciError such as apply's) with its log put into the store. */
export async function failureOf(
  stage: StageFailure['stage'],
  err: unknown,
  store: ArtifactStore,
): Promise<StageFailure> {
  const value = err as Partial<OutcomeFailure>;
  if (value && value.ok === false) {
    const log = value.logPath && existsSync(value.logPath) ? (await store.put(value.logPath)).sha256 : undefined;
    const exitCode =
      value.kind === 'config' ? ExitCode.CONFIG : value.kind === 'build' ? ExitCode.BUILD_FAILED : ExitCode.GUEST;
    return {
      stage,
      kind: value.kind,
      message: value.message ?? '',
      exitCode,
      details: [...(value.details ?? [])],
      ...(log ? { log } : {}),
    };
  }
  if (!isHmmciError(err)) throw err;
  const log = err.logPath && existsSync(err.logPath) ? (await store.put(err.logPath)).sha256 : undefined;
  return { stage, message: err.message, exitCode: err.exitCode, details: [...err.details], ...(log ? { log } : {}) };
}

function variantOf(d: BuildJobData, dir: string): ConfigVariant {
  mkdirSync(dir, { recursive: true });
  const fragments = d.variant.fragments.map((f, i) => {
    const p = join(dir, `${i}-${f.name.replace(/[^A-Za-z0-9._-]/g, '_')}`);
    writeFileSync(p, f.text);
    return p;
  });
  return { ...(d.variant.name ? { name: d.variant.name } : {}), fragments, extra: d.variant.extra };
}

/** The series' first `n` patches (a bisect step) as an mbox, or the whole one. */
async function upTo(mboxPath: string, n: number | undefined, dir: string): Promise<string> {
  if (!n) return mboxPath;
  const s = await loadSeriesFile(mboxPath);
  if (n >= s.patches.length) return mboxPath;
  const out = join(dir, `series-first-${n}.mbox`);
  writeFileSync(out, mboxOf({ ...s, patches: s.patches.slice(0, n) }));
  return out;
}

/** Put the kernel, module, vmlinux, .config, build log and hmm-tests sources into the store. */
async function collect(
  d: BuildJobData,
  env: JobEnv,
  srcDir: string,
  buildDir: string,
  logPath: string,
): Promise<Artifact[]> {
  const files: Array<[string, string]> = [
    ['bzImage', join(buildDir, archConfig(d.arch).kernelImage)],
    ['test_hmm.ko', join(buildDir, 'lib/test_hmm.ko')],
    ['vmlinux', join(buildDir, 'vmlinux')],
    ['.config', join(buildDir, '.config')],
    ['build.log', logPath],
  ];
  const present = HMM_TEST_SOURCES.filter((s) => existsSync(join(srcDir, s)));
  if (present.length) {
    const tar = join(env.workDir, 'hmm-tests-src.tar');
    await run('tar', ['-cf', tar, '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '-C', srcDir, ...present]);
    files.push(['hmm-tests-src.tar', tar]);
  }
  const out: Artifact[] = [];
  for (const [name, path] of files) {
    if (!existsSync(path)) continue;
    const { sha256, size } = await env.store.put(path);
    out.push({ name, sha256, size });
  }
  return out;
}

/**
 * A build job on a worker: its tree (prepared on the first job), a slot at the base, the series
 * applied (patched builds), configure, build, and the artifacts into the store. A stage that fails
 * because of the input (apply, config, build) is a result; anything else throws (retried).
 */
export async function runBuildJob(d: BuildJobData, env: JobEnv): Promise<BuildJobResult> {
  const started = Date.now();
  const { stages, ctx } = env;
  const fail = async (stage: StageFailure['stage'], err: unknown): Promise<BuildJobResult> => ({
    ok: false,
    worker: env.worker,
    failure: await failureOf(stage, err, env.store),
  });
  env.progress({ phase: 'tree', stage: 'tree', worker: env.worker });
  const tree = await stages.resolveTree({ tree: d.tree.kind === 'user' ? d.tree.path : undefined }, ctx);
  const variant = variantOf(d, join(env.workDir, 'fragments'));
  const slot = await stages.acquireSlot({ tree, rev: d.base, configKey: stages.configKey(variant) }, ctx);
  try {
    let apply: Extract<BuildJobResult, { ok: true }>['apply'] = null;
    if (d.series) {
      const mbox = join(env.workDir, 'series.mbox');
      await env.store.get(d.series.mbox, mbox);
      const series = await stages.loadSeries(await upTo(mbox, d.series.upTo, env.workDir), tree, ctx);
      try {
        apply = await stages.applySeries({ series, worktree: slot.worktree, base: slot.rev }, ctx);
      } catch (err) {
        return await fail('apply', err);
      }
    }
    env.progress({ phase: 'applied', stage: 'apply', apply, worker: env.worker });
    const config = await stages.configure({ srcDir: slot.worktree, buildDir: slot.buildDir, variant }, ctx);
    if (!config.ok) return await fail('configure', config);
    env.progress({
      phase: 'configured',
      stage: 'config',
      configHash: config.configHash,
      configReused: config.reused,
      apply,
      worker: env.worker,
    });
    const built = await stages.build(
      { srcDir: slot.worktree, buildDir: slot.buildDir, jobs: d.jobs || availableParallelism() },
      ctx,
    );
    if (!built.ok) return await fail('build', built);
    const artifacts = await collect(d, env, slot.worktree, slot.buildDir, built.logPath);
    env.progress({ phase: 'built', stage: 'build', worker: env.worker });
    return {
      ok: true,
      worker: env.worker,
      apply,
      configHash: config.configHash,
      ...(config.reused ? { configReused: true } : {}),
      manifest: { key: buildKey(d), arch: d.arch, configHash: config.configHash, artifacts },
      ms: Date.now() - started,
    };
  } finally {
    await stages.resetSlot(slot, slot.rev).catch(() => undefined);
    await slot.release();
  }
}
