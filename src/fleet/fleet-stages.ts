import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { HmmciError } from '../common/errors.js';
import { cancelsJobs } from '../common/run-cancelled.js';
import { ExitCode, type ExitCodeValue } from '../common/exit-codes.js';
import { patchsetHash } from '../run/patchset-hash.js';
import type {
  ApplyOutcome,
  BuildOutcome,
  ConfigureOutcome,
  ConfigVariant,
  LoadedSeries,
  StageContext,
  StageFailure as OutcomeFailure,
  Stages,
  TestOutcome,
} from '../stages/types.js';
import type { KernelTree, Slot } from '../tree/types.js';
import type { FleetClient, JobHandle } from './client.js';
import type { BuildJobData, BuildJobResult, StageFailure, TestJobData, TestJobResult } from './jobs.js';
import { CANCELLED_BY_SUBMITTER } from './cancel-mark.js';
import { sideOf, testJobId, type RunParents } from './run-parent.js';
import type { ArtifactStore } from './store.js';

/** In a virtual build dir: which build job made the kernel it stands for. */
export const BUILD_MARKER = '.hmmci-fleet-build.json';

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
  /** Run parent jobs: each test job becomes a child of its run's parent (src/fleet/run-parent.ts). */
  runs?: RunParents;
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

/** The slots of a fleet run: virtual (a scratch dir each), standing for where a build job's kernel would be. */
class VirtualSlots {
  private readonly slots = new Map<string, VirtualSlot>();
  private n = 0;

  constructor(private readonly workDir: string) {}

  of(worktree: string): VirtualSlot {
    const v = this.slots.get(worktree);
    if (!v) throw new Error(`fleet: no virtual slot ${worktree}`);
    return v;
  }

  acquire(req: { tree: KernelTree; rev: string; configKey: string }): Slot {
    const dir = join(this.workDir, `slot-${++this.n}`);
    mkdirSync(dir, { recursive: true });
    const slot: Slot = {
      worktree: join(dir, 'src'),
      buildDir: join(dir, 'build'),
      index: this.n,
      rev: req.rev,
      configKey: req.configKey,
      release: async () => void this.slots.delete(slot.worktree),
    };
    mkdirSync(slot.buildDir, { recursive: true });
    this.slots.set(slot.worktree, { slot, tree: req.tree });
    return slot;
  }

  reset(slot: Slot): void {
    const v = this.slots.get(slot.worktree);
    if (v) v.series = undefined;
  }
}

