import { Command, CommanderError } from 'commander';
import { formatError, isHmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { installSignalHandlers, runCleanup } from '../common/cleanup.js';
import type { RegisterCommand } from './context.js';
import { commandModules, commandsFor } from './commands/index.js';

/** The program with the given commands registered (default: all of them). */
export async function buildProgram(commands?: readonly RegisterCommand[]): Promise<Command> {
  const registers = commands ?? (await Promise.all(commandModules.map((m) => m.load())));
  const program = new Command('hmmci')
    .description(
      'Test Linux kernel patch series that touch HMM (mm/hmm.c, mm/migrate_device.c, lib/test_hmm.c) in QEMU.\nEvery stage of `hmmci run` is also a subcommand.',
    )
    .option(
      '--cache-dir <dir>',
      'where trees, builds and runs are kept (default $HMMCI_CACHE or $XDG_CACHE_HOME/hmmci)',
    )
    .option('-q, --quiet', 'no progress output')
    .option(
      '--mirror <url>',
      "public-inbox archive that message-ids are fetched from with b4 (e.g. https://lore.kernel.org/linux-mm; default $HMMCI_MIRROR, else b4's own b4.midmask)",
    )
    .showHelpAfterError()
    .exitOverride();
  for (const register of registers) register(program);
  // --mirror reaches the b4 loader (src/series/b4.ts) of every command through $HMMCI_MIRROR.
  program.hook('preAction', (root) => {
    const mirror = root.opts<{ mirror?: string }>().mirror;
    if (mirror) process.env.HMMCI_MIRROR = mirror;
  });
  return program;
}

/** CLI entry point: returns the exit status (see README "Exit status"). */
export async function main(argv: readonly string[]): Promise<number> {
  installSignalHandlers();
  const program = await buildProgram(await commandsFor(argv));
  let code: number = ExitCode.OK;
  const mirrorEnv = process.env.HMMCI_MIRROR;
  try {
    await program.parseAsync([...argv]);
    code = typeof process.exitCode === 'number' ? process.exitCode : ExitCode.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      code = err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    } else if (isHmmciError(err)) {
      process.stderr.write(`${formatError(err)}\n`);
      code = err.exitCode;
    } else {
      process.stderr.write(
        `hmmci: internal error (a bug in hmmci, please report it with this trace):\n${(err as Error)?.stack ?? String(err)}\n`,
      );
      code = ExitCode.INFRA;
    }
  } finally {
    if (mirrorEnv === undefined) delete process.env.HMMCI_MIRROR;
    else process.env.HMMCI_MIRROR = mirrorEnv;
    const errors = await runCleanup();
    for (const e of errors) process.stderr.write(`hmmci: cleanup: ${e}\n`);
  }
  return code;
}
