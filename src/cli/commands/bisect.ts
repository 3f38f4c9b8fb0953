import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { interruptSignal } from '../../common/cleanup.js';
import { formatError, isHmmciError } from '../../common/errors.js';
import { ExitCode } from '../../common/exit-codes.js';
import { bisectTarget, runBisect, type BisectTarget } from '../../bisect/bisect-job.js';
import { renderJson, renderText } from '../../bisect/render.js';
import { renderStep, runBisectStep } from '../../bisect/step-job.js';
import { UsageError } from '../../common/errors.js';
import { runnerFragments } from '../../guest/vng-config.js';
import { fleetBisect } from '../../fleet/submit-bisect.js';
import { DEFAULT_FRAGMENTS, realStages } from '../../stages/real-stages.js';
import type { ConfigVariant } from '../../stages/types.js';
import { collect, contextFrom, wholeNumber, type CliContext } from '../context.js';
import { addOptions, type OptionSpec } from '../option-table.js';
import { WAIT_WORKERS_OPTION } from '../fleet-options.js';

interface CommonFlags {
  test: string[];
  kconfig: string[];
  config: string[];
  runner: 'qemu' | 'vng';
  jobs?: number;
  json?: boolean;
  buildFailureIsBad?: boolean;
}

/** The options `bisect` and `bisect-step` share (after each command's own). */
const COMMON_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--test <name>',
    description:
      'what "bad" means: this test fails, crashes or times out (repeatable; globs; a tail like anon_read matches every variant)',
    parse: collect,
    default: [],
  },
  { flags: '--kconfig <fragment>', description: 'extra config fragment (repeatable)', parse: collect, default: [] },
  { flags: '--config <CONFIG_X=y>', description: 'extra config option (repeatable)', parse: collect, default: [] },
  { flags: '--runner <runner>', description: 'how the kernel is booted', choices: ['qemu', 'vng'], default: 'qemu' },
  {
    flags: '--jobs <n>',
    description: 'make -j for builds (default: the number of CPUs)',
    parse: wholeNumber('--jobs', 1),
  },
  {
    flags: '--build-failure-is-bad',
    description: 'a commit that does not build is bad (default: skipped, like exit 125)',
  },
  { flags: '--json', description: 'print JSON on stdout (progress stays on stderr)' },
];

/** The options of `hmmci bisect`. */
const BISECT_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--good <rev>',
    description: 'a commit where the tests are fine (with --bad: bisect that range of the tree instead of a series)',
  },
  { flags: '--bad <rev>', description: 'a later commit where they are broken' },
  {
    flags: '--tree <dir>',
    description: 'kernel git checkout to use (never modified: hmmci bisects in its own worktree)',
  },
  {
    flags: '--base <rev>',
    description: 'base revision when the series does not name one (default: the tree baseline)',
  },
  {
    flags: '--fleet <url>',
    description: 'run the bisect as a step job on the fleet behind this Redis (redis://HOST:PORT); series only',
  },
  {
    flags: '--store <dir|url>',
    description: 'with --fleet: the artifact store every worker reaches (default $HMMCI_STORE or <cache>/fleet/store)',
  },
  WAIT_WORKERS_OPTION,
];

/** The options of `hmmci bisect-step`. */
const STEP_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--baseline <run|file>',
    description:
      'what "good" looked like: a past run (id, "last") whose baseline results to compare with, or a results JSON file (`hmmci parse --json`)',
  },
  { flags: '-C, --dir <dir>', description: 'the kernel checkout to test (default: the current directory)' },
];

type BisectFlags = CommonFlags & {
  good?: string;
  bad?: string;
  tree?: string;
  base?: string;
  fleet?: string;
  store?: string;
  waitWorkers: number;
};

/** The flags both commands share, as request fields. */
function commonRequest(ctx: CliContext, opts: CommonFlags) {
  return {
    variant: flagsVariant(opts),
    runner: opts.runner,
    jobs: opts.jobs ?? availableParallelism(),
    patterns: opts.test,
    buildFailureIsBad: opts.buildFailureIsBad,
    cache: ctx.cache,
    reporter: ctx.reporter,
    signal: interruptSignal(),
  };
}

