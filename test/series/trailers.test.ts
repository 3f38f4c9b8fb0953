import t from 'tap';
import { parseTrailers } from '../../src/series/trailers.js';

t.test(
  'a Cc block separated from the Signed-off-by by a blank line is part of the trailers (kernel tags only)',
  async (t) => {
    // git interpret-trailers --parse prints only the Signed-off-by here; a kernel developer (and the
    // issue: "trailers … Cc") counts the Cc lines too. Only paragraphs made entirely of kernel tags join.
    const msg =
      'Seeking early feedback. Any suggestions appreciated.\n\nCc: Matthew Brost <matthew.brost@intel.com>\nCc: LKML <linux-kernel@vger.kernel.org>\n\nSigned-off-by: Thomas Hellström <thomas.hellstrom@linux.intel.com>';
    t.same(parseTrailers(msg), [
      { key: 'Cc', value: 'Matthew Brost <matthew.brost@intel.com>' },
      { key: 'Cc', value: 'LKML <linux-kernel@vger.kernel.org>' },
      { key: 'Signed-off-by', value: 'Thomas Hellström <thomas.hellstrom@linux.intel.com>' },
    ]);
    t.same(
      parseTrailers('Explain.\n\nCc: A <a@x>\nSee: the docs\n\nSigned-off-by: A <a@x>'),
      [{ key: 'Signed-off-by', value: 'A <a@x>' }],
      'a paragraph with a non-tag line stays prose',
    );
    t.same(
      parseTrailers('Cc: A <a@x>\n\nSigned-off-by: A <a@x>').map((x) => x.key),
      ['Signed-off-by'],
      'the first paragraph (the body start) is never taken',
    );
  },
);

t.test('git\'s 25% rule: notes inside the block are allowed, earlier "Key: value" paragraphs are prose', async (t) => {
  const sob = { key: 'Signed-off-by', value: 'A <a@x>' };
  t.same(
    parseTrailers(
      'mm/hmm: speed up\n\nNumbers on a 64-core box:\n\nBefore: 123 ms\nAfter: 45 ms\n\nSigned-off-by: A <a@x>',
    ),
    [sob],
    'benchmark numbers',
  );
  t.same(parseTrailers('Explain.\n\nNote: this depends on the p2p series.\n\nSigned-off-by: A <a@x>'), [sob]);
  t.same(
    parseTrailers(
      'Explain.\n\nSigned-off-by: A <a@x>\n[akpm@linux-foundation.org: fix build]\nSigned-off-by: Andrew Morton <akpm@linux-foundation.org>',
    ),
    [sob, { key: 'Signed-off-by', value: 'Andrew Morton <akpm@linux-foundation.org>' }],
    "akpm's [note] between sign-offs",
  );
  t.same(
    parseTrailers(
      'Explain.\n\nSigned-off-by: A <a@x>\n(cherry picked from commit 1234567890abcdef1234567890abcdef12345678)',
    ),
    [sob],
    'cherry-pick line',
  );
  t.same(
    parseTrailers('Explain.\n\nSigned-off-by: A <a@x>\nfoo bar\nbaz\nqux'),
    [sob],
    'one trailer in four lines is 25%: still a block',
  );
  t.same(
    parseTrailers('Explain.\n\nNote: x\nfoo bar\nbaz\nqux'),
    [],
    'no recognised trailer and non-trailer lines: prose',
  );
  t.same(parseTrailers('Explain.\n\nExample:\n  hmm_range_fault(&range);'), [], 'code after a colon');
});

t.test('every key of the issue, canonical case, continuation lines, a stray note', async (t) => {
  const msg = [
    'Fix the thing.',
    '',
    'Fixes: 0123456789ab ("mm/hmm: something that was',
    '  wrong")',
    'reported-by: R <r@example.org>',
    'Suggested-by: S <s@example.org>',
    'Co-developed-by: C <c@example.org>',
    'Signed-off-by: C <c@example.org>',
    '[ reworded the message ]',
    'Link: https://lore.kernel.org/r/x@y',
    'Tested-by: T <t@example.org>',
    'Acked-by: A <a@example.org>',
    'Reviewed-by: V <v@example.org>',
    'Signed-off-by: M <m@example.org>',
  ].join('\n');
  const tr = parseTrailers(msg);
  t.same(
    tr.map((x) => x.key),
    [
      'Fixes',
      'Reported-by',
      'Suggested-by',
      'Co-developed-by',
      'Signed-off-by',
      'Link',
      'Tested-by',
      'Acked-by',
      'Reviewed-by',
      'Signed-off-by',
    ],
  );
  t.equal(tr[0]?.value, '0123456789ab ("mm/hmm: something that was wrong")');
});

t.test('a message whose only paragraph is trailers; prose with a colon is not a trailer', async (t) => {
  t.same(parseTrailers('Signed-off-by: Mike Rapoport <rppt@linux.vnet.ibm.com>'), [
    { key: 'Signed-off-by', value: 'Mike Rapoport <rppt@linux.vnet.ibm.com>' },
  ]);
  t.same(parseTrailers('Note: this is prose, and it goes on\nfor two lines without being a trailer.'), []);
  t.same(parseTrailers('See https://example.org: it explains.'), []);
});
