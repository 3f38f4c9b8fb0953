import type { RepeatCount } from '../results/types.js';

/**
 * Failure rates of a test run N times on each side (`--repeat N`), compared with Barnard's exact
 * unconditional test (pooled-variance Wald statistic, one-sided), the test scipy.stats.barnard_exact
 * computes. It is exact like Fisher's but does not condition on the total number of failures, so
 * it has more power at the sample sizes a CI can afford: 3/20 failing runs against 0/20 gives
 * p = 0.043 (Fisher's exact: 0.115), 1/20 against 1/20 gives p = 1.
 */
export const RATE_ALPHA = 0.05;
export const RATE_TEST = 'barnard-exact-one-sided';

/** `x` of `n` runs failed: from a {pass, total} count. */
export function failures(c: RepeatCount): number {
  return c.total - c.pass;
}

const logFact: number[] = [0];
function lf(n: number): number {
  for (let i = logFact.length; i <= n; i++) logFact[i] = logFact[i - 1]! + Math.log(i);
  return logFact[n]!;
}

function logBinom(n: number, k: number): number {
  return lf(n) - lf(k) - lf(n - k);
}

/** Pooled Wald statistic of x1/n1 against x2/n2 (0 when the pooled rate is 0 or 1). */
function wald(x1: number, n1: number, x2: number, n2: number): number {
  const p = (x1 + x2) / (n1 + n2);
  if (p <= 0 || p >= 1) return 0;
  return (x1 / n1 - x2 / n2) / Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
}

/**
 * One-sided p-value that group 1's rate (x1 of n1) is greater than group 2's (x2 of n2): the
 * probability, maximised over the common rate π, of a table at least as extreme (Wald ≥ observed).
 * π is searched on a grid of 400 points, then refined around the best one.
 */
export function barnardExact(x1: number, n1: number, x2: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return 1;
  const t0 = wald(x1, n1, x2, n2);
  const extreme: Array<[number, number]> = [];
  for (let i = 0; i <= n1; i++)
    for (let j = 0; j <= n2; j++) if (wald(i, n1, j, n2) >= t0 - 1e-12) extreme.push([i, j]);
  const at = (pi: number): number => {
    if (pi <= 0 || pi >= 1)
      return extreme.some(([i, j]) => (pi <= 0 ? i === 0 && j === 0 : i === n1 && j === n2)) ? 1 : 0;
    const lp = Math.log(pi);
    const lq = Math.log1p(-pi);
    let s = 0;
    for (const [i, j] of extreme)
      s += Math.exp(logBinom(n1, i) + logBinom(n2, j) + (i + j) * lp + (n1 - i + n2 - j) * lq);
    return s;
  };
  // The ends: π → 0 (or 1) gives the all-pass (all-fail) table probability 1.
  let best = Math.max(at(0), at(1));
  let bestPi = 0.5;
  const steps = 400;
  for (let k = 1; k < steps; k++) {
    const v = at(k / steps);
    if (v > best) {
      best = v;
      bestPi = k / steps;
    }
  }
  for (let lo = bestPi - 1 / steps, hi = bestPi + 1 / steps, r = 0; r < 40; r++) {
    const m1 = lo + (hi - lo) / 3;
    const m2 = hi - (hi - lo) / 3;
    if (at(m1) < at(m2)) lo = m1;
    else hi = m2;
  }
  best = Math.max(
    best,
    at((Math.max(1e-9, bestPi - 1 / steps) + Math.min(1 - 1e-9, bestPi + 1 / steps)) / 2),
    at(Math.min(1 - 1e-9, Math.max(1e-9, bestPi))),
  );
  return Math.min(1, best);
}

export interface RateComparison {
  baseline: RepeatCount;
  patched: RepeatCount;
  /** One-sided p-value of the direction called (worse for a regression, better for a fix). */
  p: number;
  /** 1 - p, the stated confidence of the call. */
  confidence: number;
  test: typeof RATE_TEST;
  verdict: 'regression' | 'fixed' | 'same';
}

/** Compare the failure rates of both sides: a regression or fix only when p < RATE_ALPHA. Pure. */
export function compareRates(baseline: RepeatCount, patched: RepeatCount, alpha = RATE_ALPHA): RateComparison {
  const pf = failures(patched);
  const bf = failures(baseline);
  const worse = barnardExact(pf, patched.total, bf, baseline.total);
  const better = barnardExact(bf, baseline.total, pf, patched.total);
  const round = (x: number) => Number(x.toFixed(4));
  if (worse < alpha)
    return { baseline, patched, p: round(worse), confidence: round(1 - worse), test: RATE_TEST, verdict: 'regression' };
  if (better < alpha)
    return { baseline, patched, p: round(better), confidence: round(1 - better), test: RATE_TEST, verdict: 'fixed' };
  return {
    baseline,
    patched,
    p: round(Math.min(worse, better)),
    confidence: round(1 - Math.min(worse, better)),
    test: RATE_TEST,
    verdict: 'same',
  };
}

/** "fails 3/20 patched, 0/20 baseline (Barnard's exact test, one-sided p = 0.043)". */
export function describeRates(r: RateComparison): string {
  return `fails ${failures(r.patched)}/${r.patched.total} patched, ${failures(r.baseline)}/${r.baseline.total} baseline (Barnard's exact test, one-sided p = ${r.p < 0.001 ? r.p.toExponential(1) : r.p.toFixed(3)}${r.verdict === 'same' ? ', not significant' : `, ${(r.confidence * 100).toFixed(1)}% confidence`})`;
}
