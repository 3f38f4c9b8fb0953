import t from 'tap';
import { Command, Option } from 'commander';
import { addOptions, type OptionSpec } from '../../src/cli/option-table.js';
import { collect, wholeNumber } from '../../src/cli/context.js';

const TABLE: readonly OptionSpec[] = [
  { flags: '--kconfig <fragment>', description: 'extra config fragment (repeatable)', parse: collect, default: [] },
  { flags: '--runner <runner>', description: 'how the kernel is booted', choices: ['qemu', 'vng'], default: 'qemu' },
  { flags: '--reruns <n>', description: 're-runs', parse: wholeNumber('--reruns', 0), default: 1 },
  { flags: '--no-coherent', description: 'no coherent memory' },
  { flags: '-v, --verbose', description: 'more output' },
];

/** A command that throws instead of exiting, with its output captured. */
function command(build: (cmd: Command) => Command) {
  const out: string[] = [];
  const cmd = build(
    new Command('x').exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => out.push(s) }),
  );
  return { cmd, out };
}

t.test('a table adds the options commander .option() chains add: same help, same parsed values', async (t) => {
  const table = command((c) => addOptions(c, TABLE));
  const chain = command((c) =>
    c
      .option('--kconfig <fragment>', 'extra config fragment (repeatable)', collect, [])
      .addOption(new Option('--runner <runner>', 'how the kernel is booted').choices(['qemu', 'vng']).default('qemu'))
      .option('--reruns <n>', 're-runs', wholeNumber('--reruns', 0), 1)
      .option('--no-coherent', 'no coherent memory')
      .option('-v, --verbose', 'more output'),
  );
  const help = table.cmd.helpInformation();
  t.equal(help, chain.cmd.helpInformation());
  t.match(
    help,
    /--kconfig <fragment>[\s\S]*--runner[\s\S]*--reruns[\s\S]*--no-coherent[\s\S]*--verbose/,
    'table order',
  );
  const argv = ['--kconfig', 'a.config', '--kconfig', 'b.config', '--reruns', '3', '--no-coherent', '-v'];
  table.cmd.parse(argv, { from: 'user' });
  chain.cmd.parse(argv, { from: 'user' });
  t.same(table.cmd.opts(), chain.cmd.opts());
  t.same(table.cmd.opts(), {
    kconfig: ['a.config', 'b.config'],
    runner: 'qemu',
    reruns: 3,
    coherent: false,
    verbose: true,
  });
});

t.test('defaults hold when a flag is not given; choices and parsers reject bad values', async (t) => {
  const ok = command((c) => addOptions(c, TABLE));
  ok.cmd.parse([], { from: 'user' });
  t.same(ok.cmd.opts(), { kconfig: [], runner: 'qemu', reruns: 1, coherent: true });
  const bad = command((c) => addOptions(c, TABLE));
  t.throws(() => bad.cmd.parse(['--runner', 'kvm'], { from: 'user' }), { code: 'commander.invalidArgument' });
  t.match(bad.out.join(''), /Allowed choices are qemu, vng/);
  const num = command((c) => addOptions(c, TABLE));
  t.throws(() => num.cmd.parse(['--reruns', 'x'], { from: 'user' }), /--reruns wants a whole number/);
});
