import t from 'tap';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheLayout } from '../../src/common/cache.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import { HmmciError } from '../../src/common/errors.js';
import { createReporter } from '../../src/common/progress.js';
import { BASELINE_REF, findDefaultTree, prepareDefaultTree } from '../../src/tree/default-tree.js';
import { fakeKernelTarball, gitSync, tempDir } from '../../tools/fake-kernel/fixture.js';

const work = tempDir('hmmci-default-tree-');
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const tarball = fakeKernelTarball(join(work, 'linux-source-6.12.tar.xz'));

t.test('prepare unpacks the tarball, commits every file despite the /* .gitignore, tags the baseline', async (t) => {
  const cache = cacheLayout(join(work, 'cache-a'));
  const lines: string[] = [];
  const reporter = createReporter({ stream: { write: (s: string) => (lines.push(s), true) } });
  const tree = await prepareDefaultTree({ cache, tarball, reporter });
  t.equal(tree.kind, 'default');
  t.equal(tree.version, '6.12.0-fake');
  t.equal(tree.id, 'linux-6.12.0-fake');
  t.equal(tree.path, join(cache.trees, 'linux-6.12.0-fake'));
  t.match(tree.baseline, /^[0-9a-f]{40}$/);
  const files = gitSync(tree.path, ['ls-files']).split('\n');
  for (const f of [
    'Makefile',
    '.gitignore',
    'mm/hmm.c',
    'lib/test_hmm.c',
    'scripts/kconfig/merge_config.sh',
    'Kconfig',
  ])
    t.ok(files.includes(f), `${f} is in the baseline`);
  t.equal(gitSync(tree.path, ['status', '--porcelain', '--ignored']).trim(), '', 'nothing left out of the commit');
  t.equal(gitSync(tree.path, ['rev-parse', BASELINE_REF]).trim(), tree.baseline);
  t.equal(
    gitSync(tree.path, ['log', '-1', '--format=%an <%ae> %ad', '--date=raw']).trim(),
    `hmmci baseline <baseline@hmmci.invalid> ${946684800 + 6 * 65536 + 12 * 256} +0000`,
  );
  t.ok(lines.join('').includes(tree.baseline), 'the baseline sha is printed');
  t.notOk(existsSync(join(cache.trees, `.unpack-${process.pid}`)), 'no temporary unpack directory left');
});

t.test('the same tarball gives the same baseline commit in another cache', async (t) => {
  const a = await prepareDefaultTree({ cache: cacheLayout(join(work, 'cache-a')), tarball });
  const b = await prepareDefaultTree({ cache: cacheLayout(join(work, 'cache-b')), tarball });
  t.equal(a.baseline, b.baseline);
  t.not(a.path, b.path);
});

t.test('a second prepare of the same tarball is a no-op', async (t) => {
  const cache = cacheLayout(join(work, 'cache-a'));
  const before = await findDefaultTree(cache, tarball);
  t.ok(before, 'found without work');
  const started = Date.now();
  const again = await prepareDefaultTree({ cache, tarball });
  t.same(again, before);
  t.ok(Date.now() - started < 2000, 'no unpack, no commit');
});

t.test('a missing tarball is a tree error (exit 9) naming the file and what to do', async (t) => {
  const cache = cacheLayout(join(work, 'cache-c'));
  const missing = join(work, 'nope', 'my-kernel.tar.xz');
  const err = await prepareDefaultTree({ cache, tarball: missing }).catch((e: unknown) => e);
  t.ok(err instanceof HmmciError);
  t.equal((err as HmmciError).exitCode, ExitCode.TREE);
  t.match((err as HmmciError).message, missing);
  t.match((err as HmmciError).message, /--tree DIR/);
});

t.test('a tarball that is not a kernel is refused and leaves nothing behind', async (t) => {
  const cache = cacheLayout(join(work, 'cache-d'));
  const bogus = join(work, 'bogus.tar.xz');
  const stage = tempDir('hmmci-bogus-');
  gitSync(stage, ['init', '-q']);
  rmSync(join(stage, '.git'), { recursive: true, force: true });
  const { execFileSync } = await import('node:child_process');
  execFileSync('sh', [
    '-c',
    `mkdir -p "${stage}/top" && echo 'all:' > "${stage}/top/Makefile" && tar -cJf "${bogus}" -C "${stage}" top`,
  ]);
  const err = await prepareDefaultTree({ cache, tarball: bogus }).catch((e: unknown) => e);
  t.equal((err as HmmciError).exitCode, ExitCode.TREE);
  t.match((err as HmmciError).message, /not look like a kernel/);
  t.same(existsSync(cache.trees) ? (await import('node:fs')).readdirSync(cache.trees) : [], []);
  rmSync(stage, { recursive: true, force: true });
});

