import t from 'tap';
import {
  baseInfo,
  changeStats,
  fileStats,
  findDiffStart,
  overlongHunks,
  patchFileStats,
  splitBody,
  stripComponent,
  truncatedHunks,
  unquoteC,
} from '../../src/series/diff.js';
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
  t.same(
    s.changes.map((c) => c.hunks.map((h) => h.header.replace(/ @@.*/, ' @@'))),
    [
      ['@@ -12,6 +12,7 @@', '@@ -97,6 +98,7 @@'],
      ['@@ -183,10 +183,37 @@', '@@ -222,6 +249,8 @@'],
      ['@@ -19,6 +19,7 @@', '@@ -220,6 +221,15 @@', '@@ -248,8 +258,7 @@'],
      ['@@ -54,6 +54,13 @@', '@@ -138,6 +145,11 @@'],
    ],
  );
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
  t.same(baseInfo('base-commit: abcdef1\nprerequisite-patch-id: ' + 'a'.repeat(40)), {
    baseCommit: 'abcdef1',
    prerequisitePatchIds: ['a'.repeat(40)],
  });
});

t.test('a cut-short hunk is noticed, with what it promised and what came', async (t) => {
  const m = mails('malformed/truncated.mbox')[2]!;
  const cut = truncatedHunks(splitBody(m.body).changes);
  t.equal(cut.length, 1);
  t.match(cut[0], { file: 'lib/test_hmm.c', hunk: { oldLines: 6, newLines: 12, oldSeen: 3, newSeen: 4 } });
});

t.test('a "-- " line inside a hunk is a removed line, not the signature', async (t) => {
  const body = [
    'msg',
    '---',
    'diff --git a/d.txt b/d.txt',
    '--- a/d.txt',
    '+++ b/d.txt',
    '@@ -1,2 +1,1 @@',
    ' keep',
    '-- ',
    '-- ',
    'sig',
  ].join('\n');
  const s = splitBody(body);
  t.same(s.changes[0]?.hunks[0]?.oldSeen, 2);
  t.equal(s.footer, '-- \nsig');
});

t.test('modes, renames, symlinks, traditional diffs', async (t) => {
  const link = splitBody(mails('malformed/unsafe-symlink.mbox')[0]!.body).changes[0]!;
  t.match(link, { to: 'mm/hmm-docs', isNew: true, newMode: '120000', symlinkTarget: '../../../../../../tmp' });
  const abs = splitBody(mails('malformed/unsafe-absolute.mbox')[0]!.body).changes[0]!;
  t.match(abs, { from: '/dev/null', to: '/tmp/hmmci-absolute.txt', isNew: true });
  const ren = splitBody(
    [
      'x',
      '---',
      'diff --git a/Documentation/vm/hmm.rst b/Documentation/mm/hmm.rst',
      'similarity index 100%',
      'rename from Documentation/vm/hmm.rst',
      'rename to Documentation/mm/hmm.rst',
    ].join('\n'),
  ).changes[0]!;
  t.match(ren, { from: 'Documentation/vm/hmm.rst', to: 'Documentation/mm/hmm.rst', isRename: true });
  t.equal(findDiffStart(['no diff', 'here']), -1);
});

t.test('every file section is read, whatever sits between them (no silent partial patch)', async (t) => {
  const paths = (name: string) => splitBody(mails(name)[0]!.body).changes.map((c) => c.to);
  t.same(
    paths('malformed/diff-urN-two-files.patch'),
    ['lib/test_hmm.c', 'mm/hmm.c'],
    'diff -urN old/ new/: both files, first component stripped',
  );
  t.same(
    paths('malformed/blank-line-between-files.patch'),
    ['include/linux/memremap.h', 'lib/test_hmm.c', 'mm/hmm.c'],
    'a blank line before the 2nd diff --git',
  );
  t.same(
    paths('malformed/quilt-prefixes.patch'),
    ['include/linux/memremap.h', 'lib/test_hmm.c', 'mm/hmm.c'],
    'quilt linux.orig/ and linux/ prefixes',
  );
  t.same(
    paths('malformed/hand-edited-hunk-too-long.patch'),
    ['include/linux/memremap.h', 'lib/test_hmm.c', 'mm/hmm.c'],
    'files after a hand-edited hunk',
  );
  const s = splitBody(mails('malformed/diff-urN-two-files.patch')[0]!.body);
  t.equal(s.notes, '', 'the diff -urN line starts the diff, it is not a note');
  t.same(changeStats(s.changes), [
    { path: 'lib/test_hmm.c', additions: 1, deletions: 0 },
    { path: 'mm/hmm.c', additions: 1, deletions: 0 },
  ]);
});

