import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { interruptSignal } from '../../common/cleanup.js';
import { UsageError } from '../../common/errors.js';
import { formatMs } from '../../common/progress.js';
import { buildKernel } from '../../build/build.js';
import { formatDiagnostic } from '../../build/log-parse.js';
import { configure } from '../../kconfig/configure.js';
import { configIsCurrent } from '../../kconfig/current.js';
import { contextFrom } from '../context.js';
import { addConfigOptions, configSlot, type ConfigFlags } from './config.js';

function intOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`${name} ${JSON.stringify(v)} is not a whole number.`);
  return n;
}

/** `hmmci build`: configure the slot if needed, then an incremental out-of-tree kbuild. */
export function registerBuild(program: Command): void {
  addConfigOptions(
    program
      .command('build')
      .description(
        'Build bzImage and modules out of tree (O=) in the slot of this tree and config, with ccache when installed; configures first when the .config is missing or stale. A second build of an unchanged tree is a no-op.',
      ),
  )
    .option('-j, --jobs <n>', `parallel make jobs (default: CPUs, here ${availableParallelism()})`)
    .option('--nice <n>', 'run make under nice -n <n>')
    .option('--no-ccache', 'do not use ccache even when installed')
    .option(
      '--json',
      'print {ok, ms, logPath, errors, warnings, artifacts, compiled, linked, noop, worktree, buildDir}',
    )
    .action(
      async (opts: ConfigFlags & { jobs?: string; nice?: string; ccache?: boolean; json?: boolean }, cmd: Command) => {
        const ctx = contextFrom(cmd);
        const signal = interruptSignal();
        const jobs = intOption('--jobs', opts.jobs);
        const nice = intOption('--nice', opts.nice);
        const { inputs, slot } = await configSlot(ctx, opts, signal);
        try {
          if (!(await configIsCurrent({ buildDir: slot.buildDir, srcDir: slot.worktree, key: inputs.key }))) {
            await configure({ srcDir: slot.worktree, buildDir: slot.buildDir, inputs, reporter: ctx.reporter, signal });
          }
          const r = await buildKernel({
            srcDir: slot.worktree,
            buildDir: slot.buildDir,
            jobs,
            nice,
            ccache: opts.ccache,
            reporter: ctx.reporter,
            signal,
          });
          if (opts.json) {
            ctx.out(JSON.stringify({ ...r, worktree: slot.worktree, buildDir: slot.buildDir }, null, 2));
          } else {
            const lines = [
              `${r.noop ? 'up to date' : 'built'} in ${formatMs(r.ms)} (${r.compiled} compiled, ${r.linked} linked)`,
              `bzImage: ${r.artifacts.bzImage ?? '(not built)'}`,
              `modules: ${r.artifacts.modules.length ? r.artifacts.modules.join(' ') : '(none)'}`,
              `log: ${r.logPath}`,
            ];
            if (r.warnings.length) {
              lines.push(`${r.warnings.length} warning(s):`);
              for (const w of r.warnings.slice(0, 10)) lines.push(`  ${formatDiagnostic(w)}`);
            }
            ctx.out(lines.join('\n'));
          }
        } finally {
          await slot.release();
        }
      },
    );
}
