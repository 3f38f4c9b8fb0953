import t from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.js';
import { fakeKernelTarball, tempDir } from '../../tools/fake-kernel/fixture.js';

// The thin commands end to end on the fake kernel: tree prepare/status/clean, config, build.
const work = tempDir('hmmci-cli-');
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const tarball = fakeKernelTarball(join(work, 'linux-source-6.12.tar.xz'));
const cache = join(work, 'cache');

function hmmci(...args: string[]): Promise<CliResult> {
  return runCli(args, { cacheDir: cache });
}

t.test('tree prepare prints the baseline; config and build use the shipped fragments', async (t) => {
  process.env.HMMCI_TARBALL = tarball;
  t.teardown(() => {
    delete process.env.HMMCI_TARBALL;
  });
  const p = await hmmci('tree', 'prepare', '--json');
  t.equal(p.code, 0);
  const tree = JSON.parse(p.out) as { baseline: string; version: string };
  t.match(tree.baseline, /^[0-9a-f]{40}$/);
  const c = await hmmci('config', '--json');
  t.equal(c.code, 0, c.err);
  t.same(JSON.parse(c.out).missing, []);
  const b = await hmmci('build', '--json', '--no-ccache', '-j', '2');
  t.equal(b.code, 0, b.err);
  const r = JSON.parse(b.out) as { ok: boolean; artifacts: { bzImage: string; modules: string[] } };
  t.ok(r.ok);
  t.match(r.artifacts.modules[0], /lib\/test_hmm\.ko$/);
  const again = await hmmci('build', '--no-ccache');
  t.match(again.out, /^up to date/);
  const s = await hmmci('tree', 'status');
  t.match(s.out, /slots \(worktree \+ build dir\):\n  linux-6\.12\.0-fake-[0-9a-f]{12}-1 /);
  const cl = await hmmci('tree', 'clean');
  t.equal(cl.code, 0);
  t.match(cl.out, /freed/);
});

t.test('user errors: distinct exit codes, one paragraph, no stack', async (t) => {
  process.env.HMMCI_TARBALL = tarball;
  t.teardown(() => {
    delete process.env.HMMCI_TARBALL;
  });
  const notGit = await hmmci('config', '--tree', work);
  t.equal(notGit.code, 9);
  t.match(notGit.err, /^hmmci: --tree .* is not a git repository/);
  t.notMatch(notGit.err, /\n\s+at /, 'no stack trace');
  const unknown = await hmmci('config', '--config', 'CONFIG_NO_SUCH_OPTION=y');
  t.equal(unknown.code, 10);
  t.match(unknown.err, /CONFIG_NO_SUCH_OPTION does not exist in this tree/);
  const frag = join(work, 'broken.config');
  writeFileSync(frag, 'this is not a fragment\n');
  const bad = await hmmci('build', '--kconfig', frag);
  t.equal(bad.code, 10);
  const noTar = await hmmci(
    'tree',
    'prepare',
    '--cache-dir',
    join(work, 'other'),
    '--tarball',
    join(work, 'missing.tar.xz'),
  );
  t.equal(noTar.code, 9);
  t.match(noTar.err, /missing\.tar\.xz does not exist/);
  process.env.FAKE_KERNEL_FAIL = 'compile';
  const broken = await hmmci('build', '--no-ccache');
  delete process.env.FAKE_KERNEL_FAIL;
  t.equal(broken.code, 5);
  t.match(broken.err, /mm\/hmm\.c:9:9: error: expected/);
  t.match(broken.err, /full log: .*build\.log/);
});
