import t from 'tap';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import { fakeKernelRepo, gitSync, tempDir } from '../../tools/fake-kernel/fixture.js';

// The thin commands' argument handling and exit statuses; nothing here builds or boots.
const work = tempDir('hmmci-bisect-cli-');
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const cache = join(work, 'cache');

function hmmci(...args: string[]): Promise<CliResult> {
  return runCli(args, { cacheDir: cache });
}

t.test('bisect: a series or --good with --bad, never both or neither', async (t) => {
  const none = await hmmci('bisect');
  t.equal(none.code, ExitCode.USAGE);
  t.match(none.err, /Give the series to bisect/);
  const half = await hmmci('bisect', '--good', 'v6.12');
  t.equal(half.code, ExitCode.USAGE);
  t.match(half.err, /both --good and --bad/);
  const both = await hmmci('bisect', 'fixtures/series/break-test-at-2.mbox', '--good', 'a', '--bad', 'b');
  t.equal(both.code, ExitCode.USAGE);
  t.match(both.err, /not both/);
});

t.test('bisect-step: failures of hmmci exit 128 + status so git bisect run stops', async (t) => {
  const kernel = fakeKernelRepo(join(work, 'linux'));
  const noDefinition = await hmmci('bisect-step', '-C', kernel);
  t.equal(noDefinition.code, 128 + ExitCode.USAGE);
  t.match(noDefinition.err, /Say what "bad" means: --test NAME.*\(no git bisect in progress here\)/s);
  writeFileSync(join(kernel, 'mm', 'hmm.c'), '/* a change */\n', { flag: 'a' });
  gitSync(kernel, ['commit', '-q', '-am', 'mm/hmm: a change']);
  gitSync(kernel, ['bisect', 'start', 'HEAD', 'HEAD~1']);
  const noStored = await hmmci('bisect-step', '-C', kernel);
  t.equal(noStored.code, 128 + ExitCode.USAGE);
  t.match(noStored.err, /there are none for [0-9a-f]{12}/);
  const plain = join(work, 'not-a-repo');
  mkdirSync(plain);
  const notGit = await hmmci('bisect-step', '--test', 'snapshot', '-C', plain);
  t.equal(notGit.code, 128 + ExitCode.TREE);
  t.match(notGit.err, /is not a git repository/);
  const garbled = join(work, 'results.json');
  writeFileSync(garbled, '<html>502 Bad Gateway</html>');
  const bad = await hmmci('bisect-step', '--baseline', garbled, '-C', plain);
  t.equal(bad.code, 128 + ExitCode.BAD_INPUT);
  t.match(bad.err, /--baseline .* is not JSON/);
  const noRuns = await hmmci('bisect-step', '--baseline', 'last', '-C', plain);
  t.equal(noRuns.code, 128 + ExitCode.BAD_INPUT);
  t.match(noRuns.err, /no runs/i);
});
