import t from 'tap';
import { baseInfo, fileStats, findDiffStart, splitBody, truncatedHunks } from '../../src/series/diff.js';
import { parseMailBytes } from '../../src/series/load.js';
import { fixtureText } from './helpers.js';

function mails(name: string) {
  return parseMailBytes(Buffer.from(fixtureText(name)), name);
}

t.test('the RFC: message, diffstat notes and four files with parse-diff statistics', async (t) => {
  const m = mails('rfc-p2p-allow.mbox')[0]!;
  const s = splitBody(m.body);
  t.match(s.message, /^Introduce a way for hmm_range_fault\(\) and migrate_vma_setup\(\) to identify\n/);
  t.match(s.message, /Signed-off-by: Thomas Hellström <thomas\.hellstrom@linux\.intel\.com>$/);
  t.match(s.notes, /4 files changed, 54 insertions\(\+\), 2 deletions\(-\)/);
  t.same(fileStats(s.diff), [
    { path: 'include/linux/hmm.h', additions: 2, deletions: 0 },
    { path: 'include/linux/migrate.h', additions: 29, deletions: 0 },
    { path: 'mm/hmm.c', additions: 11, deletions: 2 },
    { path: 'mm/migrate_device.c', additions: 12, deletions: 0 },
  ]);
  t.same(s.changes.map((c) => c.hunks.map((h) => h.header.replace(/ @@.*/, ' @@'))), [
    ['@@ -12,6 +12,7 @@', '@@ -97,6 +98,7 @@'],
    ['@@ -183,10 +183,37 @@', '@@ -222,6 +249,8 @@'],
    ['@@ -19,6 +19,7 @@', '@@ -220,6 +221,15 @@', '@@ -248,8 +258,7 @@'],
    ['@@ -54,6 +54,13 @@', '@@ -138,6 +145,11 @@'],
  ]);
  t.same(truncatedHunks(s.changes), []);
  t.equal(s.footer, '', 'the RFC has no signature');
});

t.test('the stale 2019 rework: 18 hunks, 132 insertions and 313 deletions as its diffstat says', async (t) => {
  const s = splitBody(mails('stale-2019-hmm-rework.mbox')[0]!.body);
  t.equal(s.changes.length, 1);
  t.equal(s.changes[0]?.hunks.length, 18);
  t.same(fileStats(s.diff), [{ path: 'mm/hmm.c', additions: 132, deletions: 313 }]);
  t.match(s.footer, /^-- \n2\.17\.2/);
});

t.test('base-commit in the cover letter (format-patch --base)', async (t) => {
  const cover = mails('benign-3.mbox')[0]!;
  t.same(baseInfo(cover.body), { baseCommit: '90664afa533cde5b8e224575342753ca5660b82d', prerequisitePatchIds: [] });
  t.same(baseInfo('base-commit: abcdef1\nprerequisite-patch-id: ' + 'a'.repeat(40)), { baseCommit: 'abcdef1', prerequisitePatchIds: ['a'.repeat(40)] });
});

t.test('a cut-short hunk is noticed, with what it promised and what came', async (t) => {
  const m = mails('malformed/truncated.mbox')[2]!;
  const cut = truncatedHunks(splitBody(m.body).changes);
  t.equal(cut.length, 1);
  t.match(cut[0], { file: 'lib/test_hmm.c', hunk: { oldLines: 6, newLines: 12, oldSeen: 3, newSeen: 4 } });
});

t.test('a "-- " line inside a hunk is a removed line, not the signature', async (t) => {
  const body = ['msg', '---', 'diff --git a/d.txt b/d.txt', '--- a/d.txt', '+++ b/d.txt', '@@ -1,2 +1,1 @@', ' keep', '-- ', '-- ', 'sig'].join('\n');
  const s = splitBody(body);
  t.same(s.changes[0]?.hunks[0]?.oldSeen, 2);
  t.equal(s.footer, '-- \nsig');
});

t.test('modes, renames, symlinks, traditional diffs', async (t) => {
  const link = splitBody(mails('malformed/unsafe-symlink.mbox')[0]!.body).changes[0]!;
  t.match(link, { to: 'mm/hmm-docs', isNew: true, newMode: '120000', symlinkTarget: '../../../../../../tmp' });
  const abs = splitBody(mails('malformed/unsafe-absolute.mbox')[0]!.body).changes[0]!;
  t.match(abs, { from: '/dev/null', to: '/tmp/hmmci-absolute.txt', isNew: true });
  const ren = splitBody(['x', '---', 'diff --git a/Documentation/vm/hmm.rst b/Documentation/mm/hmm.rst', 'similarity index 100%', 'rename from Documentation/vm/hmm.rst', 'rename to Documentation/mm/hmm.rst'].join('\n')).changes[0]!;
  t.match(ren, { from: 'Documentation/vm/hmm.rst', to: 'Documentation/mm/hmm.rst', isRename: true });
  t.equal(findDiffStart(['no diff', 'here']), -1);
});
