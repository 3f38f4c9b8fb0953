import t from 'tap';
import { renderApplyText, renderSeriesText, summariseWarnings } from '../../src/series/render.js';
import type { SeriesWarning } from '../../src/series/types.js';
import { fixtureSeries } from './helpers.js';

const load = fixtureSeries;

t.test('series show: header, one row per patch with files and trailer keys', async (t) => {
  const text = renderSeriesText(load('benign-3.mbox'), { width: 100 });
  const lines = text.split('\n');
  t.equal(lines[0], 'Series:  mm/hmm, lib/test_hmm: three small cleanups');
  t.equal(lines[2], 'Version: v1, 3 patches + cover letter');
  t.equal(lines[4], 'Base:    90664afa533cde5b8e224575342753ca5660b82d');
  t.match(
    text,
    /\n1\/3 +mm\/hmm: document the restart address in struct hmm_vma_walk +Dana Mirror +\+4 -0\n +mm\/hmm\.c \+4 -0\n +Signed-off-by\n/,
  );
  t.match(text, /\n +Suggested-by, Acked-by, Signed-off-by\n/);
  t.notMatch(text, /Warnings:/);
  t.ok(
    lines.every((l) => l.length <= 100),
    'fits the width',
  );
});

t.test('series show: warnings listed under the table', async (t) => {
  const text = renderSeriesText(load('malformed/mixed-versions.mbox'));
  t.match(text, /\nWarnings:\n  - The input mixes versions of the series: v2 \(1\/5, 2\/5\); v3/);
  t.match(renderSeriesText(load('benign-3.mbox')), /\n +Reviewed-by, Signed-off-by\n/);
});

t.test('apply: worktree, base and reason, one line per commit', async (t) => {
  const text = renderApplyText(
    {
      worktree: '/c/wt',
      base: 'a'.repeat(40),
      baseReason: "the tree's baseline",
      commits: [{ sha: 'b'.repeat(40), index: 1, subject: 'x' }],
    },
    { total: 1 },
  );
  t.equal(text, `Worktree: /c/wt\nBase:     ${'a'.repeat(40)} (the tree's baseline)\n  bbbbbbbbbbbb 1/1 x\n`);
});

t.test('a long thread: replies summarised in one line, --verbose lists them all', async (t) => {
  const s = load('rfc-p2p-allow-thread.mbox');
  const many = {
    ...s,
    warnings: Array.from({ length: 4571 }, (_, i): SeriesWarning => ({
      kind: 'not-a-patch',
      message: `reply ${i + 1}; ignored.`,
    })).concat(s.warnings.filter((w) => w.kind !== 'not-a-patch')),
  };
  const short = summariseWarnings(many.warnings);
  t.equal(short.length, 1);
  t.match(
    short[0]?.message,
    /^4571 mails that are not patches of the series .* were ignored; first: reply 1; ignored\. \(--verbose lists them all\)$/,
  );
  t.equal(summariseWarnings(many.warnings, { verbose: true }).length, 4571);
  t.equal(
    renderSeriesText(many)
      .split('\n')
      .filter((l) => l.startsWith('  - ')).length,
    1,
  );
  t.equal(summariseWarnings(s.warnings).length, s.warnings.length, 'two replies are listed as they are');
});

t.test('a cover letter without Message-ID is not printed as <>', async (t) => {
  const text = renderSeriesText(load('malformed/no-numbered-cover.mbox'));
  t.match(text, /\nCover: +\(no Message-ID\)\n/);
  t.notMatch(text, /<>/);
});