/** The config variant of the flags: the default fragments, the runner's, then --kconfig and --config. */
function flagsVariant(opts: CommonFlags): ConfigVariant {
  return {
    fragments: [...DEFAULT_FRAGMENTS, ...runnerFragments(opts.runner), ...opts.kconfig],
    extra: opts.config,
  };
}

/** `bisect --fleet`: the flags as a fleet bisect request (a series only). */
function fleetBisectRequest(ctx: CliContext, target: BisectTarget, opts: BisectFlags & { fleet: string }) {
  if (target.kind !== 'series')
    throw new UsageError(
      '--fleet bisects a series; bisect a --good/--bad range of the tree on this machine (without --fleet).',
    );
  return {
    url: opts.fleet,
    store: opts.store,
    waitWorkersMs: opts.waitWorkers * 1000,
    cache: ctx.cache,
    local: realStages(),
    input: target.input,
    tree: opts.tree,
    base: opts.base,
    variant: flagsVariant(opts),
    runner: opts.runner,
    patterns: opts.test,
    buildFailureIsBad: Boolean(opts.buildFailureIsBad),
    reporter: ctx.reporter,
    signal: interruptSignal(),
  };
}

async function bisectAction(input: string | undefined, opts: BisectFlags, cmd: Command): Promise<void> {
  const ctx = contextFrom(cmd);
  const target = bisectTarget(input, opts);
  if (opts.fleet) {
    const { report, title } = await fleetBisect(fleetBisectRequest(ctx, target, { ...opts, fleet: opts.fleet }));
    ctx.out(opts.json ? renderJson(report) : renderText(report, { kind: 'series', title }));
    process.exitCode = ExitCode.OK;
    return;
  }
  const { report, title, kind } = await runBisect(
    { ...commonRequest(ctx, opts), target, tree: opts.tree },
    realStages(),
  );
  ctx.out(opts.json ? renderJson(report) : renderText(report, { kind, title }));
  process.exitCode = ExitCode.OK;
}

async function bisectStepAction(opts: CommonFlags & { baseline?: string; dir?: string }, cmd: Command): Promise<void> {
  const ctx = contextFrom(cmd);
  try {
    const r = await runBisectStep(
      { ...commonRequest(ctx, opts), dir: opts.dir ?? process.cwd(), baseline: opts.baseline },
      realStages(),
    );
    ctx.out(renderStep(r, Boolean(opts.json)));
    process.exitCode = r.verdict.exitCode;
  } catch (err) {
    // git bisect run reads 1..127 (but 125) as "bad": hmmci's own failures must not look like a
    // verdict, so they exit 128 + status, which makes git bisect stop.
    if (!isHmmciError(err)) throw err;
    process.stderr.write(`${formatError(err)}\n`);
    process.exitCode = err.exitCode >= 128 ? err.exitCode : 128 + err.exitCode;
  }
}

/** `hmmci bisect` and `hmmci bisect-step`. */
export function registerBisect(program: Command): void {
  const bisect = program
    .command('bisect')
    .description(
      "Find the first bad patch of a series (or the first bad commit of --good..--bad): binary search, one incremental build per step, in a worktree of hmmci's.",
    )
    .argument('[series]', 'mbox file, folder of .patch/.eml, A..B range of the tree, or a message-id');
  addOptions(addOptions(bisect, BISECT_OPTIONS), COMMON_OPTIONS).action(bisectAction);

  const step = program
    .command('bisect-step')
    .description(
      'For `git bisect run hmmci bisect-step --test NAME`: build and test the commit checked out in the current directory; exit 0 good, 1 bad, 125 skip (does not build), 128+N when hmmci itself failed with status N (git bisect stops).',
    );
  addOptions(addOptions(step, STEP_OPTIONS), COMMON_OPTIONS).action(bisectStepAction);
}
