import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { interruptSignal } from '../../common/cleanup.js';
import { BadInputError, formatError, isHmmciError, UsageError } from '../../common/errors.js';
import { ExitCode } from '../../common/exit-codes.js';
import type { TestRunResult } from '../../results/types.js';
import { baseFromBaselineCache, baselinesOf, endsFromRuns } from '../../bisect/cached-ends.js';
import { bisectRange, bisectSeries, type SlotBisectOptions } from '../../bisect/in-slot.js';
import { renderJson, renderText } from '../../bisect/render.js';
import { pipelineFromStages } from '../../bisect/stages-pipeline.js';
import { stepVerdict } from '../../bisect/step.js';
import { buildFailure, commitOutcome } from '../../bisect/slot-tester.js';
import { BaselineStore, patchsetHash, readRecord, resolveRunRef, type BaselineKey, type ConfigVariant, type StageContext } from '../../run/index.js';
import { DEFAULT_FRAGMENTS, realStages } from '../../stages/real-stages.js';
import { git } from '../../tree/git.js';
import { adoptUserTree } from '../../tree/resolve.js';
import { resetWorktree } from '../../tree/slots.js';
import { fleetBisect } from '../../fleet/submit-bisect.js';
import { ConfigError } from '../../kconfig/errors.js';
import { collect, contextFrom, wholeNumber } from '../context.js';

interface CommonFlags {
  test: string[];
  kconfig: string[];
  config: string[];
  runner: 'qemu' | 'vng';
  jobs?: number;
  json?: boolean;
  buildFailureIsBad?: boolean;
}

function common(cmd: Command): Command {
  return cmd
    .option('--test <name>', 'what "bad" means: this test fails, crashes or times out (repeatable; globs; a tail like anon_read matches every variant)', collect, [])
    .option('--kconfig <fragment>', 'extra config fragment (repeatable)', collect, [])
    .option('--config <CONFIG_X=y>', 'extra config option (repeatable)', collect, [])
    .addOption(new Option('--runner <runner>', 'how the kernel is booted').choices(['qemu', 'vng']).default('qemu'))
    .option('--jobs <n>', 'make -j for builds (default: the number of CPUs)', wholeNumber('--jobs', 1))
    .option('--build-failure-is-bad', 'a commit that does not build is bad (default: skipped, like exit 125)')
    .option('--json', 'print JSON on stdout (progress stays on stderr)');
}

