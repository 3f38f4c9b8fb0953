import t from 'tap';
import { cleanFiles, explainApplyFailure, formatApplyFailure } from '../../src/series/apply-report.js';
import { fixtureSeries } from './helpers.js';

function patch(name: string) {
  return fixtureSeries(name).patches[0]!;
}

// Output of `git apply --check -v --reject` (git 2.39) for these patches against 6.12.
const STALE_HMM_C = `Checking patch mm/hmm.c...
error: while searching for:
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE. See the
 * GNU General Public License for more details.

error: patch failed: mm/hmm.c:11
error: while searching for:
struct hmm {
\tstruct mm_struct *mm;
error: patch failed: mm/hmm.c:52
`;

t.test('context mismatch: each "patch failed: file:line" becomes a hunk with what git searched for', async (t) => {
  const p = patch('stale-2019-hmm-rework.mbox');
  const f = explainApplyFailure(p, { forward: STALE_HMM_C, reverseApplies: new Set() });
  t.same(
    f.map((x) => [x.file, x.hunk, x.line, x.reason]),
    [
      ['mm/hmm.c', '@@ -11,7 +11,7 @@', 11, 'context-mismatch'],
      ['mm/hmm.c', '@@ -52,7 +51,6 @@', 52, 'context-mismatch'],
    ],
  );
  t.same(f[1]?.expected, ['struct hmm {', '\tstruct mm_struct *mm;']);
  t.same(cleanFiles(p, f), []);
});

t.test('already applied: the file applies in reverse', async (t) => {
  const p = patch('one-patch.mbox');
  const out =
    'Checking patch mm/hmm.c...\nerror: while searching for:\n * without mutating them (ie causing faults).\nerror: patch failed: mm/hmm.c:577\n';
  const f = explainApplyFailure(p, { forward: out, reverseApplies: new Set(['mm/hmm.c']) });
  t.match(f, [{ file: 'mm/hmm.c', reason: 'already-applied', hunk: '@@ -577,7 +577,7 @@' }]);
  const m = formatApplyFailure(
    { index: 1, total: 1, subject: p.subject, failures: f, appliedFiles: [], gitOutput: out },
    { base: 'f'.repeat(40), reason: "the tree's baseline" },
  );
  t.match(
    m.message,
    /^Patch 1\/1 "mm\/hmm: spell out "i\.e\." in the hmm_range_fault\(\) kernel-doc" does not apply to ffffffffffff \(the tree's baseline\): mm\/hmm\.c \(1 hunk: already applied\)\. The tree already contains it/,
  );
});

t.test('file missing, with the likely new home; file exists; corrupt', async (t) => {
  const p = patch('stale-hmm-txt.mbox');
  const f = explainApplyFailure(p, {
    forward: 'Checking patch Documentation/vm/hmm.txt...\nerror: Documentation/vm/hmm.txt: No such file or directory\n',
    reverseApplies: new Set(),
    similar: new Map([['Documentation/vm/hmm.txt', ['Documentation/mm/hmm.rst']]]),
  });
  t.same(
    f.map((x) => x.explanation),
    [
      'file missing: the tree has no Documentation/vm/hmm.txt (moved or renamed? the tree has Documentation/mm/hmm.rst)',
    ],
  );
  const exists = explainApplyFailure(patch('oops.mbox'), {
    forward: 'error: lib/new.c: already exists in working directory\n',
    reverseApplies: new Set(),
  });
  t.same(
    exists.map((x) => x.reason),
    ['file-exists'],
  );
  const corrupt = explainApplyFailure(patch('oops.mbox'), {
    forward: 'error: corrupt patch at line 12\n',
    reverseApplies: new Set(),
  });
  t.same(
    corrupt.map((x) => x.reason),
    ['corrupt'],
  );
});
