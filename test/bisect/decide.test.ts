import t from 'tap';
import { decide, estimateRemaining, log2Ceil, rangeOf } from '../../src/bisect/decide.js';
import type { Verdict } from '../../src/bisect/types.js';

/** Verdicts for commits 0..n with the ends known and `known` filled in. */
function state(n: number, known: Record<number, Verdict> = {}): (Verdict | undefined)[] {
  const v: (Verdict | undefined)[] = new Array(n + 1).fill(undefined);
  v[0] = 'good';
  v[n] = 'bad';
  for (const [i, x] of Object.entries(known)) v[Number(i)] = x;
  return v;
}

/** Drive decide() against a monotone oracle; returns the answer and how many tests it took. */
function search(n: number, firstBad: number, skip: ReadonlySet<number> = new Set()) {
  const v = state(n);
  const tested: number[] = [];
  for (;;) {
    const d = decide(v);
    if (d.kind !== 'test') return { d, tested };
    tested.push(d.index);
    v[d.index] = skip.has(d.index) ? 'skip' : d.index >= firstBad ? 'bad' : 'good';
  }
}

t.test('a skip-free bisect finds every first bad commit within ⌈log2 N⌉ tests, for all N ≤ 64', async (t) => {
  let worst = 0;
  for (let n = 1; n <= 64; n++) {
    for (let p = 1; p <= n; p++) {
      const { d, tested } = search(n, p);
      if (d.kind !== 'found' || d.index !== p) t.fail(`N=${n} p=${p}: got ${JSON.stringify(d)}`);
      if (tested.length > log2Ceil(n)) t.fail(`N=${n} p=${p}: ${tested.length} tests > ⌈log2 N⌉=${log2Ceil(n)}`);
      if (new Set(tested).size !== tested.length) t.fail(`N=${n} p=${p}: a commit was tested twice`);
      worst = Math.max(worst, tested.length - log2Ceil(n));
    }
  }
  t.equal(worst, 0, 'never more than ⌈log2 N⌉ (the issue allows ⌈log2 N⌉ + 1)');
});

t.test('a single patch needs no test at all: the tip is the first bad', async (t) => {
  t.same(decide(state(1)), { kind: 'found', index: 1, range: { good: 0, bad: 1 } });
});

t.test('the first test is the middle of the series', async (t) => {
  t.match(decide(state(12)), { kind: 'test', index: 6 });
  t.match(decide(state(12, { 6: 'bad' })), { kind: 'test', index: 3, range: { good: 0, bad: 6 } });
  t.match(decide(state(12, { 6: 'good' })), { kind: 'test', index: 9, range: { good: 6, bad: 12 } });
});

t.test('a skipped commit is stepped around, like git bisect', async (t) => {
  t.match(decide(state(12, { 6: 'skip' })), { kind: 'test', index: 5 }, 'nearest to the middle, lower on a tie');
  t.match(decide(state(12, { 6: 'skip', 5: 'skip' })), { kind: 'test', index: 7 });
  // Skips away from the boundary do not make the answer ambiguous.
  const { d } = search(16, 11, new Set([8, 4]));
  t.same(d, { kind: 'found', index: 11, range: { good: 10, bad: 11 } });
});

t.test('skips around the boundary give an ambiguous answer naming every candidate', async (t) => {
  const { d } = search(8, 5, new Set([4, 5]));
  t.same(d, { kind: 'ambiguous', candidates: [4, 5, 6], range: { good: 3, bad: 6 }, allSkipped: false });
  const tip = search(8, 8, new Set([7]));
  t.same(tip.d, { kind: 'ambiguous', candidates: [7, 8], range: { good: 6, bad: 8 }, allSkipped: false });
});

t.test('every commit between the ends skipped: all of them are candidates', async (t) => {
  const { d, tested } = search(6, 3, new Set([1, 2, 3, 4, 5]));
  t.same(d, { kind: 'ambiguous', candidates: [1, 2, 3, 4, 5, 6], range: { good: 0, bad: 6 }, allSkipped: true });
  t.same([...tested].sort(), [1, 2, 3, 4, 5], 'each was tried once');
});

t.test('the range ignores a good verdict above the lowest bad one', async (t) => {
  t.same(rangeOf(state(10, { 3: 'bad', 7: 'good', 2: 'good' })), { good: 2, bad: 3 });
});

t.test('the estimate of steps left is ⌈log2⌉ of the non-skipped candidates', async (t) => {
  t.equal(estimateRemaining(state(12)), 4);
  t.equal(estimateRemaining(state(12, { 6: 'bad' })), 3);
  t.equal(estimateRemaining(state(12, { 6: 'good', 9: 'bad', 7: 'skip' })), 1);
  t.equal(estimateRemaining(state(2, { 1: 'good' })), 0, 'done');
});