export function registerBisect(program: Command): void {
  common(
    program
      .command('bisect')
      .description('Find the first bad patch of a series (or the first bad commit of --good..--bad): binary search, one incremental build per step, in a worktree of hmmci\'s.')
      .argument('[series]', 'mbox file, folder of .patch/.eml, A..B range of the tree, or a message-id')
      .option('--good <rev>', 'a commit where the tests are fine (with --bad: bisect that range of the tree instead of a series)')
      .option('--bad <rev>', 'a later commit where they are broken')
      .option('--tree <dir>', 'kernel git checkout to use (never modified: hmmci bisects in its own worktree)')
      .option('--base <rev>', 'base revision when the series does not name one (default: the tree baseline)')
      .option('--fleet <url>', "run the bisect as a step job on the fleet behind this Redis (redis://HOST:PORT); series only")
      .option('--store <dir|url>', 'with --fleet: the artifact store every worker reaches (default $HMMCI_STORE or <cache>/fleet/store)'),
  ).action(async (input: string | undefined, opts: CommonFlags & { good?: string; bad?: string; tree?: string; base?: string; fleet?: string; store?: string }, cmd: Command) => {
    const ctx = contextFrom(cmd);
    const range = opts.good !== undefined || opts.bad !== undefined;
    if (range && (opts.good === undefined || opts.bad === undefined)) throw new UsageError('Give both --good and --bad to bisect a range of the tree (or a series and neither).');
    if (range && input) throw new UsageError(`Give either a series (${input}) or --good/--bad, not both.`);
    if (!range && !input) throw new UsageError('Give the series to bisect (an mbox, a folder of patches, A..B or a message-id), or --good A --bad B to bisect a range of the tree.');
    if (opts.fleet) {
      if (range) throw new UsageError('--fleet bisects a series; bisect a --good/--bad range of the tree on this machine (without --fleet).');
      const { report, title } = await fleetBisect({
        url: opts.fleet, store: opts.store, cache: ctx.cache, local: realStages(), input: input!, tree: opts.tree, base: opts.base,
        variant: { fragments: [...DEFAULT_FRAGMENTS, ...opts.kconfig], extra: opts.config }, runner: opts.runner, patterns: opts.test,
        buildFailureIsBad: Boolean(opts.buildFailureIsBad), reporter: ctx.reporter, signal: interruptSignal(),
      });
      ctx.out(opts.json ? renderJson(report) : renderText(report, { kind: 'series', title }));
      process.exitCode = ExitCode.OK;
      return;
    }
    const stages = realStages();
    const stageCtx: StageContext = { cache: ctx.cache, reporter: ctx.reporter, signal: interruptSignal() };
    const tree = await stages.resolveTree({ tree: opts.tree }, stageCtx);
    const variant: ConfigVariant = { fragments: [...DEFAULT_FRAGMENTS, ...opts.kconfig], extra: opts.config };
    const toolchain = await stages.toolchain(stageCtx);
    const pipeline = pipelineFromStages(stages, stageCtx, { variant, runner: opts.runner, jobs: opts.jobs ?? availableParallelism() });
    const slotOpts: SlotBisectOptions = {
      tree,
      cache: ctx.cache,
      configKey: stages.configKey(variant),
      pipeline,
      patterns: opts.test,
      buildFailureIsBad: opts.buildFailureIsBad,
      reporter: ctx.reporter,
      signal: stageCtx.signal,
    };
    /** The base's results from the baseline cache: needs the config hash at the base. */
    const store = new BaselineStore(ctx.cache);
    let baseKey: BaselineKey | undefined;
    const baseFromCache = async (worktree: string, buildDir: string, base: string) => {
      await resetWorktree(worktree, base, stageCtx.signal);
      const config = await stages.configure({ srcDir: worktree, buildDir, variant }, stageCtx);
      // Options that do not land at the base: nothing this bisect could test would be what was asked.
      if (!config.ok) throw new ConfigError(config.message, { logPath: config.logPath, details: config.details });
      baseKey = store.key({ base, configHash: config.configHash, toolchain: toolchain.gcc, runner: opts.runner });
      return baseFromBaselineCache(ctx.cache, baseKey);
    };
    // A base this bisect had to test goes into the baseline cache, as `hmmci run` would store it.
    slotOpts.onTested = (c, o) => {
      if (c.index !== 0 || o.kind !== 'results' || !baseKey || baseKey.base !== c.sha) return;
      store.save({ key: baseKey, result: o.result, accel: o.accel ?? '', fromRun: 'bisect', createdAt: new Date().toISOString() }, { console: o.consoleLogPath });
    };
    let title: string;
    let result;
    if (range) {
      title = `${opts.good}..${opts.bad} in ${tree.path}`;
      result = await bisectRange({
        ...slotOpts,
        good: opts.good!,
        bad: opts.bad!,
        lookupEnds: ({ worktree, buildDir, commits }) => baseFromCache(worktree, buildDir, commits[0]!.sha),
      });
    } else {
      const series = await stages.loadSeries(input!, tree, stageCtx);
      title = series.title;
      const hash = patchsetHash(series.patchTexts);
      // The same base `hmmci run` picks (base-commit: when the tree has it, else --base, else the
      // tree's baseline), so a prior run's results of the ends match.
      const chosen = await stages.chooseBase({ tree, series, option: opts.base }, stageCtx);
      ctx.reporter.info(`bisect: base ${chosen.base.slice(0, 12)} (${chosen.reason})`);
      result = await bisectSeries({
        ...slotOpts,
        baseRev: chosen.base,
        apply: (worktree, base) => stages.applySeries({ series, worktree, base }, stageCtx),
        lookupEnds: async ({ worktree, buildDir, commits }) => {
          const base = commits[0]!.sha;
          const fromRun = endsFromRuns(ctx.cache, { patchsetHash: hash, base, variant, runner: opts.runner, gcc: toolchain.gcc });
          if (fromRun.base && fromRun.tip) return fromRun;
          const fromBaseline = await baseFromCache(worktree, buildDir, base);
          return { base: fromRun.base ?? fromBaseline.base, tip: fromRun.tip, from: [...fromRun.from, ...fromBaseline.from] };
        },
      });
    }
    const { report } = result;
    ctx.out(opts.json ? renderJson(report) : renderText(report, { kind: range ? 'range' : 'series', title }));
    process.exitCode = ExitCode.OK;
  });

  common(
    program
      .command('bisect-step')
      .description('For `git bisect run hmmci bisect-step --test NAME`: build and test the commit checked out in the current directory; exit 0 good, 1 bad, 125 skip (does not build), 128+N when hmmci itself failed with status N (git bisect stops).')
      .option('--baseline <run|file>', 'what "good" looked like: a past run (id, "last") whose baseline results to compare with, or a results JSON file (`hmmci parse --json`)')
      .option('-C, --dir <dir>', 'the kernel checkout to test (default: the current directory)'),
  ).action(async (opts: CommonFlags & { baseline?: string; dir?: string }, cmd: Command) => {
    const ctx = contextFrom(cmd);
    try {
      let baseline = opts.baseline ? loadBaseline(ctx.cache, opts.baseline) : undefined;
      const tree = await adoptUserTree(opts.dir ?? process.cwd());
      const sha = tree.baseline;
      const stages = realStages();
      const stageCtx: StageContext = { cache: ctx.cache, reporter: ctx.reporter, signal: interruptSignal() };
      if (opts.test.length === 0 && !baseline) {
        // Derived from a stored baseline: the results hmmci keeps (baseline cache) of a commit
        // this `git bisect` has marked good.
        const goods = (await git(tree.path, ['for-each-ref', '--format=%(objectname)', 'refs/bisect/'])).split('\n').filter(Boolean);
        const toolchain = await stages.toolchain(stageCtx);
        const stored = baselinesOf(ctx.cache, goods, { runner: opts.runner, toolchain: toolchain.gcc })[0];
        if (!stored) {
          throw new UsageError(`Say what "bad" means: --test NAME (a test that must not fail; repeatable, globs allowed) or --baseline RUN|FILE (results of a good kernel: any test that passed there and fails now is bad). Without them, bisect-step uses hmmci's stored results of a commit \`git bisect\` has marked good, and there are none${goods.length ? ` for ${goods.map((g) => g.slice(0, 12)).join(', ')}` : ' (no git bisect in progress here)'}. Example: git bisect run hmmci bisect-step --test hmm2.hmm2_device_coherent.snapshot`);
        }
        ctx.reporter.info(`bisect-step: bad = a test that passed at ${stored.key.base.slice(0, 12)} (stored by ${stored.fromRun}) fails now`);
        baseline = stored.result;
      }
      const variant: ConfigVariant = { fragments: [...DEFAULT_FRAGMENTS, ...opts.kconfig], extra: opts.config };
      // Out-of-tree build in our cache, one per (checkout, config): steps of one git bisect are
      // incremental builds; the checkout gets no build output.
      const buildDir = join(ctx.cache.builds, `step-${tree.id}-${stages.configKey(variant)}`);
      const pipeline = pipelineFromStages(stages, stageCtx, { variant, runner: opts.runner, jobs: opts.jobs ?? availableParallelism() });
      const started = Date.now();
      const stage = ctx.reporter.stage('bisect-step', sha.slice(0, 12));
      const b = await pipeline.build({ srcDir: tree.path, buildDir, reconfigure: true });
      const outcome = b.ok ? commitOutcome(await pipeline.boot({ srcDir: tree.path, buildDir }), Date.now() - started, true) : buildFailure(b, Date.now() - started, true);
      const v = stepVerdict({ patterns: opts.test, baseline }, outcome, { buildFailureIsBad: opts.buildFailureIsBad });
      stage.done(`${v.verdict}${v.reason ? ` (${v.reason})` : ''}`);
      const line = `${sha.slice(0, 12)} ${v.verdict}${v.bad.length ? `: ${v.bad.join(', ')}` : v.reason ? `: ${v.reason}` : ''}`;
      ctx.out(opts.json ? JSON.stringify({ sha, verdict: v.verdict, exitCode: v.exitCode, bad: v.bad, missing: v.missing, reason: v.reason ?? null, targets: v.targets, ms: Date.now() - started }) : line);
      process.exitCode = v.exitCode;
    } catch (err) {
      // git bisect run reads 1..127 (but 125) as "bad": hmmci's own failures must not look like a
      // verdict, so they exit 128 + status, which makes git bisect stop.
      if (!isHmmciError(err)) throw err;
      process.stderr.write(`${formatError(err)}\n`);
      process.exitCode = err.exitCode >= 128 ? err.exitCode : 128 + err.exitCode;
    }
  });
}

/** `--baseline`: a run reference (its baseline results) or a results JSON file. */
function loadBaseline(cache: Parameters<typeof resolveRunRef>[0], ref: string): TestRunResult {
  const path = resolve(ref);
  if (existsSync(path) && statSync(path).isFile()) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new BadInputError(`--baseline ${ref} is not JSON (${(err as Error).message}). Give a results file as \`hmmci parse --json\` writes it, or a run id.`);
    }
    const d = doc as { tests?: unknown; baseline?: { tests?: unknown } };
    const result = Array.isArray(d.tests) ? d : d.baseline && Array.isArray(d.baseline.tests) ? d.baseline : undefined;
    if (!result) throw new BadInputError(`--baseline ${ref} has no "tests" list: give a results file as \`hmmci parse --json\` writes it, or a run's record.json.`);
    return result as TestRunResult;
  }
  const record = readRecord(resolveRunRef(cache, ref));
  if (!record.baseline) throw new BadInputError(`Run ${record.id} has no baseline results (it stopped before the baseline ran). Give another run or a results file.`);
  return record.baseline;
}
