import t from 'tap';
import { buildSeries, toSeriesJson } from '../../src/series/series.js';
import { parseMailBytes } from '../../src/series/load.js';
import { fixtureSeries, fixtureText } from './helpers.js';

const load = fixtureSeries;
const kinds = (s: ReturnType<typeof load>) => s.warnings.map((w) => w.kind);

t.test('benign-3: the --json contract, field by field', async (t) => {
  const j = toSeriesJson(load('benign-3.mbox'));
  t.same(Object.keys(j), ['cover', 'version', 'baseCommit', 'patches']);
  t.same(j.cover, {
    subject: 'mm/hmm, lib/test_hmm: three small cleanups',
    messageId: 'cover.1795256698.git.dana.mirror@example.org',
  });
  t.equal(j.version, 1);
  t.equal(j.baseCommit, '90664afa533cde5b8e224575342753ca5660b82d');
  t.equal(j.patches.length, 3);
  t.same(Object.keys(j.patches[0]!), ['index', 'total', 'subject', 'author', 'date', 'messageId', 'files', 'trailers']);
  t.same(j.patches[1], {
    index: 2,
    total: 3,
    subject: 'lib/test_hmm: factor out the end address of a dmirror command',
    author: 'Dana Mirror <dana.mirror@example.org>',
    date: '2024-11-04T09:05:00.000Z',
    messageId: 'a5bfaed50bc59d92a8bf3d6843ce144ccd4778ea.1795256698.git.dana.mirror@example.org',
    files: [{ path: 'lib/test_hmm.c', additions: 8, deletions: 2 }],
    trailers: [
      { key: 'Reviewed-by', value: 'Sam Reviewer <sam.reviewer@example.org>' },
      { key: 'Signed-off-by', value: 'Dana Mirror <dana.mirror@example.org>' },
    ],
  });
  t.same(
    j.patches[2]?.trailers.map((x) => x.key),
    ['Suggested-by', 'Acked-by', 'Signed-off-by'],
  );
  t.same(kinds(load('benign-3.mbox')), [], 'a clean series has no warnings');
});

t.test('the RFC: RFC prefix stripped, encoded author, Signed-off-by trailer, no cover', async (t) => {
  const s = load('rfc-p2p-allow.mbox');
  const p = s.patches[0]!;
  t.equal(s.cover, null);
  t.equal(p.subject, 'mm/hmm, mm/migrate_device: Allow p2p access and p2p migration');
  t.equal(p.rawSubject, '[RFC PATCH] mm/hmm, mm/migrate_device: Allow p2p access and p2p migration');
  t.equal(p.author, 'Thomas Hellström <thomas.hellstrom@linux.intel.com>');
  t.equal(p.messageId, '20241015111322.97514-1-thomas.hellstrom@linux.intel.com');
  t.equal(p.date, '2024-10-15T11:13:22.000Z');
  // Its six Cc lines are a paragraph of their own before the Signed-off-by: kernel tags, so trailers.
  t.same(
    p.trailers.map((x) => x.key),
    ['Cc', 'Cc', 'Cc', 'Cc', 'Cc', 'Cc', 'Signed-off-by'],
  );
  t.same(p.trailers[1], { key: 'Cc', value: 'Jason Gunthorpe <jgg@nvidia.com>' });
  t.same(p.trailers[6], { key: 'Signed-off-by', value: 'Thomas Hellström <thomas.hellstrom@linux.intel.com>' });
  t.match(p.message, /Cc: Matthew Brost <matthew\.brost@intel\.com>\n/);
  t.ok(s.touchesHmm);
});

t.test('a lore thread: the patch kept, both replies reported (one quotes hunks)', async (t) => {
  const s = load('rfc-p2p-allow-thread.mbox');
  t.equal(s.patches.length, 1);
  t.same(kinds(s), ['not-a-patch', 'not-a-patch']);
  t.match(s.warnings[0]?.message, /Jason Gunthorpe <jgg@nvidia\.com>\) is a reply/);
});

t.test('subject prefixes: mm-unstable tag, v2 with cover', async (t) => {
  const bt = load('break-test-at-2.mbox');
  t.same(
    bt.patches.map((p) => `${p.index}/${p.total}`),
    ['1/4', '2/4', '3/4', '4/4'],
  );
  t.equal(bt.patches[1]?.subject, 'lib/test_hmm: report device coherent pages as local');
  t.same(
    bt.patches[3]?.trailers.map((x) => x.key),
    ['Signed-off-by', 'Link'],
  );
  const bb = load('break-build.mbox');
  t.equal(bb.version, 2);
  t.equal(bb.cover?.subject, 'mm/hmm: name the walk restart address');
});

