import t from 'tap';
import { readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheLayout } from '../../src/common/cache.js';
import { prepareDefaultTree } from '../../src/tree/default-tree.js';
import { adoptUserTree } from '../../src/tree/resolve.js';
import { acquireSlot } from '../../src/tree/slots.js';
import { fakeKernelRepo, fakeKernelTarball, gitSync, tempDir } from '../../tools/fake-kernel/fixture.js';

const work = tempDir('hmmci-slot-links-');
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const tarball = fakeKernelTarball(join(work, 'linux-source-6.12.tar.xz'));

const ino = (p: string) => statSync(p).ino;
const clean = (wt: string) => gitSync(wt, ['status', '--porcelain', '--untracked-files=all']).trim();

/** Every tracked file of the worktree has the content of `rev` (git's own comparison, no stat). */
function sameAsCommit(wt: string, rev: string): string {
  return gitSync(wt, ['diff', '--no-ext-diff', '--stat', rev, '--']).trim();
}

t.test("a default tree's first slot links the tree's files instead of checking them out", async (t) => {
  const cache = cacheLayout(join(work, 'cache-a'));
  const tree = await prepareDefaultTree({ cache, tarball });
  const slot = await acquireSlot({ tree, rev: tree.baseline, configKey: 'k', cache });
  t.equal(gitSync(slot.worktree, ['rev-parse', 'HEAD']).trim(), tree.baseline);
  t.equal(ino(join(slot.worktree, 'mm', 'hmm.c')), ino(join(tree.path, 'mm', 'hmm.c')), 'same inode: a hard link');
  t.equal(clean(slot.worktree), '', 'clean for git: the copied index matches the links');
  t.equal(sameAsCommit(slot.worktree, tree.baseline), '', 'every file has the baseline content');
  t.equal(gitSync(tree.path, ['config', 'core.trustctime']).trim(), 'false');
  t.equal(clean(tree.path), '', 'the default tree itself is still clean');

  // A patch applied in the slot gets its own file: the default tree keeps the baseline's.
  const hmm = readFileSync(join(tree.path, 'mm', 'hmm.c'), 'utf8');
  writeFileSync(join(work, 'p.diff'), makePatch(hmm));
  gitSync(slot.worktree, ['apply', join(work, 'p.diff')]);
  t.match(readFileSync(join(slot.worktree, 'mm', 'hmm.c'), 'utf8'), /patched by the test/);
  t.equal(readFileSync(join(tree.path, 'mm', 'hmm.c'), 'utf8'), hmm, 'the default tree is untouched');
  t.not(ino(join(slot.worktree, 'mm', 'hmm.c')), ino(join(tree.path, 'mm', 'hmm.c')));
  await slot.release();

  // The next acquire resets the slot; a second slot (held at the same time) links too.
  const again = await acquireSlot({ tree, rev: tree.baseline, configKey: 'k', cache });
  const second = await acquireSlot({ tree, rev: tree.baseline, configKey: 'k', cache });
  t.equal(second.index, 2);
  t.equal(readFileSync(join(again.worktree, 'mm', 'hmm.c'), 'utf8'), hmm);
  t.equal(ino(join(second.worktree, 'Makefile')), ino(join(tree.path, 'Makefile')));
  t.equal(clean(second.worktree), '');
  await again.release();
  await second.release();
});

/** A one-line change of mm/hmm.c as git diff writes it. */
function makePatch(hmm: string): string {
  const lines = hmm.split('\n').slice(0, 3);
  return [
    'diff --git a/mm/hmm.c b/mm/hmm.c',
    '--- a/mm/hmm.c',
    '+++ b/mm/hmm.c',
    '@@ -1,3 +1,4 @@',
    '+/* patched by the test */',
    ...lines.map((l) => ` ${l}`),
    '',
  ].join('\n');
}

t.test('a file changed in the default tree is not carried into a new slot', async (t) => {
  const cache = cacheLayout(join(work, 'cache-b'));
  const tree = await prepareDefaultTree({ cache, tarball });
  const path = join(tree.path, 'lib', 'test_hmm.c');
  const original = readFileSync(path, 'utf8');
  writeFileSync(path, `${original}/* somebody edited the default tree in place */\n`);
  const slot = await acquireSlot({ tree, rev: tree.baseline, configKey: 'k', cache });
  t.equal(readFileSync(join(slot.worktree, 'lib', 'test_hmm.c'), 'utf8'), original, 'the commit, not the edit');
  t.equal(clean(slot.worktree), '');
  writeFileSync(join(tree.path, 'junk.txt'), 'left in the default tree\n');
  const two = await acquireSlot({ tree, rev: tree.baseline, configKey: 'k', cache });
  t.equal(clean(two.worktree), '', 'untracked files of the default tree are cleaned from the slot');
  await slot.release();
  await two.release();
});

t.test('a slot whose linking was killed (no index, files missing) is repaired by the next acquire', async (t) => {
  const cache = cacheLayout(join(work, 'cache-c'));
  const tree = await prepareDefaultTree({ cache, tarball });
  const slot = await acquireSlot({ tree, rev: tree.baseline, configKey: 'k', cache });
  await slot.release();
  const index = gitSync(slot.worktree, ['rev-parse', '--path-format=absolute', '--git-path', 'index']).trim();
  unlinkSync(index);
  rmSync(join(slot.worktree, 'mm'), { recursive: true, force: true });
  const again = await acquireSlot({ tree, rev: tree.baseline, configKey: 'k', cache });
  t.equal(again.index, 1);
  t.equal(clean(again.worktree), '');
  t.equal(sameAsCommit(again.worktree, tree.baseline), '');
  await again.release();
});

t.test("a user's checkout is never linked: its slots are checked out", async (t) => {
  const repo = fakeKernelRepo(join(work, 'user'));
  const tree = await adoptUserTree(repo);
  const cache = cacheLayout(join(work, 'cache-d'));
  const slot = await acquireSlot({ tree, rev: 'HEAD', configKey: 'k', cache });
  t.not(ino(join(slot.worktree, 'mm', 'hmm.c')), ino(join(repo, 'mm', 'hmm.c')));
  t.equal(statSync(join(repo, 'mm', 'hmm.c')).nlink, 1);
  t.notMatch(readFileSync(join(repo, '.git', 'config'), 'utf8'), /trustctime/i, "the user's git config is not changed");
  await slot.release();
});

t.test(
  'a default tree prepared before linked slots (ctime trusted) gets core.trustctime false and links',
  async (t) => {
    const cache = cacheLayout(join(work, 'cache-e'));
    const tree = await prepareDefaultTree({ cache, tarball });
    gitSync(tree.path, ['config', '--unset', 'core.trustctime']);
    const slot = await acquireSlot({ tree, rev: tree.baseline, configKey: 'k', cache });
    t.equal(gitSync(tree.path, ['config', 'core.trustctime']).trim(), 'false');
    t.equal(ino(join(slot.worktree, 'Makefile')), ino(join(tree.path, 'Makefile')));
    t.equal(clean(slot.worktree), '');
    await slot.release();
  },
);
