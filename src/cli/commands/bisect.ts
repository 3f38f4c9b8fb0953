import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { interruptSignal } from '../../common/cleanup.js';
import { formatError, isHmmciError } from '../../common/errors.js';
import { ExitCode } from '../../common/exit-codes.js';
import { bisectTarget, runBisect } from '../../bisect/bisect-job.js';
import { renderJson, renderText } from '../../bisect/render.js';
import { renderStep, runBisectStep } from '../../bisect/step-job.js';
import { UsageError } from '../../common/errors.js';
import { runnerFragments } from '../../guest/vng-config.js';
import { fleetBisect } from '../../fleet/submit-bisect.js';
import { DEFAULT_FRAGMENTS, realStages } from '../../stages/real-stages.js';
import type { ConfigVariant } from '../../stages/types.js';
import { collect, contextFrom, wholeNumber, type CliContext } from '../context.js';

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
    .option(
      '--test <name>',
      'what "bad" means: this test fails, crashes or times out (repeatable; globs; a tail like anon_read matches every variant)',
      collect,
      [],
    )
    .option('--kconfig <fragment>', 'extra config fragment (repeatable)', collect, [])
    .option('--config <CONFIG_X=y>', 'extra config option (repeatable)', collect, [])
    .addOption(new Option('--runner <runner>', 'how the kernel is booted').choices(['qemu', 'vng']).default('qemu'))
    .option('--jobs <n>', 'make -j for builds (default: the number of CPUs)', wholeNumber('--jobs', 1))
    .option('--build-failure-is-bad', 'a commit that does not build is bad (default: skipped, like exit 125)')
    .option('--json', 'print JSON on stdout (progress stays on stderr)');
}

/** The flags both commands share, as request fields. */
function commonRequest(ctx: CliContext, opts: CommonFlags) {
  const variant: ConfigVariant = {
    fragments: [...DEFAULT_FRAGMENTS, ...runnerFragments(opts.runner), ...opts.kconfig],
    extra: opts.config,
  };
  return {
    variant,
    runner: opts.runner,
    jobs: opts.jobs ?? availableParallelism(),
    patterns: opts.test,
    buildFailureIsBad: opts.buildFailureIsBad,
    cache: ctx.cache,
    reporter: ctx.reporter,
    signal: interruptSignal(),
  };
}

export function registerBisect(program: Command): void {
  common(
    program
      .command('bisect')
      .description(
        "Find the first bad patch of a series (or the first bad commit of --good..--bad): binary search, one incremental build per step, in a worktree of hmmci's.",
      )
      .argument('[series]', 'mbox file, folder of .patch/.eml, A..B range of the tree, or a message-id')
      .option(
        '--good <rev>',
        'a commit where the tests are fine (with --bad: bisect that range of the tree instead of a series)',
      )
      .option('--bad <rev>', 'a later commit where they are broken')
      .option('--tree <dir>', 'kernel git checkout to use (never modified: hmmci bisects in its own worktree)')
      .option('--base <rev>', 'base revision when the series does not name one (default: the tree baseline)')
      .option(
        '--fleet <url>',
        'run the bisect as a step job on the fleet behind this Redis (redis://HOST:PORT); series only',
      )
      .option(
        '--store <dir|url>',
        'with --fleet: the artifact store every worker reaches (default $HMMCI_STORE or <cache>/fleet/store)',
      ),
  ).action(
    async (
      input: string | undefined,
      opts: CommonFlags & { good?: string; bad?: string; tree?: string; base?: string; fleet?: string; store?: string },
      cmd: Command,
    ) => {
      const ctx = contextFrom(cmd);
      const target = bisectTarget(input, opts);
      if (opts.fleet) {
        if (target.kind !== 'series')
          throw new UsageError(
            '--fleet bisects a series; bisect a --good/--bad range of the tree on this machine (without --fleet).',
          );
        const { report, title } = await fleetBisect({
          url: opts.fleet,
          store: opts.store,
          cache: ctx.cache,
          local: realStages(),
          input: target.input,
          tree: opts.tree,
          base: opts.base,
          variant: {
            fragments: [...DEFAULT_FRAGMENTS, ...runnerFragments(opts.runner), ...opts.kconfig],
            extra: opts.config,
          },
          runner: opts.runner,
          patterns: opts.test,
          buildFailureIsBad: Boolean(opts.buildFailureIsBad),
          reporter: ctx.reporter,
          signal: interruptSignal(),
        });
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
    },
  );

  common(
    program
      .command('bisect-step')
      .description(
        'For `git bisect run hmmci bisect-step --test NAME`: build and test the commit checked out in the current directory; exit 0 good, 1 bad, 125 skip (does not build), 128+N when hmmci itself failed with status N (git bisect stops).',
      )
      .option(
        '--baseline <run|file>',
        'what "good" looked like: a past run (id, "last") whose baseline results to compare with, or a results JSON file (`hmmci parse --json`)',
      )
      .option('-C, --dir <dir>', 'the kernel checkout to test (default: the current directory)'),
  ).action(async (opts: CommonFlags & { baseline?: string; dir?: string }, cmd: Command) => {
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
  });
}
