import t from 'tap';
import {
  changeRows,
  compactRows,
  headline,
  passText,
  repeatLine,
  shortSha,
  type ChangeRow,
} from '../../src/report/changes.js';
import { compareResults } from '../../src/compare/index.js';
import { record, result } from './records.js';

t.test('a regression confirmed by its rerun comes first, with both runs', async (t) => {
  const c = compareResults(result('baseline-58-pass'), [
    result('patched-coherent-remote-snapshot-fails'),
    result('patched-coherent-remote-snapshot-fails'),
  ]);
  const rows = changeRows(c);
  t.equal(rows[0]?.label, 'REGRESSION');
  t.equal(rows[0]?.name, 'hmm2.hmm2_device_coherent.snapshot');
  t.equal(rows[0]?.baseline, 'pass');
  t.equal(rows[0]?.patched, 'fail,fail', 'several runs are listed in order');
  t.ok(rows.every((r) => r.label !== 'FIXED'));
});

t.test('an oops: the crashed test, a NEW EVENT row naming the function and the test, then NOT RUN', async (t) => {
  const rows = changeRows(
    compareResults(result('baseline-58-pass'), [result('patched-oops-in-migrate-vma-collect-pmd')]),
  );
  const labels = [...new Set(rows.map((r) => r.label))];
  t.same(labels.slice(0, 2), ['REGRESSION', 'NEW EVENT'], 'regressions, then kernel events');
  const ev = rows.find((r) => r.label === 'NEW EVENT')!;
  t.match(ev.name, /^(oops|bug) in \w+/);
  t.equal(ev.baseline, '-');
  t.match(ev.patched, /^1\/1 runs$/);
  t.match(ev.note, /\(during hmm/);
  const notRun = rows.filter((r) => r.label === 'NOT RUN');
  const compact = compactRows(rows);
  if (notRun.length > 3) {
    const one = compact.filter((r) => r.label === 'NOT RUN');
    t.equal(one.length, 1, 'a long run of NOT RUN rows becomes one line');
    t.equal(one[0]!.name, `${notRun.length} tests from ${notRun[0]!.name} on`);
    t.equal(compact.length, rows.length - notRun.length + 1);
  } else t.same(compact, rows);
});

t.test('row order is the reading order: fixed last, flaky before new skips', async (t) => {
  const order: ChangeRow['label'][] = [
    'REGRESSION',
    'NEW EVENT',
    'ADDED',
    'FLAKY',
    'NOT RUN',
    'NEW SKIP',
    'REMOVED',
    'CHANGED',
    'FIXED',
    'EVENT GONE',
  ];
  // The failing baseline against a clean run: every change is a fix.
  const fixedRows = changeRows(
    compareResults(result('baseline-thp-always-4-fail-per-variant'), [result('baseline-58-pass')]),
  );
  t.ok(fixedRows.length > 0);
  t.ok(
    fixedRows.every((r) => r.label === 'FIXED'),
    'only FIXED rows',
  );
  const mixed = changeRows(
    compareResults(result('baseline-thp-always-4-fail-per-variant'), [
      result('patched-oops-in-migrate-vma-collect-pmd'),
    ]),
  );
  const idx = mixed.map((r) => order.indexOf(r.label));
  t.same(
    idx,
    [...idx].sort((a, b) => a - b),
    'labels appear in the documented order',
  );
});

t.test('few NOT RUN rows are kept as they are', async (t) => {
  const rows: ChangeRow[] = [
    { label: 'REGRESSION', name: 'a', baseline: 'pass', patched: 'fail' },
    { label: 'NOT RUN', name: 'b', baseline: 'pass', patched: 'notrun' },
    { label: 'NOT RUN', name: 'c', baseline: 'pass', patched: 'notrun' },
  ];
  t.same(compactRows(rows), rows);
  t.not(compactRows(rows), rows, 'a copy, not the same array');
});

t.test('headline: the verdict, or why there is none', async (t) => {
  const r = record('baseline-58-pass', ['patched-coherent-remote-snapshot-fails']);
  t.equal(headline(r), r.comparison!.summary);
  t.equal(headline({ ...r, status: 'interrupted' }), 'interrupted before it finished');
  t.equal(
    headline({ ...r, error: { message: 'the build failed', exitCode: 5 } as never }),
    'stopped: the build failed',
  );
  t.equal(headline({ ...r, comparison: undefined as never }), 'no comparison');
  t.equal(shortSha('0123456789abcdef0123'), '0123456789ab');
});

t.test('--repeat: k/N text, and the repeat line only when a side was repeated', async (t) => {
  t.equal(passText({ pass: 17, total: 20 }), '17/20 pass');
  const plain = record('baseline-58-pass', ['baseline-58-pass']);
  t.equal(repeatLine(plain), undefined, 'no --repeat: no line');
  const patched = result('baseline-58-pass');
  patched.tests = patched.tests.map((x, i) => ({ ...x, repeat: { pass: 5, total: i === 0 ? 7 : 5 } }));
  const repeated = record('baseline-58-pass', ['baseline-58-pass'], { patched });
  t.match(
    repeatLine(repeated),
    /^--repeat: each test ran up to 7 times patched, - at the baseline \(k\/N = runs passed of runs with a verdict\)/,
    'the most runs of any test on the patched side; "-" for a baseline run once',
  );
  t.match(repeatLine(repeated), /Barnard's exact test, one-sided, α = 0\.05$/);
});
