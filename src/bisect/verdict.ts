import picomatch from 'picomatch';
import { BAD_STATUSES, type TestResult, type TestRunResult, type TestStatus } from '../results/types.js';
import type { CommitOutcome, Verdict } from './types.js';

/**
 * What "bad" means for a bisect, and the verdict of one commit under it. Pure: results in,
 * verdict out.
 *
 * Default: the target tests are those that pass at the base and fail, crash or time out at the tip
 * (BAD_STATUSES). `--test NAME` (repeatable, globs allowed) narrows that set. A commit is bad when a
 * target test is bad there, good when every target test ran and none is bad, and skipped (125)
 * otherwise: it does not build (unless `--build-failure-is-bad`), the guest gave no results, or the
 * target tests did not run.
 */

/** Does a test name match one of the `--test` patterns? A pattern matches the whole kselftest name
 * (`hmm.hmm_device_private.anon_read`) or any dot-separated tail of it (`anon_read`,
 * `hmm_device_private.anon_*`). */
export function testMatcher(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => true;
  const isMatch = picomatch([...patterns], { dot: true, nobrace: false });
  return (name) => {
    if (isMatch(name)) return true;
    for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) {
      if (isMatch(name.slice(i + 1))) return true;
    }
    return false;
  };
}

export interface Targets {
  /** Exact test names that decide the verdict. */
  names: string[];
  /** One line saying how they were chosen (shown in reports). */
  definition: string;
  /** Patterns that matched no test at all (a typo the user should hear about). */
  unmatched: string[];
  /** Tests the patterns matched that did not flip base → tip (so they cannot be bisected). */
  matchedNotFlipped: string[];
}

function statusMap(result: TestRunResult): Map<string, TestStatus> {
  return new Map(result.tests.map((t: TestResult) => [t.name, t.status]));
}

/** Tests that pass at `base` and are bad at `tip`, in the tip's order. */
export function flippedTests(base: TestRunResult, tip: TestRunResult): string[] {
  const before = statusMap(base);
  return tip.tests.filter((t) => BAD_STATUSES.has(t.status) && before.get(t.name) === 'pass').map((t) => t.name);
}

/** The target tests of a bisect from its two ends and the `--test` patterns. */
export function deriveTargets(base: TestRunResult, tip: TestRunResult, patterns: readonly string[] = []): Targets {
  const match = testMatcher(patterns);
  const flipped = flippedTests(base, tip);
  const names = flipped.filter(match);
  const all = new Set([...base.tests.map((t) => t.name), ...tip.tests.map((t) => t.name)]);
  const unmatched = patterns.filter((p) => ![...all].some((n) => testMatcher([p])(n)));
  const matchedNotFlipped = patterns.length === 0 ? [] : [...all].filter((n) => match(n) && !names.includes(n));
  const definition =
    patterns.length === 0
      ? 'a test that passes at the base and fails, crashes or times out at the tip'
      : `a test matching ${patterns.map((p) => `"${p}"`).join(', ')} that passes at the base and fails, crashes or times out at the tip`;
  return { names, definition, unmatched, matchedNotFlipped };
}

/** Targets for a base whose tip gave no results at all: every test that passed at the base. */
export function targetsForSilentTip(base: TestRunResult, patterns: readonly string[] = []): Targets {
  const match = testMatcher(patterns);
  return {
    names: base.tests.filter((t) => t.status === 'pass' && match(t.name)).map((t) => t.name),
    definition: 'the guest gives no results (it passed tests at the base and gives none at the tip)',
    unmatched: [],
    matchedNotFlipped: [],
  };
}

export interface VerdictOptions {
  /** A commit that does not build is bad instead of skipped. */
  buildFailureIsBad?: boolean;
  /** A guest that gives no results is bad (the tip itself gave none) instead of skipped. */
  noResultsIsBad?: boolean;
}

