import type { Verdict } from './types.js';

/**
 * The binary search itself, as a pure function of what is known. `verdicts[i]` is the verdict of
 * commit i (0 = good base, N = bad tip) or undefined while untested. Like `git bisect`, the next
 * commit is the untested, non-skipped one nearest the middle of the range still in doubt, so skipped
 * commits are stepped around; when only skipped commits are left, the answer is ambiguous and names
 * every commit it could be.
 */
export type Decision =
  /** Test commit `index` next. `range` is the doubt left: the first bad commit is in (good, bad]. */
  | { kind: 'test'; index: number; range: Range }
  | { kind: 'found'; index: number; range: Range }
  /** Only skipped commits separate the last good from the first bad: it is one of `candidates`.
   * `allSkipped`: every commit between the two ends was skipped. */
  | { kind: 'ambiguous'; candidates: number[]; range: Range; allSkipped: boolean };

/** The first bad commit lies in (good, bad]. */
export interface Range {
  good: number;
  bad: number;
}

/**
 * The range still in doubt: `bad` is the lowest commit known bad, `good` the highest commit known
 * good below it. A good verdict above the lowest bad one contradicts the history; it does not move
 * the range (the driver re-runs such commits before they get here).
 */
export function rangeOf(verdicts: readonly (Verdict | undefined)[]): Range {
  const n = verdicts.length - 1;
  if (n < 1) throw new RangeError('a bisect needs at least a base and a tip');
  let bad = -1;
  for (let i = 0; i <= n; i++) {
    if (verdicts[i] === 'bad') {
      bad = i;
      break;
    }
  }
  if (bad < 0) bad = n; // the tip is bad by definition of the search
  let good = 0; // the base is good by definition of the search
  for (let i = bad - 1; i > 0; i--) {
    if (verdicts[i] === 'good') {
      good = i;
      break;
    }
  }
  return { good, bad };
}

export function decide(verdicts: readonly (Verdict | undefined)[]): Decision {
  const range = rangeOf(verdicts);
  const { good, bad } = range;
  const untested: number[] = [];
  const skipped: number[] = [];
  for (let i = good + 1; i < bad; i++) {
    const v = verdicts[i];
    if (v === undefined) untested.push(i);
    else if (v === 'skip') skipped.push(i);
  }
  if (untested.length === 0) {
    if (skipped.length === 0) return { kind: 'found', index: bad, range };
    return {
      kind: 'ambiguous',
      candidates: [...skipped, bad],
      range,
      allSkipped: good === 0 && bad === verdicts.length - 1 && skipped.length === bad - 1,
    };
  }
  return { kind: 'test', index: pickMiddle(untested, good, bad), range };
}

/**
 * The candidate nearest the middle of (good, bad]. The first bad commit is one of good+1..bad
 * (c = bad - good of them); testing good + ⌊c/2⌋ leaves at most ⌈c/2⌉ either way, so a history
 * without skips needs ⌈log2 N⌉ tests. Ties go to the lower commit.
 */
function pickMiddle(untested: readonly number[], good: number, bad: number): number {
  const mid = good + Math.floor((bad - good) / 2);
  let best = untested[0]!;
  for (const i of untested) {
    if (Math.abs(i - mid) < Math.abs(best - mid)) best = i;
  }
  return best;
}

/** About how many more tests the range needs (⌈log2 candidates⌉), for "step k of about n". */
export function estimateRemaining(verdicts: readonly (Verdict | undefined)[]): number {
  const d = decide(verdicts);
  if (d.kind !== 'test') return 0;
  let candidates = 0;
  for (let i = d.range.good + 1; i <= d.range.bad; i++) if (verdicts[i] !== 'skip') candidates++;
  return Math.max(1, Math.ceil(Math.log2(candidates)));
}

/** ⌈log2 n⌉ (0 for n ≤ 1): the number of tests a skip-free bisect of n candidates needs. */
export function log2Ceil(n: number): number {
  return n <= 1 ? 0 : Math.ceil(Math.log2(n));
}
