import t from 'tap';
import { commandModules, commandName, commandsFor } from '../../src/cli/commands/index.js';
import { buildProgram } from '../../src/cli/main.js';

t.test('the command of a command line, past the global options', async (t) => {
  t.equal(commandName(['node', 'hmmci', 'run', 'a.mbox']), 'run');
  t.equal(commandName(['node', 'hmmci', '--cache-dir', '/c', '-q', 'test', 'build']), 'test');
  t.equal(commandName(['node', 'hmmci', '--mirror', 'http://x', 'bisect-step']), 'bisect-step');
  t.equal(commandName(['node', 'hmmci', '--quiet']), undefined);
  t.equal(commandName(['node', 'hmmci']), undefined);
});

t.test('only the module of the command is loaded; help and unknown names load them all', async (t) => {
  t.equal((await commandsFor(['node', 'hmmci', 'run', 'x'])).length, 1);
  t.equal((await commandsFor(['node', 'hmmci', 'fleet', 'status'])).length, 1);
  t.equal((await commandsFor(['node', 'hmmci', 'help', 'run'])).length, commandModules.length);
  t.equal((await commandsFor(['node', 'hmmci', 'nosuch'])).length, commandModules.length);
  t.equal((await commandsFor(['node', 'hmmci', '--help'])).length, commandModules.length);
});

t.test('the table names every top-level command the modules register, and only those', async (t) => {
  const all = await buildProgram();
  const registered = all.commands.map((c) => c.name()).sort();
  t.same([...commandModules.flatMap((m) => m.names)].sort(), registered);
  // Each name's own module registers it (so `hmmci <name>` alone finds its command).
  for (const m of commandModules) {
    const program = await buildProgram([await m.load()]);
    t.same(program.commands.map((c) => c.name()).sort(), [...m.names].sort(), m.names.join(', '));
  }
});