export interface CommitVerdict {
  verdict: Verdict;
  /** Target tests bad at this commit. */
  bad: string[];
  /** Target tests that did not run or were not listed. */
  missing: string[];
  /** Why it is skipped or bad without a failing test. */
  reason?: string;
}

export function verdictOf(
  outcome: CommitOutcome,
  targets: readonly string[],
  opts: VerdictOptions = {},
): CommitVerdict {
  if (outcome.kind === 'build-failure') {
    return opts.buildFailureIsBad
      ? { verdict: 'bad', bad: [], missing: [], reason: 'does not build' }
      : { verdict: 'skip', bad: [], missing: [], reason: 'does not build' };
  }
  if (outcome.kind === 'no-results') {
    return {
      verdict: opts.noResultsIsBad ? 'bad' : 'skip',
      bad: [],
      missing: [],
      reason: `no results: ${outcome.reason}`,
    };
  }
  const statuses = statusMap(outcome.result);
  const bad: string[] = [];
  const missing: string[] = [];
  for (const name of targets) {
    const s = statuses.get(name);
    if (s === undefined || s === 'notrun') missing.push(name);
    else if (BAD_STATUSES.has(s)) bad.push(name);
  }
  if (bad.length > 0) return { verdict: 'bad', bad, missing };
  if (missing.length > 0) {
    return {
      verdict: 'skip',
      bad,
      missing,
      reason: `${missing.length === 1 ? 'target test' : 'target tests'} did not run: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}`,
    };
  }
  return { verdict: 'good', bad, missing };
}

/** "Same class" comparison of one test across two boots: bad vs not bad (missing is neither). */
export function statusClass(s: TestStatus | undefined): 'bad' | 'ok' | 'unknown' {
  if (s === undefined || s === 'notrun') return 'unknown';
  return BAD_STATUSES.has(s) ? 'bad' : 'ok';
}

/** Statuses of the target tests in one outcome (empty when it has no results). */
export function targetStatuses(outcome: CommitOutcome, targets: readonly string[]): Map<string, TestStatus> {
  const out = new Map<string, TestStatus>();
  if (outcome.kind !== 'results') return out;
  const statuses = statusMap(outcome.result);
  for (const t of targets) {
    const s = statuses.get(t);
    if (s !== undefined) out.set(t, s);
  }
  return out;
}

/**
 * A target test whose result at commit `index` contradicts what was seen at its neighbours: bad
 * here although it is fine at a later commit, or fine here although it was bad at an earlier one.
 * `observed` maps tested commit indices to the target statuses seen there.
 */
export interface Contradiction {
  test: string;
  index: number;
  /** The commit it disagrees with. */
  other: number;
  here: 'bad' | 'ok';
}

export function findContradictions(
  observed: ReadonlyMap<number, ReadonlyMap<string, TestStatus>>,
  index: number,
  targets: readonly string[],
): Contradiction[] {
  const here = observed.get(index);
  if (!here) return [];
  const out: Contradiction[] = [];
  for (const test of targets) {
    const c = statusClass(here.get(test));
    if (c === 'unknown') continue;
    for (const [other, statuses] of observed) {
      if (other === index) continue;
      const o = statusClass(statuses.get(test));
      if ((c === 'bad' && o === 'ok' && other > index) || (c === 'ok' && o === 'bad' && other < index)) {
        out.push({ test, index, other, here: c });
        break;
      }
    }
  }
  return out;
}

/** Target tests whose class (bad / not bad) differs between two boots of the same kernel. */
export function disagreeing(first: CommitOutcome, second: CommitOutcome, targets: readonly string[]): string[] {
  const a = targetStatuses(first, targets);
  const b = targetStatuses(second, targets);
  return targets.filter((t) => {
    const ca = statusClass(a.get(t));
    const cb = statusClass(b.get(t));
    return ca !== 'unknown' && cb !== 'unknown' && ca !== cb;
  });
}
