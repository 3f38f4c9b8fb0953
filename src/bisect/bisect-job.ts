import type { CacheLayout } from '../common/cache.js';
import { UsageError } from '../common/errors.js';
import type { Reporter } from '../common/progress.js';
import { ConfigError } from '../kconfig/errors.js';
import { patchsetHash } from '../run/patchset-hash.js';
import { BaselineStore, type BaselineKey } from '../stages/baseline-store.js';
import type { ConfigVariant, Runner, StageContext, Stages } from '../stages/types.js';
import { resetWorktree } from '../tree/slots.js';
import type { KernelTree } from '../tree/types.js';
import { baseFromBaselineCache, endsFromRuns, type CachedEnds } from './cached-ends.js';
import { bisectRange, bisectSeries, type SlotBisectOptions } from './in-slot.js';
import { pipelineFromStages } from './stages-pipeline.js';
import type { BisectReport } from './types.js';

/** What is bisected: the patches of a series, or a `--good..--bad` range of the tree. */
export type BisectTarget =
  { kind: 'series'; input: string; base?: string } | { kind: 'range'; good: string; bad: string };

/** `hmmci bisect` as a request: the CLI maps flags to this. */
export interface BisectJobRequest {
  target: BisectTarget;
  tree?: string;
  variant: ConfigVariant;
  runner: Runner;
  jobs: number;
  /** `--test` patterns: what "bad" means (default: what flipped between base and tip). */
  patterns: string[];
  buildFailureIsBad?: boolean;
  cache: CacheLayout;
  reporter: Reporter;
  signal: AbortSignal;
}

export interface BisectJobResult {
  report: BisectReport;
  /** "series title" or "A..B in TREE", for the text report. */
  title: string;
  kind: BisectTarget['kind'];
}

/** A series, or --good with --bad; never both or neither (UsageError naming what to give). */
export function bisectTarget(
  input: string | undefined,
  flags: { good?: string; bad?: string; base?: string },
): BisectTarget {
  const range = flags.good !== undefined || flags.bad !== undefined;
  if (range && (flags.good === undefined || flags.bad === undefined))
    throw new UsageError('Give both --good and --bad to bisect a range of the tree (or a series and neither).');
  if (range && input) throw new UsageError(`Give either a series (${input}) or --good/--bad, not both.`);
  if (range) return { kind: 'range', good: flags.good as string, bad: flags.bad as string };
  if (!input)
    throw new UsageError(
      'Give the series to bisect (an mbox, a folder of patches, A..B or a message-id), or --good A --bad B to bisect a range of the tree.',
    );
  return { kind: 'series', input, ...(flags.base ? { base: flags.base } : {}) };
}

/**
 * The base's results from the BaselineStore (its key needs the config hash at the base, so the
 * slot is configured there), and, once the bisect tested the base itself, saving them the way
 * `hmmci run` would.
 */
class BaseResults {
  private key?: BaselineKey;
  private readonly store: BaselineStore;

  constructor(
    private readonly req: BisectJobRequest,
    private readonly stages: Stages,
    private readonly ctx: StageContext,
    private readonly gcc: string,
  ) {
    this.store = new BaselineStore(req.cache);
  }

  async lookup(worktree: string, buildDir: string, base: string): Promise<CachedEnds> {
    await resetWorktree(worktree, base, this.ctx.signal);
    const config = await this.stages.configure({ srcDir: worktree, buildDir, variant: this.req.variant }, this.ctx);
    // Options that do not land at the base: nothing this bisect could test would be what was asked.
    if (!config.ok) throw new ConfigError(config.message, { logPath: config.logPath, details: config.details });
    this.key = this.store.key({ base, configHash: config.configHash, toolchain: this.gcc, runner: this.req.runner });
    return baseFromBaselineCache(this.req.cache, this.key);
  }

  onTested: NonNullable<SlotBisectOptions['onTested']> = (c, o) => {
    if (c.index !== 0 || o.kind !== 'results' || !this.key || this.key.base !== c.sha) return;
    this.store.save(
      { key: this.key, result: o.result, accel: o.accel ?? '', fromRun: 'bisect', createdAt: new Date().toISOString() },
      { console: o.consoleLogPath },
    );
  };
}

/** `hmmci bisect`: in one slot of hmmci's, every step an incremental build; the ends from earlier work when it has them. */
export async function runBisect(req: BisectJobRequest, stages: Stages): Promise<BisectJobResult> {
  const ctx: StageContext = { cache: req.cache, reporter: req.reporter, signal: req.signal };
  const tree = await stages.resolveTree({ tree: req.tree }, ctx);
  const toolchain = await stages.toolchain(ctx);
  const base = new BaseResults(req, stages, ctx, toolchain.gcc);
  const slotOpts: SlotBisectOptions = {
    tree,
    cache: req.cache,
    configKey: stages.configKey(req.variant),
    patterns: req.patterns,
    buildFailureIsBad: req.buildFailureIsBad,
    pipeline: pipelineFromStages(stages, ctx, { variant: req.variant, runner: req.runner, jobs: req.jobs }),
    reporter: req.reporter,
    signal: req.signal,
    onTested: base.onTested,
  };
  const t = req.target;
  if (t.kind === 'range') {
    const { report } = await bisectRange({
      ...slotOpts,
      good: t.good,
      bad: t.bad,
      lookupEnds: ({ worktree, buildDir, commits }) => base.lookup(worktree, buildDir, commits[0]!.sha),
    });
    return { report, title: `${t.good}..${t.bad} in ${tree.path}`, kind: 'range' };
  }
  return bisectOfSeries(req, stages, ctx, { tree, gcc: toolchain.gcc, slotOpts, base, target: t });
}

async function bisectOfSeries(
  req: BisectJobRequest,
  stages: Stages,
  ctx: StageContext,
  o: {
    tree: KernelTree;
    gcc: string;
    slotOpts: SlotBisectOptions;
    base: BaseResults;
    target: { input: string; base?: string };
  },
): Promise<BisectJobResult> {
  const series = await stages.loadSeries(o.target.input, o.tree, ctx);
  const hash = patchsetHash(series.patchTexts);
  // The same base `hmmci run` picks (base-commit: when the tree has it, else --base, else the
  // tree's baseline), so a prior run's results of the ends match.
  const chosen = await stages.chooseBase({ tree: o.tree, series, option: o.target.base }, ctx);
  req.reporter.info(`bisect: base ${chosen.base.slice(0, 12)} (${chosen.reason})`);
  const { report } = await bisectSeries({
    ...o.slotOpts,
    baseRev: chosen.base,
    apply: (worktree, base) => stages.applySeries({ series, worktree, base }, ctx),
    lookupEnds: async ({ worktree, buildDir, commits }) => {
      const base = commits[0]!.sha;
      const fromRun = endsFromRuns(req.cache, {
        patchsetHash: hash,
        base,
        variant: req.variant,
        runner: req.runner,
        gcc: o.gcc,
      });
      if (fromRun.base && fromRun.tip) return fromRun;
      const fromBaseline = await o.base.lookup(worktree, buildDir, base);
      return {
        base: fromRun.base ?? fromBaseline.base,
        tip: fromRun.tip,
        from: [...fromRun.from, ...fromBaseline.from],
      };
    },
  });
  return { report, title: series.title, kind: 'series' };
}