t.test('a hunk with more lines than its header says is found (hand edit), a complete one is not', async (t) => {
  const long = overlongHunks(splitBody(mails('malformed/hand-edited-hunk-too-long.patch')[0]!.body).changes);
  t.equal(long.length, 1);
  t.equal(long[0]?.file, 'lib/test_hmm.c');
  t.match(long[0]?.hunk.header, /^@@ -1,4 \+1,5 @@/);
  t.match(long[0]?.hunk.excess, /^ {2}\* mirror and zone device private/);
  for (const ok of [
    'malformed/blank-line-between-files.patch',
    'malformed/quilt-prefixes.patch',
    'rfc-p2p-allow.mbox',
    'stale-2019-hmm-rework.mbox',
  ]) {
    t.same(overlongHunks(splitBody(mails(ok)[0]!.body).changes), [], ok);
  }
});

t.test("paths: git's C-quoting undone to UTF-8, -p1 stripping like git apply", async (t) => {
  const s = splitBody(mails('malformed/c-quoted-unicode-path.patch')[0]!.body);
  t.same(
    changeStats(s.changes).map((f) => f.path),
    ['Documentation/mm/résumé.txt', 'Documentation/mm/tab\tname.txt'],
  );
  t.equal(unquoteC('r\\303\\251sum\\303\\251.txt'), 'résumé.txt');
  t.equal(stripComponent('linux.orig/mm/hmm.c'), 'mm/hmm.c');
  t.equal(stripComponent('b/mm/hmm.c\t2024-11-04 10:00:00'), 'mm/hmm.c');
  t.equal(stripComponent('/dev/null'), '/dev/null');
  t.equal(stripComponent('/tmp/x'), '/tmp/x', 'absolute paths kept for the safety check to refuse');
});

t.test('after a complete hunk, a signature or PGP armour is not an excess line', async (t) => {
  const body = [
    'msg',
    '---',
    'diff --git a/mm/hmm.c b/mm/hmm.c',
    '--- a/mm/hmm.c',
    '+++ b/mm/hmm.c',
    '@@ -1 +1 @@',
    '-a',
    '+b',
  ];
  for (const after of [
    '-- ',
    '-----BEGIN PGP SIGNATURE-----',
    '',
    'base-commit: 0123456789abcdef0123456789abcdef01234567',
  ]) {
    t.same(overlongHunks(splitBody([...body, after, 'x'].join('\n')).changes), [], JSON.stringify(after));
  }
  t.equal(overlongHunks(splitBody([...body, ' c'].join('\n')).changes).length, 1, 'a context line is');
});

t.test('diff -urN with timestamps and `Only in` lines between sections: every section, -p1 paths', async (t) => {
  const body = [
    'Two files.',
    '---',
    'Only in new/lib: test_hmm_extra.c.orig',
    'diff -urN old/lib/test_hmm_new.c new/lib/test_hmm_new.c',
    '--- old/lib/test_hmm_new.c\t1970-01-01 00:00:00.000000000 +0000',
    '+++ new/lib/test_hmm_new.c\t2024-11-04 10:00:00.000000000 +0100',
    '@@ -0,0 +1,2 @@',
    '+a',
    '+b',
    'Only in old/mm: hmm.c.rej',
    'diff -urN old/mm/hmm.c new/mm/hmm.c',
    '--- old/mm/hmm.c\t2024-11-04 09:00:00.000000000 +0100',
    '+++ new/mm/hmm.c\t2024-11-04 10:00:00.000000000 +0100',
    '@@ -1 +1 @@',
    '-x',
    '+y',
  ].join('\n');
  const s = splitBody(body);
  t.same(changeStats(s.changes), [
    { path: 'lib/test_hmm_new.c', additions: 2, deletions: 0 },
    { path: 'mm/hmm.c', additions: 1, deletions: 1 },
  ]);
  t.same(overlongHunks(s.changes), []);
  t.same(truncatedHunks(s.changes), []);
});

