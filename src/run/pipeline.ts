import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { availableParallelism, freemem, totalmem } from 'node:os';
import PQueue from 'p-queue';
import type { CacheLayout } from '../common/cache.js';
import { onCleanup, interruptedSignalName } from '../common/cleanup.js';
import { HmmciError, isHmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import type { Reporter, StageHandle } from '../common/progress.js';
import { recordRunInHistory } from '../history/record-run.js';
import { compareResults, needsRerun } from '../compare/index.js';
import type { RunRecord, Side, SideResult, StageTiming } from '../report/record.js';
import type { TestRunResult } from '../results/types.js';
import type { Slot } from '../tree/types.js';
import { guestResultKey, type GuestRunOptions } from '../guest/guest-options.js';
import { BaselineStore, type BaselineEntry } from '../stages/baseline-store.js';
import type { ConfigVariant, Configured, LoadedSeries, StageContext, StageFailure, Stages } from '../stages/types.js';
import { planConcurrency, type ConcurrencyPlan, type MachineShape } from './concurrency.js';
import { aggregateExit, exitForComparison, exitForFailure } from './exit-status.js';
import { writeJobManifest } from './job-manifest.js';
import { patchsetHash } from './patchset-hash.js';
import { describeArtifact, kernelEntries, type ManifestEntry } from '../stages/manifest.js';
import { createRunDir, markInterrupted, writeRecord, type RunDir } from './run-dir.js';

export interface RunRequest {
  /** Series inputs (mbox, folder, range, message-id), one job each per config variant. */
  inputs: string[];
  /** `--tree DIR` (default: the default tree). */
  tree?: string;
  /** `--base REV`: base when a series does not name one (default: the tree's baseline). */
  base?: string;
  variants: ConfigVariant[];
  runner: 'qemu' | 'vng';
  /** Patched reruns to confirm changed results (default 1). */
  reruns: number;
  /** Reuse cached baselines (default true). */
  useBaselineCache?: boolean;
  cache: CacheLayout;
  reporter: Reporter;
  signal: AbortSignal;
  machine?: MachineShape;
  /** make -j (default from the concurrency plan). */
  jobs?: number;
  /** `--repeat/--smp/--memory-pressure/--shards`, handed to the test stage on both sides. */
  guest?: GuestRunOptions;
}

export interface RunOutcome {
  records: RunRecord[];
  exitCode: number;
  plan: ConcurrencyPlan;
}

/** A reporter whose stages feed one outer stage: each pipeline stage prints exactly once. */
function nested(parent: Reporter, outer: StageHandle, outerName: string): Reporter {
  return {
    stage(name) {
      return {
        update: (text) => outer.update(name === outerName || name.startsWith(`${outerName}:`) ? text : `${name}: ${text}`),
        done: () => 0,
        fail: () => 0,
      };
    },
    info: (t) => parent.info(t),
    warn: (t) => parent.warn(t),
  };
}

class Timer {
  readonly stages: StageTiming[] = [];
  constructor(private readonly reporter: Reporter, private readonly label: (side: Side) => string | undefined) {}

  async run<T>(name: string, side: Side, ctx: StageContext, fn: (ctx: StageContext) => Promise<T>, summary?: (v: T) => string | undefined): Promise<T> {
    const h = this.reporter.stage(name, this.label(side));
    const start = Date.now();
    try {
      const v = await fn({ ...ctx, reporter: nested(this.reporter, h, name) });
      if (isFailure(v)) h.fail(v.message.split('. ')[0]);
      else h.done(summary?.(v));
      this.stages.push({ name, side, ms: Date.now() - start });
      return v;
    } catch (err) {
      h.fail(isHmmciError(err) ? err.message.split('. ')[0] : undefined);
      this.stages.push({ name, side, ms: Date.now() - start });
      throw err;
    }
  }
}

interface Job {
  index: number;
  series: LoadedSeries;
  variant: ConfigVariant;
  /** Base commit (series' own, --base, or the tree baseline) and why. */
  base: string;
  baseReason: string;
  groupKey: string;
}

interface BaselineOutcome {
  entry: BaselineEntry;
  cached: boolean;
  slot: Slot;
  config: Configured;
  stages: StageTiming[];
  /** The job that continues in the baseline's slot (incremental patched build). */
  slotTaken: boolean;
  /** The baseline kernel's files and hmm-tests, described after its build (none when cached). */
  produced: ManifestEntry[];
}

function copyIfExists(from: string | undefined, to: string): string | undefined {
  if (!from || !existsSync(from)) return undefined;
  if (resolve(from) !== resolve(to)) copyFileSync(from, to);
  return to;
}

const sideResult = (r: TestRunResult): TestRunResult => ({ tests: r.tests, counts: r.counts, events: r.events });

/**
 * `hmmci run`: for each series (and config variant) apply, configure, build, boot and test the
 * patched kernel, compare with the unpatched baseline (computed once per base and config, locked,
 * cached by base commit, config hash, toolchain and runner), confirm changed results with
 * reruns, and keep everything in a run directory per job. Builds and guests run on separate
 * queues sized from the machine.
 */
export async function runSeries(req: RunRequest, stages: Stages): Promise<RunOutcome> {
  const ctx: StageContext = { cache: req.cache, reporter: req.reporter, signal: req.signal };
  const machine = req.machine ?? { cores: availableParallelism(), memBytes: Math.max(freemem(), totalmem() * 0.5) };
  const plan = planConcurrency(machine, { jobs: req.jobs });
  const buildQueue = new PQueue({ concurrency: plan.builds });
  const guestQueue = new PQueue({ concurrency: plan.guests });
  const stopQueues = () => {
    buildQueue.clear();
    guestQueue.clear();
  };
  req.signal.addEventListener('abort', stopQueues, { once: true });
  const multi = req.inputs.length * req.variants.length > 1;
  const store = new BaselineStore(req.cache);

  const runTimer = new Timer(req.reporter, () => undefined);
  const tree = await runTimer.run('tree', 'run', ctx, (c) => stages.resolveTree({ tree: req.tree }, c), (t) => `${t.id} @ ${t.baseline.slice(0, 12)}`);
  const loaded: LoadedSeries[] = [];
  for (const input of req.inputs) {
    loaded.push(await runTimer.run('series', 'run', ctx, (c) => stages.loadSeries(input, tree, c), (s) => `${s.patches.length} patch${s.patches.length === 1 ? '' : 'es'}: ${s.title}`));
  }
  const toolchain = await stages.toolchain(ctx);

  const jobs: Job[] = [];
  for (const series of loaded) {
    const { base, reason } = await stages.chooseBase({ tree, series, option: req.base }, ctx);
    for (const variant of req.variants) {
      jobs.push({ index: jobs.length, series, variant, base, baseReason: reason, groupKey: `${base}\0${stages.configKey(variant)}` });
    }
  }

  // One baseline per (base, config), computed once, shared by every job of the group.
  const baselines = new Map<string, Promise<BaselineOutcome>>();
  const baselineFor = (job: Job): Promise<BaselineOutcome> => {
    let p = baselines.get(job.groupKey);
    if (!p) {
      p = computeBaseline(job);
      p.catch(() => undefined);
      baselines.set(job.groupKey, p);
    }
    return p;
  };

  async function computeBaseline(job: Job): Promise<BaselineOutcome> {
    const label = multi ? `baseline${job.variant.name ? ` ${job.variant.name}` : ''}` : 'baseline';
    const t = new Timer(req.reporter, () => label);
    const configKey = stages.configKey(job.variant);
    const slot = await t.run('slot', 'baseline', ctx, (c) => stages.acquireSlot({ tree, rev: job.base, configKey }, c), (s) => `slot ${s.index} @ ${s.rev.slice(0, 12)}`);
    try {
      const lockKey = { treeId: tree.id, base: slot.rev, configKey, toolchain: toolchain.gcc, runner: `${req.runner}${guestResultKey(req.guest)}` };
      return await store.withLock(lockKey, async () => {
        const config = await t.run('config', 'baseline', ctx, (c) => stages.configure({ srcDir: slot.worktree, buildDir: slot.buildDir, variant: job.variant }, c), (v) => (v.ok ? `hash ${v.configHash}${v.reused ? ' (already current)' : ''}` : undefined));
        if (!config.ok) throw failureError(config);
        const key = store.key({ base: slot.rev, configHash: config.configHash, toolchain: toolchain.gcc, runner: `${req.runner}${guestResultKey(req.guest)}` });
        const hit = req.useBaselineCache === false ? undefined : store.lookup(key);
        if (hit) {
          req.reporter.info(`baseline: reusing the results of run ${hit.fromRun} (same base, config, gcc and runner)`);
          return { entry: hit, cached: true, slot, config, stages: t.stages, slotTaken: false, produced: [] };
        }
        const built = await buildQueue.add(() => t.run('build', 'baseline', ctx, (c) => stages.build({ srcDir: slot.worktree, buildDir: slot.buildDir, jobs: plan.buildJobs }, c)), { throwOnTimeout: true });
        if (!built.ok) throw baselineBroken(built, 'does not build');
        const produced = kernelEntries('baseline', built.artifacts);
        const tested = await guestQueue.add(() => t.run('test', 'baseline', ctx, (c) => stages.test({ srcDir: slot.worktree, buildDir: slot.buildDir, runner: req.runner, guest: req.guest, logDir: join((runDirs[job.index] as RunDir).dir, 'guest', 'baseline') }, c), (o) => (o.ok ? countsLine(o.result) : undefined)), { throwOnTimeout: true });
        if (!tested.ok) throw baselineBroken(tested, 'does not boot or produced no results');
        produced.push(...present(describeArtifact('hmm-tests', 'baseline', tested.hmmTests)));
        const entry = store.save({
          key, result: sideResult(tested.result), accel: tested.accel, fromRun: runIds[job.index] ?? 'unknown', createdAt: new Date().toISOString(),
        }, { console: tested.consoleLogPath, build: built.logPath });
        return { entry, cached: false, slot, config, stages: t.stages, slotTaken: false, produced };
      }, (pid) => req.reporter.info(`baseline: another hmmci run (pid ${pid}) is computing the same baseline; waiting to reuse it`));
    } catch (err) {
      await stages.resetSlot(slot, slot.rev).catch(() => undefined);
      await slot.release();
      throw err;
    }
  }

  function baselineBroken(f: StageFailure, what: string): HmmciError {
    return new HmmciError(`The unpatched baseline ${what}, so nothing can be compared: ${f.message} Fix the base tree or its config (or pick another base with --base) and run again.`, {
      exitCode: ExitCode.BASELINE_BROKEN, logPath: f.logPath, details: f.details,
    });
  }

  // Run directories first, so an interrupt at any point leaves every job's directory marked.
  const runDirs: RunDir[] = jobs.map((j) => createRunDir(req.cache, j.variant.name ? `${j.series.input}-${j.variant.name}` : j.series.input));
  const runIds = runDirs.map((d) => d.id);
  const batch = multi ? runIds[0] : undefined;
  const records = await Promise.all(jobs.map((job) => runJob(job, runDirs[job.index] as RunDir)));
  req.signal.removeEventListener('abort', stopQueues);
  // Slots still held by baselines whose jobs never took them.
  for (const p of baselines.values()) {
    const b = await p.catch(() => undefined);
    if (b && !b.slotTaken) await b.slot.release();
  }
  return { records, exitCode: aggregateExit(records.map((r) => r.exitCode ?? ExitCode.INFRA)), plan };

  async function runJob(job: Job, rd: RunDir): Promise<RunRecord> {
    const side = multi ? `patched ${rd.id.split('-').slice(2, -1).join('-')}` : 'patched';
    const t = new Timer(req.reporter, (s) => (s === 'patched' ? side : undefined));
    const record: RunRecord = {
      schema: 1, id: rd.id, ...(batch ? { batch } : {}), createdAt: new Date().toISOString(), status: 'running', runDir: rd.dir,
      series: {
        input: job.series.input, title: job.series.title, patches: job.series.patches, base: job.base, baseReason: job.baseReason,
        ...(job.series.author ? { author: job.series.author } : {}), ...(job.series.messageId ? { messageId: job.series.messageId } : {}),
        patchsetHash: patchsetHash(job.series.patchTexts),
      },
      config: { fragments: job.variant.fragments.map((f) => basename(f)), extra: job.variant.extra, ...(job.variant.name ? { variant: job.variant.name } : {}), configHash: '' },
      baseline: null, patched: null, reruns: [], comparison: null, stages: [...runTimer.stages],
      env: { kernel: tree.version ?? '', gcc: toolchain.gcc, qemu: toolchain.qemu, accel: '', runner: req.runner, configHash: '' },
      artifacts: { dir: rd.dir, patchedConsoles: [] },
    };
    writeFileSync(rd.path('series.mbox'), job.series.mbox);
    record.artifacts.series = rd.path('series.mbox');
    const save = () => writeRecord(rd.dir, record);
    save();
    const unmark = onCleanup(`mark run ${rd.id} interrupted`, () => markInterrupted(rd.dir, interruptedSignalName() ?? 'an error'));

    let slot: Slot | undefined;
    let ownSlot = false;
    let baseline: BaselineOutcome | undefined;
    let unreset: (() => void) | undefined;
    const produced: ManifestEntry[] = [];
    try {
      // The first job of a group continues in the baseline's slot: its build is incremental.
      const basePromise = baselineFor(job);
      const share = job === jobs.find((j) => j.groupKey === job.groupKey);
      if (share) {
        baseline = await basePromise;
        baseline.slotTaken = true;
        slot = baseline.slot;
        ownSlot = true;
        useBaseline(baseline);
      } else {
        slot = await t.run('slot', 'patched', ctx, (c) => stages.acquireSlot({ tree, rev: job.base, configKey: stages.configKey(job.variant) }, c), (x) => `slot ${x.index} @ ${x.rev.slice(0, 12)}`);
        ownSlot = true;
      }
      const s = slot;
      record.series.base = s.rev;
      // An interrupt mid-`git am` must not leave a half-applied worktree for the next user.
      unreset = onCleanup(`reset worktree ${s.worktree}`, () => stages.resetSlot(s, s.rev));
      const applied = await t.run('apply', 'patched', ctx, (c) => stages.applySeries({ series: job.series, worktree: s.worktree, base: s.rev }, c), (a) => `${a.commits.length} commit${a.commits.length === 1 ? '' : 's'}`);
      record.series = { ...record.series, base: applied.base, commits: applied.commits };
      save();
      const config = await t.run('config', 'patched', ctx, (c) => stages.configure({ srcDir: s.worktree, buildDir: s.buildDir, variant: job.variant }, c), (v) => (v.ok ? `hash ${v.configHash}${v.reused ? ' (already current)' : ''}` : undefined));
      if (!config.ok) throw failureError(config);
      record.config.configHash = config.configHash;
      record.env.configHash = config.configHash;
      record.artifacts.config = copyIfExists(config.configPath, rd.path('config'));
      const built = await buildQueue.add(() => t.run('build', 'patched', ctx, (c) => stages.build({ srcDir: s.worktree, buildDir: s.buildDir, jobs: plan.buildJobs }, c)), { throwOnTimeout: true });
      record.artifacts.patchedBuildLog = copyIfExists(built.logPath, rd.path('patched.build.log'));
      if (!built.ok) throw failureError(built);
      produced.push(...kernelEntries('patched', built.artifacts));
      const first = await guestQueue.add(() => t.run('test', 'patched', ctx, (c) => stages.test({ srcDir: s.worktree, buildDir: s.buildDir, runner: req.runner, guest: req.guest, logDir: rd.path(join('guest', 'patched')) }, c), (o) => (o.ok ? countsLine(o.result) : undefined)), { throwOnTimeout: true });
      if (!first.ok && first.kind === 'no-results') {
        // The baseline booted and produced results (or will tell); the patched kernel did not.
        if (!baseline) {
          baseline = await basePromise;
          useBaseline(baseline);
        }
        record.artifacts.patchedConsoles.push(...(copyIfExists(first.logPath, rd.path('patched.console.log')) ? [rd.path('patched.console.log')] : []));
        throw new HmmciError(`The patched kernel produced no hmm-tests results (the baseline did): ${first.message}`, {
          exitCode: ExitCode.TESTS_FAILED, logPath: first.logPath, details: first.details,
        });
      }
      if (!first.ok) throw failureError(first);
      produced.push(...present(describeArtifact('hmm-tests', 'patched', first.hmmTests)));
      record.env.accel = first.accel;
      record.env.runner = first.runner;
      record.patched = sideResult(first.result);
      record.artifacts.patchedConsoles.push(copyIfExists(first.consoleLogPath, rd.path('patched.console.log')) ?? first.consoleLogPath);
      writeFileSync(rd.path('patched.results.json'), `${JSON.stringify(record.patched, null, 2)}\n`);
      record.artifacts.patchedResults = rd.path('patched.results.json');
      save();

      if (!baseline) {
        baseline = await basePromise;
        useBaseline(baseline);
      }
      const baseResult = baseline.entry.result;
      if (req.reruns > 0 && needsRerun(baseResult, first.result)) {
        for (let i = 1; i <= req.reruns; i++) {
          const again = await guestQueue.add(() => t.run('rerun', 'patched', ctx, (c) => stages.test({ srcDir: s.worktree, buildDir: s.buildDir, runner: req.runner, guest: req.guest, logDir: rd.path(join('guest', `rerun${i}`)) }, c), (o) => (o.ok ? countsLine(o.result) : undefined)), { throwOnTimeout: true });
          if (!again.ok) {
            // A rerun that produced nothing confirms nothing: the runs that did produce results decide.
            req.reporter.warn(`rerun ${i} of the patched kernel produced no results (${again.message.split('. ')[0]}); it is left out of the comparison`);
            record.reruns.push({ tests: [], counts: {}, events: [] });
            if (again.logPath) record.artifacts.patchedConsoles.push(copyIfExists(again.logPath, rd.path(`patched.rerun${i}.console.log`)) ?? again.logPath);
            save();
            continue;
          }
          record.reruns.push(sideResult(again.result));
          record.artifacts.patchedConsoles.push(copyIfExists(again.consoleLogPath, rd.path(`patched.rerun${i}.console.log`)) ?? again.consoleLogPath);
          writeFileSync(rd.path(`patched.rerun${i}.results.json`), `${JSON.stringify(sideResult(again.result), null, 2)}\n`);
          save();
        }
      }
      record.comparison = compareResults(baseResult, [first.result, ...record.reruns]);
      record.status = 'complete';
      record.exitCode = exitForComparison(record.comparison);
    } catch (err) {
      if (req.signal.aborted) {
        record.status = 'interrupted';
        record.exitCode = ExitCode.INTERRUPTED;
      } else {
        record.status = 'failed';
        const e = isHmmciError(err) ? err : new HmmciError(`internal error: ${(err as Error)?.message ?? String(err)}`, { exitCode: ExitCode.INFRA, cause: err });
        record.exitCode = e.exitCode;
        record.error = { message: e.message, exitCode: e.exitCode, ...(e.logPath ? { logPath: e.logPath } : {}), ...(e.details.length ? { details: e.details } : {}) };
      }
      if (slot) await stages.resetSlot(slot, slot.rev).catch(() => undefined);
    } finally {
      record.stages = [...runTimer.stages, ...(baseline?.stages ?? []), ...t.stages];
      record.finishedAt = new Date().toISOString();
      try {
        record.artifacts.manifest = writeJobManifest(record, [...(baseline?.produced ?? []), ...produced]);
      } catch (err) {
        req.reporter.warn(`run ${rd.id}: no manifest.json (${(err as Error).message})`);
      }
      recordRunInHistory(req.cache, record, req.reporter);
      save();
      if (record.status === 'interrupted') markInterrupted(rd.dir, interruptedSignalName() ?? 'SIGINT');
      unmark();
      unreset?.();
      if (slot && ownSlot) await slot.release();
    }
    return record;

    function useBaseline(b: BaselineOutcome): void {
      const result: SideResult = { ...sideResult(b.entry.result), ...(b.cached ? { cached: true, fromRun: b.entry.fromRun } : {}) };
      record.baseline = result;
      if (!record.env.accel) record.env.accel = b.entry.accel;
      if (!record.env.configHash) record.env.configHash = b.config.configHash;
      if (!record.config.configHash) record.config.configHash = b.config.configHash;
      record.artifacts.baselineConsole = copyIfExists(b.entry.consoleLog, rd.path('baseline.console.log'));
      record.artifacts.baselineBuildLog = b.cached ? undefined : copyIfExists(b.entry.buildLog, rd.path('baseline.build.log'));
      writeFileSync(rd.path('baseline.results.json'), `${JSON.stringify(sideResult(b.entry.result), null, 2)}\n`);
      record.artifacts.baselineResults = rd.path('baseline.results.json');
    }
  }
}

const present = <T>(x: T | undefined): T[] => (x === undefined ? [] : [x]);

function isFailure(v: unknown): v is StageFailure {
  return typeof v === 'object' && v !== null && (v as { ok?: unknown }).ok === false && typeof (v as { kind?: unknown }).kind === 'string';
}

/** A stage failure that ends a job, as the error its record keeps (exit status by kind). */
function failureError(f: StageFailure): HmmciError {
  return new HmmciError(f.message, { exitCode: exitForFailure(f.kind), logPath: f.logPath, details: f.details });
}

function countsLine(r: TestRunResult): string {
  return Object.entries(r.counts).filter(([, n]) => n).map(([s, n]) => `${n} ${s}`).join(', ') || 'no tests';
}
