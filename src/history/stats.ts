import { BAD_STATUSES, type TestStatus } from '../results/types.js';

/** pass/fail of a status; skips and tests that never ran say nothing about flakiness. */
export type Outcome = 'pass' | 'fail';
export function outcomeOf(status: string): Outcome | null {
  if (BAD_STATUSES.has(status as TestStatus)) return 'fail';
  if (status === 'pass' || status === 'xfail' || status === 'xpass') return 'pass';
  return null;
}

/** One observed result of one test, in time order (job, then baseline before patched attempts). */
export interface Observation {
  job: string;
  /** base + config hash: results in one group ran the same unpatched code and config. */
  group: string;
  outcome: Outcome;
  /**
   * Evidence about the unchanged code: a fresh (not cached) baseline, or a patched attempt in a
   * job whose series did not change this test's result (no regression/fixed/added label).
   */
  evidence: boolean;
}

export interface TestStats {
  results: number;
  passed: number;
  failed: number;
  /** passed / results (0..1); NaN when nothing passed or failed. */
  passRate: number;
  /** pass↔fail changes between consecutive evidence results of one base and config. */
  flips: number;
  /** The latest results' common outcome and how many in a row. */
  streak: { outcome: Outcome; count: number } | null;
}

/** Pass rate, flips and the current streak of one test's observations (given oldest first). */
export function testStats(obs: readonly Observation[]): TestStats {
  let passed = 0;
  let failed = 0;
  let flips = 0;
  const last = new Map<string, Outcome>();
  for (const o of obs) {
    if (o.outcome === 'pass') passed++;
    else failed++;
    if (!o.evidence) continue;
    const prev = last.get(o.group);
    if (prev && prev !== o.outcome) flips++;
    last.set(o.group, o.outcome);
  }
  let streak: TestStats['streak'] = null;
  for (let i = obs.length - 1; i >= 0; i--) {
    const o = (obs[i] as Observation).outcome;
    if (!streak) streak = { outcome: o, count: 1 };
    else if (streak.outcome === o) streak.count++;
    else break;
  }
  const results = passed + failed;
  return { results, passed, failed, passRate: results ? passed / results : Number.NaN, flips, streak };
}

/**
 * What "known flaky" rests on: of the latest `window` jobs of one base and config that hold
 * evidence for the test, how many saw it fail (any attempt), and whether it ever flipped there.
 */
export function baselineFailures(
  obs: readonly Observation[],
  window = 20,
): { failed: number; of: number; flips: number } {
  const evidence = obs.filter((o) => o.evidence);
  const byJob = new Map<string, boolean>();
  for (const o of evidence) byJob.set(o.job, (byJob.get(o.job) ?? false) || o.outcome === 'fail');
  const recent = [...byJob.values()].slice(-window);
  return { failed: recent.filter(Boolean).length, of: recent.length, flips: testStats(evidence).flips };
}