t.test(
  "the scanner's per-file counts agree with parse-diff's on every fixture (paths: git am's, not parse-diff's)",
  async (t) => {
    const names = [
      'benign-3.mbox',
      'break-test-at-2.mbox',
      'break-build.mbox',
      'oops.mbox',
      'hang.mbox',
      'one-patch.mbox',
      'rfc-p2p-allow.mbox',
      'stale-2019-hmm-rework.mbox',
      'stale-hmm-txt.mbox',
      'malformed/diff-urN-two-files.patch',
      'malformed/blank-line-between-files.patch',
      'malformed/quilt-prefixes.patch',
      'malformed/c-quoted-unicode-path.patch',
    ];
    for (const name of names) {
      for (const m of mails(name)) {
        const s = splitBody(m.body);
        const mine = changeStats(s.changes).map((f) => [f.additions, f.deletions]);
        t.same(
          mine,
          fileStats(s.diff).map((f) => [f.additions, f.deletions]),
          `${name}: ${m.subject}`,
        );
      }
    }
  },
);

t.test('a hunk short of its header in the middle of a mail is told apart from a truncated download', async (t) => {
  const body = mails('malformed/blank-line-between-files.patch')[0]!.body.replace(
    '  * This is a module to test the HMM (Heterogeneous Memory Management)\n',
    '',
  );
  const s = splitBody(body);
  t.same(
    s.changes.map((c) => c.to),
    ['include/linux/memremap.h', 'lib/test_hmm.c', 'mm/hmm.c'],
    'later files still read',
  );
  const cut = truncatedHunks(s.changes);
  t.equal(cut.length, 1);
  t.equal(cut[0]?.file, 'lib/test_hmm.c');
  t.equal(cut[0]?.hunk.endedBy, 'diff --git a/mm/hmm.c b/mm/hmm.c');
  const truncated = truncatedHunks(splitBody(mails('malformed/truncated.mbox')[2]!.body).changes);
  t.equal(truncated.length, 1);
  t.equal(truncated[0]?.hunk.endedBy, undefined, 'the end of the input: truncated');
});

t.test(
  "a patch's files: parse-diff's counts under git am's paths; the scan's counts where parse-diff sees other files",
  async (t) => {
    for (const name of [
      'malformed/quilt-prefixes.patch',
      'malformed/c-quoted-unicode-path.patch',
      'rfc-p2p-allow.mbox',
    ]) {
      const m = mails(name)[0]!;
      const split = splitBody(m.body);
      const counted = fileStats(split.diff);
      const files = patchFileStats(split.diff, split.changes);
      t.same(
        files.map((f) => f.path),
        changeStats(split.changes).map((f) => f.path),
        `${name}: paths as git am applies them`,
      );
      t.same(
        files.map((f) => [f.additions, f.deletions]),
        counted.map((f) => [f.additions, f.deletions]),
        `${name}: parse-diff's counts`,
      );
    }
    const quilt = splitBody(mails('malformed/quilt-prefixes.patch')[0]!.body);
    t.match(fileStats(quilt.diff)[0]!.path, /^linux\//, 'parse-diff alone would report the quilt prefix');
    // parse-diff and the scan disagree on the file list: the scan (what git am gets) wins.
    const fake = [
      { from: 'mm/hmm.c', to: 'mm/hmm.c', additions: 3, deletions: 1, hunks: [] },
      { from: 'lib/test_hmm.c', to: 'lib/test_hmm.c', additions: 2, deletions: 0, hunks: [] },
    ];
    const oneFile = 'diff --git a/mm/hmm.c b/mm/hmm.c\n--- a/mm/hmm.c\n+++ b/mm/hmm.c\n@@ -1,1 +1,1 @@\n-a\n+b\n';
    t.same(patchFileStats(oneFile, fake as unknown as Parameters<typeof patchFileStats>[1]), [
      { path: 'mm/hmm.c', additions: 3, deletions: 1 },
      { path: 'lib/test_hmm.c', additions: 2, deletions: 0 },
    ]);
  },
);