t.test('encodings: CRLF, quoted-printable, base64 and mboxrd parse like the originals', async (t) => {
  t.same(toSeriesJson(load('malformed/crlf-benign-3.mbox')), toSeriesJson(load('benign-3.mbox')));
  const qp = toSeriesJson(load('malformed/quoted-printable-oops.mbox'));
  const oops = toSeriesJson(load('oops.mbox'));
  t.same(qp, oops);
  t.equal(qp.patches[0]?.subject, 'lib/test_hmm: log the device memory being released');
  const b64 = toSeriesJson(load('malformed/base64-hang.mbox'));
  t.equal(b64.patches[0]?.author, 'Dana Mírror <dana.mirror@example.org>');
  t.same(b64.patches[0]?.files, toSeriesJson(load('hang.mbox')).patches[0]?.files);
  const rd = load('malformed/from-escapes.mboxrd').patches[0]!;
  t.match(rd.message, /\nFrom the caller's side nothing else is needed/);
  t.match(rd.message, /\n>From lines in a commit message are escaped/);
});

t.test('missing 2/5', async (t) => {
  const s = load('malformed/missing-patch-2-of-5.mbox');
  t.same(
    s.patches.map((p) => p.index),
    [1, 3, 4, 5],
  );
  t.same(kinds(s), ['missing-patch']);
  t.match(s.warnings[0]?.message, /Missing from the input: 2\/5/);
});

t.test('duplicate 2/5: one kept, said once', async (t) => {
  const s = load('malformed/duplicates.mbox');
  t.same(
    s.patches.map((p) => `${p.index}/${p.total}`),
    ['1/5', '2/5', '3/5', '4/5', '5/5'],
  );
  t.same(kinds(s), ['duplicate']);
  t.match(s.warnings[0]?.message, /2\/5 appears more than once .* with the same diff/);
});

t.test('mixed v2/v3: only v3 is used, and what is missing is said', async (t) => {
  const s = load('malformed/mixed-versions.mbox');
  t.equal(s.version, 3);
  t.same(
    s.patches.map((p) => p.index),
    [3, 4, 5],
  );
  t.same(kinds(s), ['mixed-versions', 'missing-patch']);
  t.match(s.warnings[0]?.message, /v2 \(1\/5, 2\/5\); v3 \(3\/5, 4\/5, 5\/5\)\. Using v3 only/);
});

t.test('out of order: sorted by N/M, said once', async (t) => {
  const s = load('malformed/out-of-order.mbox');
  t.same(
    s.patches.map((p) => p.index),
    [1, 2, 3, 4, 5],
  );
  t.same(kinds(s), ['out-of-order']);
  t.match(s.warnings[0]?.message, /4\/5, 1\/5, 5\/5, 3\/5, 2\/5/);
});

t.test('a series touching no HMM file is a warning, not an error', async (t) => {
  const s = load('malformed/non-hmm.mbox');
  t.equal(s.patches.length, 1);
  t.notOk(s.touchesHmm);
  t.same(kinds(s), ['not-hmm']);
  t.match(s.warnings[0]?.message, /mm\/mmap\.c/);
});

t.test('a truncated mbox: the cut patch is flagged, the lost one is missing', async (t) => {
  const s = load('malformed/truncated.mbox');
  t.same(
    s.patches.map((p) => p.index),
    [1, 2],
  );
  t.same(kinds(s).sort(), ['missing-patch', 'truncated']);
});

t.test('unnumbered patches take their place in the input', async (t) => {
  const one = load('one-patch.mbox');
  t.same(
    one.patches.map((p) => `${p.index}/${p.total}`),
    ['1/1'],
  );
  const two = buildSeries(
    [...load('oops.mbox').patches, ...load('hang.mbox').patches].map((p, i) => ({
      position: i + 1,
      origin: 'x',
      from: p.author,
      date: p.rawDate,
      subject: p.rawSubject,
      messageId: p.messageId,
      body: `${p.message}\n---\n${p.diff}`,
    })),
    { kind: 'mbox', input: 'x' },
  );
  t.same(
    two.patches.map((p) => `${p.index}/${p.total}`),
    ['1/2', '2/2'],
  );
});

t.test('0/N is the cover letter even with an --interdiff or --range-diff diff in it', async (t) => {
  for (const name of ['malformed/interdiff-cover.mbox', 'malformed/rangediff-cover.mbox']) {
    const s = load(name);
    t.equal(s.cover?.subject, '*** SUBJECT HERE ***', name);
    t.same(
      s.patches.map((p) => `${p.index}/${p.total} ${p.subject}`),
      ['1/2 mm/hmm: add a comment', '2/2 lib/test_hmm: add a comment'],
      name,
    );
    t.equal(s.version, 2);
    t.match(s.baseCommit, /^b[0-9a-f]{39}$/);
  }
});

t.test('an unnumbered [PATCH] fixup in a numbered thread keeps the N/M numbering and is reported', async (t) => {
  const s = load('malformed/unnumbered-fixup-in-thread.mbox');
  t.same(
    s.patches.map((p) => `${p.index}/${p.total}`),
    ['1/3', '2/3', '3/3'],
  );
  t.equal(s.cover?.subject, 'mm/hmm, lib/test_hmm: three small cleanups');
  const stray = s.warnings.filter((w) => w.kind === 'not-a-patch');
  t.equal(stray.length, 1);
  t.match(stray[0]?.message, /fixup! lib\/test_hmm.*not part of the series/);
  t.notOk(kinds(s).includes('out-of-order'));
});

t.test('a cover letter without 0/N (format-patch --no-numbered --cover-letter --base) is the cover', async (t) => {
  const s = load('malformed/no-numbered-cover.mbox');
  t.equal(s.cover?.subject, '*** SUBJECT HERE ***');
  t.equal(s.baseCommit, 'b1590a23a729070029727ce28b209e9bec0771e2');
  t.equal(s.patches.length, 3);
  t.notOk(kinds(s).includes('not-a-patch'));
});

t.test('HMM detection uses git am paths: quilt and diff -urN prefixes are stripped', async (t) => {
  for (const name of ['malformed/quilt-prefixes.patch', 'malformed/diff-urN-two-files.patch']) {
    const s = load(name);
    t.ok(s.touchesHmm, name);
    t.notOk(kinds(s).includes('not-hmm'), name);
  }
  t.same(
    load('malformed/quilt-prefixes.patch').patches[0]?.files.map((f) => f.path),
    ['include/linux/memremap.h', 'lib/test_hmm.c', 'mm/hmm.c'],
  );
});

t.test('a hand-edited hunk is reported as corrupt', async (t) => {
  const s = load('malformed/hand-edited-hunk-too-long.patch');
  t.equal(s.patches[0]?.files.length, 3);
  t.match(
    s.warnings.find((w) => w.kind === 'corrupt')?.message,
    /Patch 1\/1 .* corrupt: hunk @@ -1,4 \+1,5 @@ of lib\/test_hmm\.c/,
  );
});

t.test('a Mailman/pipermail archive: `From x at y  date` separators split, authors get their @ back', async (t) => {
  const s = load('malformed/pipermail-separators.txt');
  t.equal(s.cover?.subject, '*** SUBJECT HERE ***');
  t.equal(s.baseCommit, 'b1590a23a729070029727ce28b209e9bec0771e2');
  t.equal(s.patches.length, 12);
  t.same(
    s.patches.map((p) => p.index),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
  );
  t.equal(s.patches[0]?.author, 'Thomas Hellström <thomas.hellstrom@linux.intel.com>');
  t.notOk(kinds(s).includes('merged-messages'));
});

t.test('one message holding many header blocks (separators not recognised) is not silently one patch', async (t) => {
  const text = fixtureText('malformed/pipermail-separators.txt').replace(/^From (\S+) at /gm, 'From $1 at-');
  const s = buildSeries(parseMailBytes(Buffer.from(text), 'broken.txt'), { kind: 'mbox', input: 'broken.txt' });
  t.equal(s.patches.length, 0);
  t.match(
    s.warnings.find((w) => w.kind === 'merged-messages')?.message,
    /has 12 more mail header blocks .* separators were not recognised/,
  );
});

t.test('a v2.1 of one patch posted in the v2 thread replaces it; the series stays v2', async (t) => {
  const s = load('malformed/point-version-in-thread.mbox');
  t.equal(s.version, 2);
  t.equal(toSeriesJson(s).version, 2, 'the JSON version stays a number: the major version');
  t.equal(s.patches.length, 12);
  t.equal(s.patches[2]?.version, 2.1);
  t.notOk(kinds(s).includes('mixed-versions'));
  t.match(
    s.warnings.find((w) => w.kind === 'duplicate')?.message,
    /Patch 3\/12 appears more than once .* using v2\.1\./,
  );
});
