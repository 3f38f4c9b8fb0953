import type { Command } from 'commander';
import { ExitCode } from '../../common/exit-codes.js';
import { renderDoctor, runDoctor, systemProbe } from '../../doctor/doctor.js';
import { contextFrom } from '../context.js';

/** `hmmci doctor`: what is missing and the one command that installs it (exit 8 if required). */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check the tools, headers, kernel tarball, Node.js and disk space hmmci needs; print what is missing and the apt-get command that installs it (exit 8 when something required is missing)',
    )
    .option(
      '--json',
      'print {checks: [{name, ok, required, pkg, detail}], missingPackages, missingRequired, installCommand, ok}',
    )
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const r = runDoctor(systemProbe(ctx.cache.root));
      ctx.out(opts.json ? JSON.stringify(r, null, 2) : renderDoctor(r));
      if (!r.ok) process.exitCode = ExitCode.MISSING_TOOL;
    });
}
