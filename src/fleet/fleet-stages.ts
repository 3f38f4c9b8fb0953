import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { HmmciError } from '../common/errors.js';
import { ExitCode, type ExitCodeValue } from '../common/exit-codes.js';
import { patchsetHash } from '../run/patchset-hash.js';
import type {
  ConfigVariant,
  LoadedSeries,
  StageContext,
  StageFailure as OutcomeFailure,
  Stages,
} from '../stages/types.js';
import type { KernelTree, Slot } from '../tree/types.js';
import type { FleetClient, JobHandle } from './client.js';
import type { BuildJobData, BuildJobResult, StageFailure, TestJobResult } from './jobs.js';
import type { ArtifactStore } from './store.js';

/** In a virtual build dir: which build job made the kernel it stands for. */
const BUILD_MARKER = '.hmmci-fleet-build.json';

interface VirtualSlot {
  slot: Slot;
  tree: KernelTree;
  series?: LoadedSeries;
  build?: { series?: LoadedSeries; variantId: string; handle: JobHandle<BuildJobResult> };
}

export interface FleetStagesOptions {
  client: FleetClient;
  store: ArtifactStore;
  /** Local stages for what needs no worker: the tree's identity, loading the series, choosing the base. */
  local: Stages;
  /** Scratch space for downloaded logs and .config (the run directory copies them). */
  workDir: string;
  arch?: string;
}

/** The build job of a series (or the baseline, without one) on `rev` of `tree` with `variant`. */
export async function buildJobData(
  o: Pick<FleetStagesOptions, 'store' | 'local' | 'workDir' | 'arch'>,
  b: { tree: KernelTree; rev: string; series?: LoadedSeries; variant: ConfigVariant },
  ctx: StageContext,
): Promise<BuildJobData> {
  let series: BuildJobData['series'] = null;
  if (b.series) {
    const file = join(o.workDir, `series-${randomUUID().slice(0, 8)}.mbox`);
    writeFileSync(file, b.series.mbox);
    series = {
      mbox: (await o.store.put(file)).sha256,
      patchsetHash: patchsetHash(b.series.patchTexts),
      title: b.series.title,
    };
  }
  const tc = await o.local.toolchain(ctx);
  const t = b.tree;
  return {
    kind: 'build',
    tree: { kind: t.kind, ...(t.kind === 'user' ? { path: t.path } : {}), id: t.id, baseline: t.baseline },
    base: b.rev,
    series,
    arch: o.arch ?? 'x86_64',
    store: o.store.url,
    toolchain: tc.gcc,
    variant: {
      ...(b.variant.name ? { name: b.variant.name } : {}),
      fragments: b.variant.fragments.map((f) => ({ name: basename(f), text: readFileSync(f, 'utf8') })),
      extra: b.variant.extra,
      configKey: o.local.configKey(b.variant),
    },
  };
}

/** A worker's stage failure as the stage outcome value the pipeline expects. */
function outcomeOf<K extends OutcomeFailure['kind']>(f: StageFailure, kind: K, logPath?: string): OutcomeFailure<K> {
  return { ok: false, kind, message: f.message, details: f.details, ...(logPath ? { logPath } : {}) };
}

export function stageError(f: StageFailure, logPath?: string): HmmciError {
  return new HmmciError(f.message, {
    exitCode: f.exitCode as ExitCodeValue,
    details: f.details,
    ...(logPath ? { logPath } : {}),
  });
}

/**
 * The run pipeline's stages over the fleet: `hmmci run --fleet` drives the very same runSeries
 * (same progress, same run directory, same reports), but a slot is virtual: apply + configure +
 * build are one build job on some worker (keyed, so a baseline is built once per base), a test
 * is a test job on the kernel's manifest, and logs come back through the artifact store.
 */
