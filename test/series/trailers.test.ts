import t from 'tap';
import { parseTrailers } from '../../src/series/trailers.js';

t.test('trailer block at the end, several paragraphs (Cc block, then Signed-off-by)', async (t) => {
  const msg = 'Seeking early feedback. Any suggestions appreciated.\n\nCc: Matthew Brost <matthew.brost@intel.com>\nCc: LKML <linux-kernel@vger.kernel.org>\n\nSigned-off-by: Thomas Hellström <thomas.hellstrom@linux.intel.com>';
  t.same(parseTrailers(msg), [
    { key: 'Cc', value: 'Matthew Brost <matthew.brost@intel.com>' },
    { key: 'Cc', value: 'LKML <linux-kernel@vger.kernel.org>' },
    { key: 'Signed-off-by', value: 'Thomas Hellström <thomas.hellstrom@linux.intel.com>' },
  ]);
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
  t.same(tr.map((x) => x.key), ['Fixes', 'Reported-by', 'Suggested-by', 'Co-developed-by', 'Signed-off-by', 'Link', 'Tested-by', 'Acked-by', 'Reviewed-by', 'Signed-off-by']);
  t.equal(tr[0]?.value, '0123456789ab ("mm/hmm: something that was wrong")');
});

t.test('a message whose only paragraph is trailers; prose with a colon is not a trailer', async (t) => {
  t.same(parseTrailers('Signed-off-by: Mike Rapoport <rppt@linux.vnet.ibm.com>'), [{ key: 'Signed-off-by', value: 'Mike Rapoport <rppt@linux.vnet.ibm.com>' }]);
  t.same(parseTrailers('Note: this is prose, and it goes on\nfor two lines without being a trailer.'), []);
  t.same(parseTrailers('See https://example.org: it explains.'), []);
});
