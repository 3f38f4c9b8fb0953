import t from 'tap';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cacheLayout } from '../../src/common/cache.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import { shortHash } from '../../src/common/hash.js';
import { canonicalConfig } from '../../src/kconfig/fragment.js';
import { currentConfigStamp } from '../../src/kconfig/current.js';
import { HmmciError } from '../../src/common/errors.js';
import { runCleanup } from '../../src/common/cleanup.js';
import { createReporter } from '../../src/common/progress.js';
import { adoptUserTree } from '../../src/tree/resolve.js';
import { acquireSlot, listSlots } from '../../src/tree/slots.js';
import { configStoreDir } from '../../src/tree/config-store.js';
import { createWorktree } from '../../src/tree/worktree.js';
import { cleanCache, treeStatus } from '../../src/tree/status.js';
import { fakeKernelRepo, gitSync, tempDir } from '../../tools/fake-kernel/fixture.js';

const work = tempDir('hmmci-slots-');
t.teardown(() => rmSync(work, { recursive: true, force: true }));

/** Everything about a user's checkout that hmmci must never change. */
function snapshot(repo: string) {
  return {
    head: gitSync(repo, ['rev-parse', 'HEAD']),
    symbolic: gitSync(repo, ['symbolic-ref', '-q', 'HEAD']),
    branches: gitSync(repo, ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads']),
    status: gitSync(repo, ['status', '--porcelain=v2', '--branch', '--untracked-files=all', '--ignored']),
    index: readFileSync(join(repo, '.git', 'index')).toString('hex'),
    hmm: readFileSync(join(repo, 'mm', 'hmm.c'), 'utf8'),
  };
}

function userRepo(name: string) {
  const repo = fakeKernelRepo(join(work, name));
  // The user has work in progress: a modified tracked file and an untracked one.
  writeFileSync(join(repo, 'mm', 'hmm.c'), `${readFileSync(join(repo, 'mm', 'hmm.c'), 'utf8')}/* wip */\n`);
  writeFileSync(join(repo, 'notes.txt'), 'my notes\n');
  // A second commit so slots can move between revisions.
  gitSync(repo, ['branch', 'topic']);
  return repo;
}

t.test('a slot is a detached worktree of the user repo plus a build dir; the user checkout is untouched', async (t) => {
  const repo = userRepo('user-a');
  const before = snapshot(repo);
  const cache = cacheLayout(join(work, 'cache-a'));
  const tree = await adoptUserTree(repo);
  t.equal(tree.kind, 'user');
  const slot = await acquireSlot({ tree, rev: 'HEAD', configKey: 'cfg1', cache });
  t.equal(slot.index, 1);
  t.ok(slot.worktree.startsWith(cache.worktrees), 'worktree lives in our cache');
  t.equal(
    slot.buildDir,
    join(slot.worktree, '.hmmci-build'),
    'build dir is a direct subfolder of the worktree (kbuild uses srctree=..)',
  );
  t.ok(existsSync(slot.buildDir));
  t.ok(existsSync(join(slot.worktree, 'Makefile')));
  t.equal(gitSync(slot.worktree, ['rev-parse', 'HEAD']).trim(), tree.baseline);
  t.equal(gitSync(slot.worktree, ['rev-parse', '--abbrev-ref', 'HEAD']).trim(), 'HEAD', 'detached HEAD, not a branch');
  t.notMatch(
    readFileSync(join(slot.worktree, 'mm', 'hmm.c'), 'utf8'),
    /wip/,
    "the commit, not the user's uncommitted work",
  );
  // Work in the slot: commit on the detached head, dirty a file.
  writeFileSync(join(slot.worktree, 'mm', 'hmm.c'), '/* patched */\n');
  gitSync(slot.worktree, ['-c', 'user.name=x', '-c', 'user.email=x@x', 'commit', '-q', '-am', 'patch in slot']);
  writeFileSync(join(slot.worktree, 'junk.o'), 'x');
  await slot.release();
  t.same(snapshot(repo), before, 'HEAD, branches, index, status and files of the user checkout are identical');
  await cleanCache(cache);
  t.same(snapshot(repo), before);
  t.equal(
    gitSync(repo, ['worktree', 'list', '--porcelain'])
      .split('\n')
      .filter((l) => l.startsWith('worktree ')).length,
    1,
    'our worktree entries are gone from the user repo',
  );
});

t.test('a concurrent user gets slot 2; a released slot is reused and reset', async (t) => {
  const repo = userRepo('user-b');
  const cache = cacheLayout(join(work, 'cache-b'));
  const tree = await adoptUserTree(repo);
  const s1 = await acquireSlot({ tree, rev: 'HEAD', configKey: 'k', cache });
  const s2 = await acquireSlot({ tree, rev: 'HEAD', configKey: 'k', cache });
  t.equal(s1.index, 1);
  t.equal(s2.index, 2);
  t.not(s1.worktree, s2.worktree);
  t.not(s1.buildDir, s2.buildDir);
  const other = await acquireSlot({ tree, rev: 'HEAD', configKey: 'other', cache });
  t.equal(other.index, 1, 'slots are per config key');
  await other.release();
  await s2.release();
  // Leave slot 1 dirty: a build product, an untracked file in an ignored folder, a changed file.
  writeFileSync(join(s1.worktree, 'mm', 'hmm.o'), 'obj');
  writeFileSync(join(s1.buildDir, 'vmlinux'), 'kept');
  writeFileSync(join(s1.worktree, 'stray.c'), 'int x;');
  writeFileSync(join(s1.worktree, 'mm', 'migrate_device.c'), 'broken');
  await s1.release();
  const again = await acquireSlot({ tree, rev: 'HEAD', configKey: 'k', cache });
  t.equal(again.index, 1, 'released slot 1 is taken again');
  t.equal(again.worktree, s1.worktree);
  t.notOk(existsSync(join(again.worktree, 'mm', 'hmm.o')), 'ignored files cleaned');
  t.notOk(existsSync(join(again.worktree, 'stray.c')), 'untracked files cleaned');
  t.equal(
    readFileSync(join(again.buildDir, 'vmlinux'), 'utf8'),
    'kept',
    'the build dir survives the reset (incremental builds)',
  );
  t.same(
    gitSync(again.worktree, ['status', '--porcelain', '--ignored']).trim().split('\n'),
    ['!! .hmmci-build/'],
    'clean worktree apart from the build dir',
  );
  await again.release();
  t.equal(listSlots(cache).length, 3);
});

t.test('a half-applied git am in a slot is aborted on the next acquire', async (t) => {
  const repo = userRepo('user-c');
  const cache = cacheLayout(join(work, 'cache-c'));
  const tree = await adoptUserTree(repo);
  const slot = await acquireSlot({ tree, rev: 'HEAD', configKey: 'k', cache });
  // A two-patch series whose second patch does not apply.
  const patch = (subject: string, from: string, to: string) =>
    [
      'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
      'From: Dev <dev@example.org>',
      'Date: Mon, 1 Jan 2024 00:00:00 +0000',
      `Subject: [PATCH] ${subject}`,
      '',
      '---',
      'diff --git a/mm/migrate_device.c b/mm/migrate_device.c',
      '--- a/mm/migrate_device.c',
      '+++ b/mm/migrate_device.c',
      '@@ -3,5 +3,5 @@',
      ' ',
      ' int migrate_vma_setup(unsigned long start, unsigned long end)',
      ' {',
      `-${from}`,
      `+${to}`,
      ' }',
      '--',
      '2.39.5',
      '',
    ].join('\n');
  const mbox = join(work, 'series.mbox');
  writeFileSync(
    mbox,
    patch('one', '\treturn start < end ? 0 : -22;', '\treturn start < end ? 0 : -14;') +
      patch('two', '\treturn nothing_like_this;', '\treturn 1;'),
  );
  const am = (() => {
    try {
      gitSync(slot.worktree, ['-c', 'user.name=x', '-c', 'user.email=x@x', 'am', mbox]);
      return 0;
    } catch {
      return 1;
    }
  })();
  t.equal(am, 1, 'git am stopped half way');
  t.match(readFileSync(join(slot.worktree, 'mm', 'migrate_device.c'), 'utf8'), /-14/, 'first patch applied');
  await slot.release();
  const next = await acquireSlot({ tree, rev: 'HEAD', configKey: 'k', cache });
  t.equal(next.worktree, slot.worktree);
  t.equal(gitSync(next.worktree, ['rev-parse', 'HEAD']).trim(), tree.baseline);
  t.match(readFileSync(join(next.worktree, 'mm', 'migrate_device.c'), 'utf8'), /-22/, 'back to the baseline content');
  const rebaseApply = gitSync(next.worktree, [
    'rev-parse',
    '--path-format=absolute',
    '--git-path',
    'rebase-apply',
  ]).trim();
  t.notOk(existsSync(rebaseApply), 'no am in progress');
  await next.release();
});

t.test('moving a slot to another commit only rewrites the files that changed', async (t) => {
  const repo = userRepo('user-d');
  const cache = cacheLayout(join(work, 'cache-d'));
  gitSync(repo, ['checkout', '-q', 'topic']);
  writeFileSync(join(repo, 'lib', 'test_hmm.c'), `${readFileSync(join(repo, 'lib', 'test_hmm.c'), 'utf8')}/* v2 */\n`);
  gitSync(repo, ['commit', '-q', '-m', 'v2', '--', 'lib/test_hmm.c']);
  gitSync(repo, ['checkout', '-q', 'main']);
  const tree = await adoptUserTree(repo);
  const a = await acquireSlot({ tree, rev: 'main', configKey: 'k', cache });
  const mt = (f: string) => statSync(join(a.worktree, f)).mtimeMs;
  const hmmBefore = mt('mm/hmm.c');
  const testBefore = mt('lib/test_hmm.c');
  await a.release();
  await sleep(20);
  const b = await acquireSlot({ tree, rev: 'topic', configKey: 'k', cache });
  t.equal(b.worktree, a.worktree);
  t.equal(statSync(join(b.worktree, 'mm/hmm.c')).mtimeMs, hmmBefore, 'unchanged file keeps its mtime');
  t.ok(statSync(join(b.worktree, 'lib/test_hmm.c')).mtimeMs > testBefore, 'changed file is rewritten');
  t.match(readFileSync(join(b.worktree, 'lib/test_hmm.c'), 'utf8'), /v2/);
  await b.release();
});

t.test('unknown revision is a tree error', async (t) => {
  const repo = userRepo('user-e');
  const tree = await adoptUserTree(repo);
  const err = await acquireSlot({
    tree,
    rev: 'no-such-branch',
    configKey: 'k',
    cache: cacheLayout(join(work, 'cache-e')),
  }).catch((e: unknown) => e);
  t.equal((err as HmmciError).exitCode, ExitCode.TREE);
  t.match((err as HmmciError).message, /no-such-branch/);
});

t.test('a throwaway worktree is removed by remove() or by the cleanup handlers', async (t) => {
  const repo = userRepo('user-f');
  const cache = cacheLayout(join(work, 'cache-f'));
  const tree = await adoptUserTree(repo);
  const w = await createWorktree(tree, 'HEAD', cache);
  t.ok(existsSync(join(w.path, 'Makefile')));
  await w.remove();
  t.notOk(existsSync(w.path));
  const w2 = await createWorktree(tree, 'HEAD', cache);
  t.ok(existsSync(w2.path));
  await runCleanup();
  t.notOk(existsSync(w2.path), 'interrupted run: cleanup removed it');
  t.equal(
    gitSync(repo, ['worktree', 'list', '--porcelain'])
      .split('\n')
      .filter((l) => l.startsWith('worktree ')).length,
    1,
  );
});

t.test('status lists slots with sizes; clean leaves slots in use alone', async (t) => {
  const repo = userRepo('user-g');
  const cache = cacheLayout(join(work, 'cache-g'));
  const tree = await adoptUserTree(repo);
  const busy = await acquireSlot({ tree, rev: 'HEAD', configKey: 'k', cache });
  const idle = await acquireSlot({ tree, rev: 'HEAD', configKey: 'k', cache });
  writeFileSync(join(idle.buildDir, 'vmlinux'), Buffer.alloc(64 * 1024));
  await idle.release();
  const st = await treeStatus(cache);
  t.equal(st.slots.length, 2);
  const idleInfo = st.slots.find((s) => s.index === 2)!;
  t.ok(idleInfo.buildBytes >= 64 * 1024, 'build dir size counted');
  t.ok(idleInfo.worktreeBytes > 0);
  t.equal(idleInfo.locked, false);
  t.equal(st.slots.find((s) => s.index === 1)!.locked, true);
  const res = await cleanCache(cache);
  t.same(res.busy, [`${tree.id}-k-1`]);
  t.ok(existsSync(busy.worktree), 'slot in use kept');
  t.notOk(existsSync(idle.worktree), 'idle slot removed');
  t.notOk(existsSync(idle.buildDir));
  await busy.release();
  await cleanCache(cache);
  t.notOk(existsSync(busy.worktree));
  t.same(listSlots(cache), []);
});

/** A user tree, a cache and slot 1 of config key `k` holding a consistent .config and stamp. */
async function configuredSlot(name: string) {
  const repo = userRepo(`user-${name}`);
  const cache = cacheLayout(join(work, `cache-${name}`));
  const tree = await adoptUserTree(repo);
  const s1 = await acquireSlot({ tree, rev: 'HEAD', configKey: 'k', cache });
  const config = 'CONFIG_64BIT=y\nCONFIG_TEST_HMM=m\n';
  mkdirSync(join(s1.buildDir, '.hmmci'), { recursive: true });
  writeFileSync(join(s1.buildDir, '.config'), config);
  const stamp = { configKey: 'k', configHash: shortHash(canonicalConfig(config)), srcRev: tree.baseline };
  writeFileSync(join(s1.buildDir, '.hmmci', 'config.json'), JSON.stringify(stamp));
  return { cache, tree, s1, config, stamp };
}

t.test("configure once per config key: a new slot starts from a sibling slot's .config and stamp", async (t) => {
  const { cache, tree, s1, config, stamp } = await configuredSlot('h');
  const s2 = await acquireSlot({ tree, rev: 'HEAD', configKey: 'k', cache });
  t.equal(s2.index, 2);
  t.equal(
    readFileSync(join(s2.buildDir, '.config'), 'utf8'),
    config,
    "the sibling's .config, while the sibling is still held",
  );
  t.same(
    await currentConfigStamp({ buildDir: s2.buildDir, srcDir: s2.worktree, key: 'k' }),
    stamp,
    'kconfig takes it as current: configure is skipped',
  );
  const other = await acquireSlot({ tree, rev: 'HEAD', configKey: 'other', cache });
  t.notOk(existsSync(join(other.buildDir, '.config')), 'never from another config key');
  // A sibling caught mid-configure (.config newer than its stamp) is not copied.
  writeFileSync(join(s1.buildDir, '.config'), `${config}CONFIG_KASAN=y\n`);
  const s3 = await acquireSlot({ tree, rev: 'HEAD', configKey: 'k', cache });
  t.equal(s3.index, 3);
  t.equal(readFileSync(join(s3.buildDir, '.config'), 'utf8'), config, 'from slot 2, whose pair is consistent');
  rmSync(join(s2.buildDir, '.config'));
  await s3.release();
  rmSync(join(s3.buildDir, '.config'));
  rmSync(join(cache.root, 'configs'), { recursive: true, force: true }); // saved pairs: the next test
  const s3again = await acquireSlot({ tree, rev: 'HEAD', configKey: 'k', cache });
  t.notOk(existsSync(join(s3again.buildDir, '.config')), 'no consistent sibling: nothing copied, configure runs');
  for (const s of [s1, s2, other, s3again]) await s.release();
});

t.test('configure once per config key: a saved .config serves a new slot after the slots are gone', async (t) => {
  const { cache, tree, s1, config, stamp } = await configuredSlot('i');
  await s1.release();
  await cleanCache(cache); // every slot removed, the saved configurations stay
  t.same(listSlots(cache), []);
  const lines: string[] = [];
  const reporter = createReporter({ stream: { write: (s: string) => (lines.push(s), true) } });
  const s2 = await acquireSlot({ tree, rev: 'HEAD', configKey: 'k', cache, reporter });
  t.equal(readFileSync(join(s2.buildDir, '.config'), 'utf8'), config, 'the saved .config of key k');
  t.match(lines.join(''), /saved \.config of this config key/);
  t.same(await currentConfigStamp({ buildDir: s2.buildDir, srcDir: s2.worktree, key: 'k' }), stamp);
  const other = await acquireSlot({ tree, rev: 'HEAD', configKey: 'k2', cache });
  t.notOk(existsSync(join(other.buildDir, '.config')), 'another key (changed fragments) gets nothing');
  // A build dir whose .config no longer matches its stamp (configure interrupted) is not saved.
  writeFileSync(join(s2.buildDir, '.config'), `${config}CONFIG_KASAN=y\n`);
  await s2.release();
  await other.release();
  await cleanCache(cache);
  const s3 = await acquireSlot({ tree, rev: 'HEAD', configKey: 'k', cache });
  t.equal(readFileSync(join(s3.buildDir, '.config'), 'utf8'), config, 'still the consistent pair saved before');
  const saved = join(configStoreDir(cache, tree.id, 'k'), 'config.json');
  const before = statSync(saved).ino;
  await s3.release();
  t.equal(statSync(saved).ino, before, 'releasing a slot whose pair is already saved writes nothing');
  await cleanCache(cache, { trees: true });
  t.notOk(existsSync(join(cache.root, 'configs')), 'clean --all removes the saved configurations');
});
