import { existsSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { interruptSignal } from '../../common/cleanup.js';
import { BadInputError, UsageError } from '../../common/errors.js';
import { archConfig } from '../../guest/arch/index.js';
import { ExitCode } from '../../common/exit-codes.js';
import { testKernel, type Runner, type TestKernelRequest, type TestKernelResult } from '../../guest/test-kernel.js';
import type { Accel } from '../../guest/arch/types.js';
import { formatResultText } from '../../results/format.js';
import { allPassed } from '../../results/parser.js';
import { resolveTree } from '../../tree/resolve.js';
import { collect, contextFrom, type CliContext } from '../context.js';
import { addOptions, type OptionSpec } from '../option-table.js';
import { resultJson } from './parse.js';
import { addGuestOptions, guestOptionsFrom } from '../guest-options.js';
import { withDefaultShards } from '../../guest/guest-options.js';

interface TestFlags {
  tree?: string;
  runner: string;
  accel?: string;
  coherent: boolean;
  cmdline: string[];
  timeout?: number;
  json?: boolean;
  verbose?: boolean;
  repeat?: number;
  smp?: number;
  memoryPressure?: boolean;
  shards?: string;
}

/** The options of `hmmci test` (the guest options follow them). */
const TEST_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--tree <dir>',
    description: 'kernel source tree hmm-tests is built from (default: <build-dir>/source, else the default tree)',
  },
  { flags: '--runner <runner>', description: 'qemu (default) or vng (virtme-ng, when installed)', default: 'qemu' },
  {
    flags: '--accel <accel>',
    description: 'force kvm or tcg (default: KVM when it works on this machine, remembered in machine.json)',
  },
  {
    flags: '--no-coherent',
    description: 'do not reserve device-coherent memory (the 29 device_coherent cases then skip)',
  },
  {
    flags: '--cmdline <param>',
    description: 'extra kernel parameter, repeatable (e.g. oops=panic)',
    parse: collect,
    default: [],
  },
  { flags: '--timeout <seconds>', description: 'whole-run watchdog', parse: (v) => Number(v) },
  {
    flags: '--json',
    description:
      'print {tests, counts, events, diagnostics, session, consoleLogPath, accel, runner, ms, coherent, cmdline, timings}',
  },
  { flags: '-v, --verbose', description: 'show the output lines of each test that did not pass' },
];

/** The flags' own checks: runner, accel and timeout values. */
export function checkTestFlags(opts: Pick<TestFlags, 'runner' | 'accel' | 'timeout'>): void {
  if (opts.runner !== 'qemu' && opts.runner !== 'vng')
    throw new UsageError(`--runner must be qemu or vng, not "${opts.runner}".`);
  if (opts.accel !== undefined && opts.accel !== 'kvm' && opts.accel !== 'tcg')
    throw new UsageError(`--accel must be kvm or tcg, not "${opts.accel}".`);
  if (opts.timeout !== undefined && !(opts.timeout > 0))
    throw new UsageError('--timeout takes a number of seconds greater than 0.');
}

/** The build directory argument, absolute, once it holds a kernel image. */
function kernelBuildDir(buildDirArg: string): string {
  const buildDir = resolve(buildDirArg);
  const image = join(buildDir, archConfig().kernelImage);
  if (!existsSync(image)) {
    throw new BadInputError(
      `${buildDir} is not a kernel build directory: it has no ${archConfig().kernelImage}. Give the O= directory of a build (\`hmmci build\` prints it), built with CONFIG_TEST_HMM=m and the bzImage and modules targets.`,
    );
  }
  return buildDir;
}

/** The tree hmm-tests is built from: --tree, else the build's `source` link, else the default tree. */
async function sourceTree(ctx: CliContext, buildDir: string, tree: string | undefined, signal: AbortSignal) {
  if (tree) return (await resolveTree({ tree, cache: ctx.cache, reporter: ctx.reporter, signal })).path;
  if (existsSync(join(buildDir, 'source'))) return realpathSync(join(buildDir, 'source'));
  return (await resolveTree({ cache: ctx.cache, reporter: ctx.reporter, signal })).path;
}

/** The test flags as a request. */
export function testRequest(
  ctx: CliContext,
  where: { srcDir: string; buildDir: string },
  opts: TestFlags,
  signal: AbortSignal,
): TestKernelRequest {
  return {
    srcDir: where.srcDir,
    buildDir: where.buildDir,
    runner: opts.runner as Runner,
    accel: opts.accel as Accel | undefined,
    coherent: opts.coherent,
    extraCmdline: opts.cmdline,
    cache: ctx.cache,
    reporter: ctx.reporter,
    signal,
    ...(opts.timeout ? { timeouts: { runMs: opts.timeout * 1000 } } : {}),
    ...withDefaultShards(guestOptionsFrom(opts), opts.runner as Runner),
  };
}

function printResult(ctx: CliContext, r: TestKernelResult, opts: TestFlags): void {
  if (opts.json) {
    const { result, ...rest } = r;
    ctx.out(JSON.stringify({ ...resultJson(result), ...rest }, null, 2));
  } else {
    ctx.out(formatResultText(r.result, { verbose: opts.verbose }));
    ctx.out(
      `runner ${r.runner}, accel ${r.accel} (${r.accelReason}), ${(r.ms / 1000).toFixed(1)} s; coherent memory: ${r.coherent.description}`,
    );
  }
  ctx.reporter.info(`console log: ${r.consoleLogPath}`);
}

/** `hmmci test <build-dir> [--tree DIR] [--runner qemu|vng] [--json]`: boot + hmm-tests + parse. */
export function registerTest(program: Command): void {
  const cmd = program
    .command('test')
    .summary('boot a build directory, run all 58 hmm-tests cases, parse the results')
    .description(
      "Boot the kernel of a build directory in QEMU (or virtme-ng), run all 58 hmm-tests cases with test_hmm loaded and device-coherent memory reserved, and parse the results. hmm-tests is compiled from the kernel tree (the build directory's `source` link, or --tree). The console log is always saved and its path printed. Exit 0 when every test passed or was skipped, 1 otherwise, 11 when the guest never ran the tests.",
    )
    .argument('<build-dir>', 'kbuild output directory (O=) with arch/x86/boot/bzImage and lib/test_hmm.ko');
  addGuestOptions(addOptions(cmd, TEST_OPTIONS)).action(async (buildDirArg: string, opts: TestFlags, cmd: Command) => {
    const ctx = contextFrom(cmd);
    const signal = interruptSignal();
    checkTestFlags(opts);
    const buildDir = kernelBuildDir(buildDirArg);
    const srcDir = await sourceTree(ctx, buildDir, opts.tree, signal);
    const r = await testKernel(testRequest(ctx, { srcDir, buildDir }, opts, signal));
    printResult(ctx, r, opts);
    // --repeat: a test that failed any of its runs fails the command (its status is the worst run's).
    process.exitCode = allPassed(r.result) ? ExitCode.OK : ExitCode.TESTS_FAILED;
  });
}
