import type { RegisterCommand } from '../context.js';

/**
 * The command modules, in pipeline order (`hmmci --help` lists them in this order), each with the
 * top-level command names it registers and a loader. Loaded on demand: `hmmci run` imports only
 * run's module (not the fleet's Redis client, the web pages, the watcher…), which saves about
 * half of the CLI's start-up. A name missing here only costs loading every module.
 */
export interface CommandModule {
  names: readonly string[];
  load: () => Promise<RegisterCommand>;
}

export const commandModules: readonly CommandModule[] = [
  { names: ['doctor'], load: async () => (await import('./doctor.js')).registerDoctor },
  { names: ['tree'], load: async () => (await import('./tree.js')).registerTree },
  { names: ['config'], load: async () => (await import('./config.js')).registerConfig },
  { names: ['build'], load: async () => (await import('./build.js')).registerBuild },
  { names: ['series', 'apply'], load: async () => (await import('./series.js')).registerSeries },
  { names: ['test'], load: async () => (await import('./test.js')).registerTest },
  { names: ['parse'], load: async () => (await import('./parse.js')).registerParse },
  { names: ['run', 'report', 'runs'], load: async () => (await import('./run.js')).registerRun },
  { names: ['bisect', 'bisect-step'], load: async () => (await import('./bisect.js')).registerBisect },
  { names: ['history'], load: async () => (await import('./history.js')).registerHistory },
  { names: ['serve'], load: async () => (await import('./serve.js')).registerServe },
  { names: ['worker', 'fleet'], load: async () => (await import('./fleet.js')).registerFleet },
  { names: ['watch'], load: async () => (await import('./watch.js')).registerWatch },
];

/** Global options of `hmmci` that take a value (so the word after them is not the command). */
const VALUE_OPTIONS = new Set(['--cache-dir', '--mirror']);

/** The command named on a command line (`node hmmci [global options] <command> …`), if any. Pure. */
export function commandName(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return args[i + 1];
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** The registrations a command line needs: its command's module, or every module (help, unknown names). */
export async function commandsFor(argv: readonly string[]): Promise<RegisterCommand[]> {
  const name = commandName(argv);
  const mine = commandModules.filter((m) => name !== undefined && m.names.includes(name));
  return Promise.all((mine.length && name !== 'help' ? mine : commandModules).map((m) => m.load()));
}
