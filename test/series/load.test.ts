import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError, HmmciError, MissingToolError, UsageError } from '../../src/common/errors.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import { classifyInput, loadSeries } from '../../src/series/load.js';
import { toSeriesJson } from '../../src/series/series.js';
import { cleanup, FIXTURES, gitSync, hmmRepo, tempDir } from './helpers.js';

const work = tempDir();
t.teardown(() => cleanup(work));

t.test('inputs are told apart: file, folder, range, message-id, nothing', async (t) => {
  const exists = (p: string) => (p === 'a.mbox' ? 'file' : p === 'dir' ? 'dir' : undefined);
  t.equal(classifyInput('a.mbox', exists), 'mbox');
  t.equal(classifyInput('dir', exists), 'folder');
  t.equal(classifyInput('v6.12..my-branch', exists), 'range');
  t.equal(classifyInput('HEAD~3..', exists), 'range');
  t.equal(classifyInput('20241015111322.97514-1-thomas.hellstrom@linux.intel.com', exists), 'message-id');
  t.equal(classifyInput('<20241015111322.97514-1-thomas.hellstrom@linux.intel.com>', exists), 'message-id');
  t.equal(
    classifyInput('https://lore.kernel.org/all/20241015111322.97514-1-thomas.hellstrom@linux.intel.com/', exists),
    'message-id',
  );
  t.equal(classifyInput('nope.mbox', exists), 'missing');
  t.equal(
    classifyInput('--upload-pack=x@y', exists),
    'missing',
    'a message-id never starts with "-" (it would reach b4 as an option)',
  );
});

