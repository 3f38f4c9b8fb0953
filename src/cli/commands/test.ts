import { existsSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { interruptSignal } from '../../common/cleanup.js';
import { BadInputError, UsageError } from '../../common/errors.js';
import { archConfig } from '../../guest/arch/index.js';
import { ExitCode } from '../../common/exit-codes.js';
import { testKernel, type Runner } from '../../guest/test-kernel.js';
import type { Accel } from '../../guest/arch/types.js';
import { formatResultText } from '../../results/format.js';
import { allPassed } from '../../results/parser.js';
import { resolveTree } from '../../tree/resolve.js';
import { collect, contextFrom } from '../context.js';
import { resultJson } from './parse.js';
import { addGuestOptions, guestOptionsFrom } from '../guest-options.js';

/** `hmmci test <build-dir> [--tree DIR] [--runner qemu|vng] [--json]`: boot + hmm-tests + parse. */
export function registerTest(program: Command): void {
  const cmd = program
    .command('test')
    .summary('boot a build directory, run all 58 hmm-tests cases, parse the results')
    .description(
      "Boot the kernel of a build directory in QEMU (or virtme-ng), run all 58 hmm-tests cases with test_hmm loaded and device-coherent memory reserved, and parse the results. hmm-tests is compiled from the kernel tree (the build directory's `source` link, or --tree). The console log is always saved and its path printed. Exit 0 when every test passed or was skipped, 1 otherwise, 11 when the guest never ran the tests.",
    )
    .argument('<build-dir>', 'kbuild output directory (O=) with arch/x86/boot/bzImage and lib/test_hmm.ko')
    .option(
      '--tree <dir>',
      'kernel source tree hmm-tests is built from (default: <build-dir>/source, else the default tree)',
    )
    .option('--runner <runner>', 'qemu (default) or vng (virtme-ng, when installed)', 'qemu')
    .option(
      '--accel <accel>',
      'force kvm or tcg (default: KVM when it works on this machine, remembered in machine.json)',
    )
    .option('--no-coherent', 'do not reserve device-coherent memory (the 29 device_coherent cases then skip)')
    .option('--cmdline <param>', 'extra kernel parameter, repeatable (e.g. oops=panic)', collect, [])
    .option('--timeout <seconds>', 'whole-run watchdog', (v) => Number(v))
    .option(
      '--json',
      'print {tests, counts, events, diagnostics, session, consoleLogPath, accel, runner, ms, coherent, cmdline, timings}',
    )
    .option('-v, --verbose', 'show the output lines of each test that did not pass');
  addGuestOptions(cmd).action(
    async (
      buildDirArg: string,
      opts: {
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
      },
      cmd: Command,
    ) => {
      const ctx = contextFrom(cmd);
      const signal = interruptSignal();
      if (opts.runner !== 'qemu' && opts.runner !== 'vng')
        throw new UsageError(`--runner must be qemu or vng, not "${opts.runner}".`);
      if (opts.accel !== undefined && opts.accel !== 'kvm' && opts.accel !== 'tcg')
        throw new UsageError(`--accel must be kvm or tcg, not "${opts.accel}".`);
      if (opts.timeout !== undefined && !(opts.timeout > 0))
        throw new UsageError('--timeout takes a number of seconds greater than 0.');
      const buildDir = resolve(buildDirArg);
      const image = join(buildDir, archConfig().kernelImage);
      if (!existsSync(image)) {
        throw new BadInputError(
          `${buildDir} is not a kernel build directory: it has no ${archConfig().kernelImage}. Give the O= directory of a build (\`hmmci build\` prints it), built with CONFIG_TEST_HMM=m and the bzImage and modules targets.`,
        );
      }
      let srcDir: string;
      if (opts.tree)
        srcDir = (await resolveTree({ tree: opts.tree, cache: ctx.cache, reporter: ctx.reporter, signal })).path;
      else if (existsSync(join(buildDir, 'source'))) srcDir = realpathSync(join(buildDir, 'source'));
      else srcDir = (await resolveTree({ cache: ctx.cache, reporter: ctx.reporter, signal })).path;
      const r = await testKernel({
        srcDir,
        buildDir,
        runner: opts.runner as Runner,
        accel: opts.accel as Accel | undefined,
        coherent: opts.coherent,
        extraCmdline: opts.cmdline,
        cache: ctx.cache,
        reporter: ctx.reporter,
        signal,
        ...(opts.timeout ? { timeouts: { runMs: opts.timeout * 1000 } } : {}),
        ...guestOptionsFrom(opts),
      });
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
      // --repeat: a test that failed any of its runs fails the command (its status is the worst run's).
      process.exitCode = allPassed(r.result) ? ExitCode.OK : ExitCode.TESTS_FAILED;
    },
  );
}
