import t from 'tap';
import { diffPaths, fileSetDifference, resolveInTree } from '../../src/series/verify-applied.js';
import type { FileChange } from '../../src/series/types.js';

const change = (from: string, to: string, extra: Partial<FileChange> = {}): FileChange => ({
  from,
  to,
  isNew: false,
  isDeleted: false,
  isRename: false,
  isBinary: false,
  hunks: [],
  ...extra,
});

t.test('the files a diff names: changed, new, deleted, both ends of a rename', async (t) => {
  const paths = diffPaths([
    change('a', 'a'),
    change('/dev/null', 'n', { isNew: true }),
    change('d', '/dev/null', { isDeleted: true }),
    change('old', 'new', { isRename: true }),
  ]);
  t.same([...paths].sort(), ['a', 'd', 'n', 'new', 'old']);
  const entry = (path: string) => ({ status: 'M', oldMode: '100644', newMode: '100644', newSha: '0', path });
  t.same(fileSetDifference(paths, ['a', 'd', 'n', 'new', 'old'].map(entry)), { missing: [], unseen: [] });
  t.same(fileSetDifference(paths, ['a', 'd', 'n', 'old', 'extra'].map(entry)), { missing: ['new'], unseen: ['extra'] });
});

t.test("symlinks resolved inside the tree, through the tree's own links", async (t) => {
  const links = new Map([
    ['mm/x/a', '../..'],
    ['loop1', 'loop2'],
    ['loop2', 'loop1'],
    ['abs', '/etc'],
  ]);
  const r = (path: string, target: string) =>
    resolveInTree(
      path,
      target,
      (p) => links.has(p),
      async (p) => links.get(p) ?? '',
    );
  t.same(await r('mm/x/a', '../..'), { resolved: '' });
  t.same(
    await r('mm/b', 'x/a/../etc'),
    { why: 'climbs above the top of the worktree' },
    '.. after a link climbs from its target',
  );
  t.same(await r('mm/c', 'x/a/mm/hmm.c'), { resolved: 'mm/hmm.c' });
  t.match((await r('l', 'loop1')).why, /loop of symlinks/);
  t.match((await r('m', 'abs/passwd')).why, /absolute path "\/etc"/);
  t.match((await r('g', '.git/config')).why, /git metadata/);
  t.same(await r('arch/x/boot/dts/y', '../../../../arm/boot/dts/y'), { resolved: 'arm/boot/dts/y' });
});