export function fleetStages(o: FleetStagesOptions): Stages {
  const slots = new Map<string, VirtualSlot>();
  const variants = new Map<string, ConfigVariant>();
  const arch = o.arch ?? 'x86_64';
  let n = 0;
  const of = (worktree: string): VirtualSlot => {
    const v = slots.get(worktree);
    if (!v) throw new Error(`fleet: no virtual slot ${worktree}`);
    return v;
  };
  const fetchLog = async (sha: string | undefined, name: string): Promise<string | undefined> => {
    if (!sha) return undefined;
    const p = join(o.workDir, 'logs', `${randomUUID().slice(0, 8)}-${name}`);
    await o.store.get(sha, p);
    return p;
  };

  async function startBuild(v: VirtualSlot, variant: ConfigVariant, ctx: StageContext) {
    const variantId = JSON.stringify(variant);
    if (v.build && v.build.series === v.series && v.build.variantId === variantId) return v.build.handle;
    const data = await buildJobData(o, { tree: v.tree, rev: v.slot.rev, series: v.series, variant }, ctx);
    const handle = await o.client.submitBuild<BuildJobResult>(data);
    ctx.reporter.info(`fleet: ${v.series ? 'patched' : 'baseline'} build job ${handle.id} on ${handle.queue}`);
    v.build = { series: v.series, variantId, handle };
    return handle;
  }

  async function finished(h: JobHandle<BuildJobResult>): Promise<BuildJobResult> {
    const end = await h.end;
    if (end.state === 'failed')
      throw new HmmciError(
        `The fleet gave up on build job ${h.id} after ${end.attempts} attempt(s): ${end.reason}. See \`hmmci fleet status\` and the workers' output.`,
        { exitCode: ExitCode.INFRA },
      );
    return end.value;
  }

  return {
    resolveTree: (req, ctx) => o.local.resolveTree(req, ctx),
    loadSeries: (input, tree, ctx) => o.local.loadSeries(input, tree, ctx),
    chooseBase: (req, ctx) => o.local.chooseBase(req, ctx),
    configKey(v) {
      const k = o.local.configKey(v);
      variants.set(k, v);
      return k;
    },
    toolchain: (ctx) => o.local.toolchain(ctx),
    async acquireSlot(req) {
      const dir = join(o.workDir, `slot-${++n}`);
      mkdirSync(dir, { recursive: true });
      const slot: Slot = {
        worktree: join(dir, 'src'),
        buildDir: join(dir, 'build'),
        index: n,
        rev: req.rev,
        configKey: req.configKey,
        release: async () => void slots.delete(slot.worktree),
      };
      mkdirSync(slot.buildDir, { recursive: true });
      slots.set(slot.worktree, { slot, tree: req.tree });
      return slot;
    },
    async resetSlot(slot) {
      const v = slots.get(slot.worktree);
      if (v) v.series = undefined;
    },
    async applySeries(req, ctx) {
      const v = of(req.worktree);
      v.series = req.series;
      // Apply runs on the worker as the first step of the patched build job: wait for it.
      const variant = variants.get(v.slot.configKey);
      if (!variant) throw new Error(`fleet: no config variant for key ${v.slot.configKey}`);
      const h = await startBuild(v, variant, ctx);
      const p = await h.reached(['applied', 'configured', 'built', 'done']);
      if (p?.apply) return p.apply;
      const r = await finished(h);
      if (!r.ok) throw stageError(r.failure, await fetchLog(r.failure.log, 'apply.log'));
      if (!r.apply) throw new HmmciError(`fleet: build job ${h.id} applied nothing`, { exitCode: ExitCode.INFRA });
      return r.apply;
    },
    async configure(req, ctx) {
      const v = of(req.srcDir);
      const h = await startBuild(v, req.variant, ctx);
      const p = await h.reached(['configured', 'built', 'done']);
      if (p?.configHash)
        return {
          ok: true,
          configPath: join(req.buildDir, '.config'),
          configHash: p.configHash,
          ...(p.configReused ? { reused: true } : {}),
        };
      const r = await finished(h);
      if (!r.ok) return outcomeOf(r.failure, 'config', await fetchLog(r.failure.log, 'config.log'));
      return { ok: true, configPath: join(req.buildDir, '.config'), configHash: r.configHash };
    },
    async build(req, ctx) {
      const v = of(req.srcDir);
      if (!v.build) throw new Error('fleet: build before configure');
      const stage = ctx.reporter.stage('build');
      const r = await finished(v.build.handle);
      if (!r.ok) return outcomeOf(r.failure, 'build', await fetchLog(r.failure.log, 'build.log'));
      stage.update(`built on ${r.worker}`);
      // The build dir names its build job: a copy of it (a snapshot the pipeline boots while the
      // slot moves on to the patched kernel) still names the kernel it holds.
      writeFileSync(
        join(req.buildDir, BUILD_MARKER),
        JSON.stringify({ queue: v.build.handle.queue, id: v.build.handle.id }),
      );
      for (const a of r.manifest.artifacts.filter((x) => x.name === '.config' || x.name === 'build.log')) {
        await o.store.get(a.sha256, join(req.buildDir, a.name === '.config' ? '.config' : 'build.log'));
      }
      // The kernel itself stays in the store (the test job fetches it by sha256): these paths name
      // where a local build would have it; files absent here are left out of the run's manifest.
      const artifacts = {
        bzImage: join(req.buildDir, 'arch/x86/boot/bzImage'),
        testHmmKo: join(req.buildDir, 'lib/test_hmm.ko'),
        config: join(req.buildDir, '.config'),
      };
      return { ok: true, logPath: join(req.buildDir, 'build.log'), artifacts };
    },
    async test(req, ctx) {
      const marker = join(req.buildDir, BUILD_MARKER);
      if (!existsSync(marker)) throw new Error(`fleet: ${req.buildDir} holds no fleet build (test before build)`);
      const job = JSON.parse(readFileSync(marker, 'utf8')) as { queue: string; id: string };
      const built = await finished(o.client.follow<BuildJobResult>(job.queue, job.id));
      if (!built.ok) throw stageError(built.failure);
      const h = await o.client.submitTest<TestJobResult>({
        kind: 'test',
        manifest: built.manifest,
        runner: req.runner,
        arch,
        store: o.store.url,
        label: req.logDir ?? '',
      });
      ctx.reporter.stage('test').update(`job ${h.id} on ${h.queue}`);
      const end = await h.end;
      if (end.state === 'failed') {
        throw new HmmciError(
          `The guest hung or was lost on every try (${end.attempts}) of test job ${h.id}: ${end.reason}. That is an infrastructure error (KCIDB ERROR), not a test result.`,
          { exitCode: ExitCode.INFRA },
        );
      }
      const r = end.value;
      const dir = req.logDir ?? join(o.workDir, `guest-${randomUUID().slice(0, 8)}`);
      mkdirSync(dir, { recursive: true });
      if (!r.ok)
        return outcomeOf(
          r.failure,
          r.failure.kind === 'build' ? 'build' : 'no-results',
          await fetchLog(r.failure.log, 'console.log'),
        );
      const consoleLogPath = join(dir, 'console.log');
      rmSync(consoleLogPath, { force: true });
      await o.store.get(r.console, consoleLogPath);
      return { ok: true, result: r.result, consoleLogPath, accel: r.accel, runner: r.runner };
    },
  };
}