/** A log (build.log, console.log) of a failed job, fetched from the store into the scratch dir. */
async function fetchLog(o: FleetStagesOptions, sha: string | undefined, name: string): Promise<string | undefined> {
  if (!sha) return undefined;
  const p = join(o.workDir, 'logs', `${randomUUID().slice(0, 8)}-${name}`);
  await o.store.get(sha, p);
  return p;
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

/**
 * Apply + configure + build of one slot are one build job on some worker: apply and configure
 * wait for its progress, build for its end; the kernel stays in the store.
 */
class BuildJobs {
  readonly variants = new Map<string, ConfigVariant>();

  constructor(
    private readonly o: FleetStagesOptions,
    private readonly slots: VirtualSlots,
  ) {}

  private async start(v: VirtualSlot, variant: ConfigVariant, ctx: StageContext) {
    const variantId = JSON.stringify(variant);
    if (v.build && v.build.series === v.series && v.build.variantId === variantId) return v.build.handle;
    const data = await buildJobData(this.o, { tree: v.tree, rev: v.slot.rev, series: v.series, variant }, ctx);
    const handle = await this.o.client.submitBuild<BuildJobResult>(data, ctx.signal);
    ctx.reporter.info(`fleet: ${v.series ? 'patched' : 'baseline'} build job ${handle.id} on ${handle.queue}`);
    v.build = { series: v.series, variantId, handle };
    return handle;
  }

  async apply(req: Parameters<Stages['applySeries']>[0], ctx: StageContext): Promise<ApplyOutcome> {
    const v = this.slots.of(req.worktree);
    v.series = req.series;
    // Apply runs on the worker as the first step of the patched build job: wait for it.
    const variant = this.variants.get(v.slot.configKey);
    if (!variant) throw new Error(`fleet: no config variant for key ${v.slot.configKey}`);
    const h = await this.start(v, variant, ctx);
    const p = await h.reached(['applied', 'configured', 'built', 'done']);
    if (p?.apply) return p.apply;
    const r = await finished(h);
    if (!r.ok) throw stageError(r.failure, await fetchLog(this.o, r.failure.log, 'apply.log'));
    if (!r.apply) throw new HmmciError(`fleet: build job ${h.id} applied nothing`, { exitCode: ExitCode.INFRA });
    return r.apply;
  }

  async configure(req: Parameters<Stages['configure']>[0], ctx: StageContext): Promise<ConfigureOutcome> {
    const v = this.slots.of(req.srcDir);
    const h = await this.start(v, req.variant, ctx);
    const p = await h.reached(['configured', 'built', 'done']);
    const configPath = join(req.buildDir, '.config');
    if (p?.configHash)
      return { ok: true, configPath, configHash: p.configHash, ...(p.configReused ? { reused: true } : {}) };
    const r = await finished(h);
    if (!r.ok) return outcomeOf(r.failure, 'config', await fetchLog(this.o, r.failure.log, 'config.log'));
    return { ok: true, configPath, configHash: r.configHash };
  }

  async build(req: Parameters<Stages['build']>[0], ctx: StageContext): Promise<BuildOutcome> {
    const v = this.slots.of(req.srcDir);
    if (!v.build) throw new Error('fleet: build before configure');
    const stage = ctx.reporter.stage('build');
    const r = await finished(v.build.handle);
    if (!r.ok) return outcomeOf(r.failure, 'build', await fetchLog(this.o, r.failure.log, 'build.log'));
    stage.update(`built on ${r.worker}`);
    // The build dir names its build job: a copy of it (a snapshot the pipeline boots while the
    // slot moves on to the patched kernel) still names the kernel it holds.
    writeFileSync(
      join(req.buildDir, BUILD_MARKER),
      JSON.stringify({ queue: v.build.handle.queue, id: v.build.handle.id }),
    );
    for (const a of r.manifest.artifacts.filter((x) => x.name === '.config' || x.name === 'build.log')) {
      await this.o.store.get(a.sha256, join(req.buildDir, a.name === '.config' ? '.config' : 'build.log'));
    }
    // The kernel itself stays in the store (the test job fetches it by sha256): these paths name
    // where a local build would have it; files absent here are left out of the run's manifest.
    const artifacts = {
      bzImage: join(req.buildDir, 'arch/x86/boot/bzImage'),
      testHmmKo: join(req.buildDir, 'lib/test_hmm.ko'),
      config: join(req.buildDir, '.config'),
    };
    return { ok: true, logPath: join(req.buildDir, 'build.log'), artifacts };
  }
}

/**
 * The run was aborted while its test job ran: the stage ends as a local one does (it throws; the
 * run is recorded interrupted). A cancel (RunCancelled: the watcher's supersede) also cancels the
 * test job; an interrupt (Ctrl-C) leaves it running, for the same run submitted again to adopt.
 */
async function stopped(o: FleetStagesOptions, h: JobHandle<unknown>, ctx: StageContext, err: unknown): Promise<never> {
  if (!ctx.signal.aborted) throw err;
  const reason: unknown = ctx.signal.reason;
  if (cancelsJobs(reason)) {
    const done = await o.client
      .cancelTest(h.queue, h.id, reason.message)
      .catch((e: Error) => `not cancelled: ${e.message}`);
    ctx.reporter.info(`fleet: test job ${h.id} ${done === 'marked' ? 'marked cancelled (its worker stops it)' : done}`);
  }
  throw err;
}

/**
 * A test is a test job on the build's manifest; with run parents (and a log dir naming the run), a
 * child of its run's parent job, keyed by side and kernel.
 */
async function testOnFleet(
  o: FleetStagesOptions,
  req: Parameters<Stages['test']>[0],
  ctx: StageContext,
): Promise<TestOutcome> {
  const marker = join(req.buildDir, BUILD_MARKER);
  if (!existsSync(marker)) throw new Error(`fleet: ${req.buildDir} holds no fleet build (test before build)`);
  const job = JSON.parse(readFileSync(marker, 'utf8')) as { queue: string; id: string };
  const built = await finished(o.client.follow<BuildJobResult>(job.queue, job.id, ctx.signal));
  if (!built.ok) throw stageError(built.failure);
  const side = req.logDir ? sideOf(req.logDir) : 'test';
  const parent =
    o.runs && req.logDir
      ? await o.runs.parentFor(req.logDir, { runner: req.runner, guest: req.guest }, { side, ...job })
      : undefined;
  const data: TestJobData = {
    kind: 'test',
    manifest: built.manifest,
    runner: req.runner,
    arch: o.arch ?? 'x86_64',
    store: o.store.url,
    label: req.logDir ?? '',
  };
  const h = await o.client.submitTest<TestJobResult>(data, {
    ...(parent ? { parent, id: testJobId(parent.id, side, built.manifest.key) } : {}),
    signal: ctx.signal,
  });
  ctx.reporter.stage('test').update(`job ${h.id} on ${h.queue}`);
  const end = await h.end.catch((err: unknown) => stopped(o, h, ctx, err));
  if (end.state === 'failed' && end.reason.startsWith(CANCELLED_BY_SUBMITTER))
    throw new HmmciError(
      `Test job ${h.id} was ${end.reason}, so this run has no result for it (not a test result). Run the series again to test it.`,
      { exitCode: ExitCode.INFRA },
    );
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
      await fetchLog(o, r.failure.log, 'console.log'),
    );
  const consoleLogPath = join(dir, 'console.log');
  rmSync(consoleLogPath, { force: true });
  await o.store.get(r.console, consoleLogPath);
  return { ok: true, result: r.result, consoleLogPath, accel: r.accel, runner: r.runner };
}

/**
 * The run pipeline's stages over the fleet: `hmmci run --fleet` drives the very same runSeries
 * (same progress, same run directory, same reports), but a slot is virtual: apply + configure +
 * build are one build job on some worker (keyed, so a baseline is built once per base), a test
 * is a test job on the kernel's manifest (a child of its run's parent job), and logs come back
 * through the artifact store.
 */
export function fleetStages(o: FleetStagesOptions): Stages {
  const slots = new VirtualSlots(o.workDir);
  const builds = new BuildJobs(o, slots);
  return {
    resolveTree: (req, ctx) => o.local.resolveTree(req, ctx),
    loadSeries: (input, tree, ctx) => o.local.loadSeries(input, tree, ctx),
    chooseBase: (req, ctx) => o.local.chooseBase(req, ctx),
    configKey(v) {
      const k = o.local.configKey(v);
      builds.variants.set(k, v);
      return k;
    },
    toolchain: (ctx) => o.local.toolchain(ctx),
    acquireSlot: async (req) => slots.acquire(req),
    resetSlot: async (slot) => slots.reset(slot),
    applySeries: (req, ctx) => builds.apply(req, ctx),
    configure: (req, ctx) => builds.configure(req, ctx),
    build: (req, ctx) => builds.build(req, ctx),
    test: (req, ctx) => testOnFleet(o, req, ctx),
  };
}