const bad: Array<[string, RegExp]> = [
  ['malformed/empty.mbox', /empty\.mbox is empty\. hmmci expected an mbox/],
  ['malformed/binary-garbage.bin', /binary-garbage\.bin holds binary data \(\d+ NUL/],
  ['malformed/benign-3.mbox.gz', /is gzip-compressed .*`gunzip -k malformed\/benign-3\.mbox\.gz`/],
  ['malformed/lore-page.html', /lore-page\.html is an HTML page, not an mbox/],
  ['malformed/replies-only.mbox', /replies-only\.mbox holds 2 messages but no patch/],
];
for (const [name, msg] of bad) {
  t.test(`bad input ${name}: BadInputError (exit 3) naming the file and what was expected`, async (t) => {
    const err = await loadSeries(name, { cwd: FIXTURES }).catch((e: unknown) => e);
    t.ok(err instanceof BadInputError, 'BadInputError');
    t.equal((err as HmmciError).exitCode, ExitCode.BAD_INPUT);
    t.match((err as Error).message, msg);
  });
}

t.test('a missing path that is neither range nor message-id', async (t) => {
  const err = await loadSeries('does-not-exist.mbox', { cwd: work }).catch((e: unknown) => e);
  t.ok(err instanceof BadInputError);
  t.match((err as Error).message, /"does-not-exist\.mbox" is not a file or folder that exists/);
});

t.test('a text file that is not a mail (a bare diff)', async (t) => {
  const p = join(work, 'bare.diff');
  writeFileSync(p, 'diff --git a/mm/hmm.c b/mm/hmm.c\n--- a/mm/hmm.c\n+++ b/mm/hmm.c\n@@ -1 +1 @@\n-a\n+b\n');
  const err = await loadSeries(p).catch((e: unknown) => e);
  t.ok(err instanceof BadInputError);
  t.match((err as Error).message, /bare\.diff is text but not a mail or mbox/);
});

t.test('a folder of .patch files is read in N/M order (names sorted the other way)', async (t) => {
  const dir = join(work, 'folder');
  mkdirSync(dir);
  const src = join(FIXTURES, 'folder-v3-5');
  const names = [
    'v3-0000-cover-letter.patch',
    'v3-0001-mm-hmm-fix-an-article-in-the-struct-hmm_range-ker.patch',
    'v3-0002-mm-hmm-spell-out-i.e.-in-the-hmm_range_fault-kern.patch',
    'v3-0003-mm-migrate_device-say-what-migrate_vma_setup-reje.patch',
    'v3-0004-lib-test_hmm-say-that-struct-dmirror-is-per-open.patch',
    'v3-0005-selftests-mm-hmm-tests-hint-at-test_hmm-when-the-.patch',
  ];
  // z-, y-, … prefixes reverse the name order; .eml for one of them.
  names.forEach((n, i) =>
    writeFileSync(
      join(dir, `${String.fromCharCode(122 - i)}-${i}.${i === 3 ? 'eml' : 'patch'}`),
      readFileSync(join(src, n)),
    ),
  );
  writeFileSync(join(dir, 'README.txt'), 'not a patch');
  const s = await loadSeries(dir);
  t.equal(s.source.kind, 'folder');
  t.same(
    s.patches.map((p) => p.index),
    [1, 2, 3, 4, 5],
  );
  t.equal(s.cover?.subject, 'HMM kernel-doc touch-ups');
  t.same(s.warnings, [], 'no out-of-order warning: the folder is read in N/M order');
  t.same(toSeriesJson(s), toSeriesJson(await loadSeries(src)));
});

t.test('a git range A..B of a repository, through git format-patch', async (t) => {
  const { path, base } = hmmRepo(join(work, 'range-repo'));
  for (const [i, line] of ['first', 'second'].entries()) {
    writeFileSync(join(path, 'mm/hmm.c'), `${readFileSync(join(path, 'mm/hmm.c'), 'utf8')}/* ${line} */\n`);
    gitSync(path, [
      'commit',
      '-q',
      '-a',
      '-m',
      `mm/hmm: add the ${line} comment`,
      '-m',
      `Signed-off-by: Dana Mirror <dana.mirror@example.org>`,
      '--date',
      `2024-11-0${i + 2}T00:00:00Z`,
    ]);
  }
  const s = await loadSeries(`${base.slice(0, 10)}..HEAD`, { tree: path });
  t.equal(s.source.kind, 'range');
  t.same(
    s.patches.map((p) => `${p.index}/${p.total} ${p.subject}`),
    ['1/2 mm/hmm: add the first comment', '2/2 mm/hmm: add the second comment'],
  );
  t.equal(s.baseCommit, base, 'the range start is the base-commit');
  t.same(s.patches[0]?.files, [{ path: 'mm/hmm.c', additions: 1, deletions: 0 }]);
  const noTree = await loadSeries('HEAD~2..HEAD', { cwd: work }).catch((e: unknown) => e);
  t.ok(noTree instanceof UsageError, 'a range needs --tree');
  const badRev = await loadSeries('nope..HEAD', { tree: path }).catch((e: unknown) => e);
  t.equal((badRev as HmmciError).exitCode, ExitCode.TREE);
  t.match((badRev as Error).message, /nope is not a commit there/);
  const opt = await loadSeries('--output=/tmp/x..HEAD', { tree: path }).catch((e: unknown) => e);
  t.ok(opt instanceof UsageError, 'a range end starting with "-" never reaches git as an option');
  const empty = await loadSeries('HEAD..HEAD', { tree: path }).catch((e: unknown) => e);
  t.ok(empty instanceof BadInputError);
});

t.test('a message-id without b4: MissingToolError (exit 8) naming b4 and the lore fallback', async (t) => {
  const oldPath = process.env.PATH;
  process.env.PATH = join(work, 'empty-path');
  t.teardown(() => {
    process.env.PATH = oldPath;
  });
  const err = await loadSeries('20241015111322.97514-1-thomas.hellstrom@linux.intel.com', { cwd: work }).catch(
    (e: unknown) => e,
  );
  t.ok(err instanceof MissingToolError);
  t.equal((err as HmmciError).exitCode, ExitCode.MISSING_TOOL);
  t.match((err as Error).message, /^b4 is not installed/);
  t.match(
    (err as Error).message,
    /lore\.kernel\.org\/r\/20241015111322\.97514-1-thomas\.hellstrom@linux\.intel\.com\/t\.mbox\.gz/,
  );
});

t.test('a text file with neither mail headers nor a diff: "no patch found"', async (t) => {
  const p = join(work, 'notes.txt');
  writeFileSync(p, 'Meeting notes\n\n- review the p2p series\n- ask about hmm_range_fault\n');
  const err = await loadSeries(p).catch((e: unknown) => e);
  t.ok(err instanceof BadInputError);
  t.match((err as Error).message, /notes\.txt is text, but no patch was found in it/);
  t.notMatch((err as Error).message, /bare diff/);
});

t.test('a `b4 am -o` folder: the .cover file is the cover letter (base-commit), the .mbx the patches', async (t) => {
  const s = await loadSeries(join(FIXTURES, 'b4-am-dir'));
  t.equal(s.cover?.messageId, 'cover.1795259850.git.maintainers@users.noreply.h-seed-5c875973.example');
  t.equal(s.baseCommit, 'b1590a23a729070029727ce28b209e9bec0771e2');
  t.equal(s.version, 2);
  t.same(
    s.patches.map((p) => p.index),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
  );
});
