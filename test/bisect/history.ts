/**
 * Synthetic histories for the bisect tests: commits 0..N whose results start from the shared
 * fixture of a stock 6.12 run (fixtures/results/baseline-58-pass.json: the 58 real hmm-tests cases
 * in harness order), with planted breakages, build failures, silent guests and flaky tests. `HistoryTester` is the
 * CommitTester the driver sees: it answers from the history and records every call.
 */
import { readFileSync } from 'node:fs';
import { countStatuses, type TestResult, type TestRunResult, type TestStatus } from '../../src/results/types.js';
import type { BisectCommit, CommitTester, CommitOutcome } from '../../src/bisect/types.js';

export function loadResults(name: string): TestRunResult {
  return JSON.parse(readFileSync(new URL(`../../fixtures/results/${name}`, import.meta.url), 'utf8')) as TestRunResult;
}

export const BASELINE = loadResults('baseline-58-pass.json');
export const HMM_TESTS: string[] = BASELINE.tests.map((t) => t.name);

export interface History {
  n: number;
  /** test → first commit where it fails (and keeps failing unless `fixes` says otherwise). */
  breaks?: Record<string, number>;
  /** test → first commit where it passes again. */
  fixes?: Record<string, number>;
  /** status a broken test shows (default fail). */
  badStatus?: TestStatus;
  buildFails?: number[];
  noResults?: number[];
  /** At commit `index`, `test` shows these statuses on successive boots (then the last one). */
  flaky?: { test: string; index: number; boots: TestStatus[] }[];
  /** Tests that do not run at these commits (notrun). */
  notRun?: { test: string; index: number }[];
}

export function commitsOf(n: number): BisectCommit[] {
  return Array.from({ length: n + 1 }, (_, i) => ({
    index: i,
    sha: i.toString(16).padStart(4, '0') + 'c0ffee'.repeat(6).slice(0, 36),
    subject: i === 0 ? 'base' : `mm/hmm: patch ${i}`,
  }));
}

export function resultsFrom(statuses: Map<string, TestStatus>): TestRunResult {
  const tests: TestResult[] = HMM_TESTS.map((name) => ({ name, status: statuses.get(name) ?? 'pass' }));
  return { tests, counts: countStatuses(tests), events: [] };
}

export class HistoryTester implements CommitTester {
  readonly calls: { index: number; rerun: boolean }[] = [];
  private boots = new Map<number, number>();
  constructor(readonly h: History) {}

  outcomeAt(index: number, boot: number): CommitOutcome {
    const h = this.h;
    if (h.buildFails?.includes(index))
      return { kind: 'build-failure', ms: 10, built: true, logPath: `/tmp/build-${index}.log` };
    if (h.noResults?.includes(index))
      return { kind: 'no-results', ms: 10, built: true, reason: 'kernel panic before the first test' };
    const statuses = new Map<string, TestStatus>();
    for (const [test, at] of Object.entries(h.breaks ?? {})) {
      const fixed = h.fixes?.[test];
      if (index >= at && (fixed === undefined || index < fixed)) statuses.set(test, h.badStatus ?? 'fail');
    }
    for (const f of h.flaky ?? []) {
      if (f.index === index) statuses.set(f.test, f.boots[Math.min(boot, f.boots.length - 1)]!);
    }
    for (const m of h.notRun ?? []) if (m.index === index) statuses.set(m.test, 'notrun');
    return { kind: 'results', result: resultsFrom(statuses), ms: 1000 + index, built: boot === 0 };
  }

  async test(commit: BisectCommit, opts: { rerun: boolean }): Promise<CommitOutcome> {
    this.calls.push({ index: commit.index, rerun: opts.rerun });
    const boot = this.boots.get(commit.index) ?? 0;
    this.boots.set(commit.index, boot + 1);
    const o = this.outcomeAt(commit.index, boot);
    return { ...o, built: !opts.rerun };
  }

  /** Builds asked of this tester (a rerun boots the built kernel again). */
  builds(): number {
    return this.calls.filter((c) => !c.rerun).length;
  }
}