t.test('a prepare killed half way leaves .unpack-<pid>; the next prepare or clean removes it', async (t) => {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { removeStaleUnpacks } = await import('../../src/tree/default-tree.js');
  const cache = cacheLayout(join(work, 'cache-e'));
  const dead = join(cache.trees, '.unpack-999999');
  mkdirSync(dead, { recursive: true });
  writeFileSync(join(dead, 'Makefile'), 'half');
  const mine = join(cache.trees, `.unpack-${process.pid}`);
  mkdirSync(mine, { recursive: true });
  t.same(removeStaleUnpacks(cache.trees), [dead]);
  t.notOk(existsSync(dead));
  t.ok(existsSync(mine), 'a live prepare is left alone');
  rmSync(mine, { recursive: true });
});

t.test('two prepares at once: one unpacks, the other waits for the lock and reuses it', async (t) => {
  const cache = cacheLayout(join(work, 'cache-f'));
  const lines: string[] = [];
  const reporter = createReporter({ stream: { write: (s: string) => (lines.push(s), true) } });
  const [a, b] = await Promise.all([
    prepareDefaultTree({ cache, tarball, reporter }),
    prepareDefaultTree({ cache, tarball, reporter }),
  ]);
  t.same(a, b);
  t.equal(lines.filter((l) => l.startsWith('==> tree: unpack')).length, 1, 'unpacked once');
});

t.test(
  'linux-source package not installed (exit 8, apt-get command) vs installed but tarball gone (exit 9)',
  async (t) => {
    const { mkdirSync, writeFileSync, chmodSync } = await import('node:fs');
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    // Stand-in for dpkg-query that answers like dpkg does for a removed / an installed package.
    const fake = (status: string, code: number) => {
      writeFileSync(join(bin, 'dpkg-query'), `#!/bin/sh\nprintf '%s' '${status}'\nexit ${code}\n`);
      chmodSync(join(bin, 'dpkg-query'), 0o755);
    };
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    t.teardown(() => {
      process.env.PATH = path;
    });
    const cache = cacheLayout(join(work, 'cache-g'));
    const tarballPath = join(work, 'usr-src', 'linux-source-6.12.tar.xz');
    fake('deinstall ok config-files', 0);
    const notInstalled = (await prepareDefaultTree({ cache, tarball: tarballPath }).catch(
      (e: unknown) => e,
    )) as HmmciError;
    t.equal(notInstalled.exitCode, ExitCode.MISSING_TOOL);
    t.match(notInstalled.message, /^linux-source-6\.12 is not installed/);
    t.match(notInstalled.message, /apt-get install -y linux-source-6\.12/);
    fake('install ok installed', 0);
    const gone = (await prepareDefaultTree({ cache, tarball: tarballPath }).catch((e: unknown) => e)) as HmmciError;
    t.equal(gone.exitCode, ExitCode.TREE);
    t.match(gone.message, /apt-get install --reinstall -y linux-source-6\.12/);
  },
);

t.test('an .xz tarball is decompressed with xz -T0 (blocks on every core); others as tar detects them', async (t) => {
  const { decompressArgs } = await import('../../src/tree/default-tree.js');
  t.same(decompressArgs('/usr/src/linux-source-6.12.tar.xz'), ['--use-compress-program=xz -T0']);
  t.same(decompressArgs('/tmp/linux.txz'), ['--use-compress-program=xz -T0']);
  t.same(decompressArgs('/tmp/linux-source-6.12.tar.gz'), []);
});

t.test('tar -v output: files counted, folders and empty lines not, across chunk boundaries', async (t) => {
  const { FileLineCounter } = await import('../../src/tree/default-tree.js');
  const c = new FileLineCounter();
  const text = 'linux/\nlinux/Makefile\nlinux/mm/\nlinux/mm/hmm.c\n\nlinux/a b.c\n';
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += 5) c.feed(bytes.subarray(i, i + 5));
  t.equal(c.feed(Buffer.alloc(0)), 3);
});
