import type { EventKind, TestStatus } from '../results/types.js';
import type { RateComparison } from './rates.js';

/** One test whose result differs between the baseline and the patched kernel. */
export interface TestChange {
  /** kselftest name, e.g. `hmm.hmm_device_private.anon_read`. */
  name: string;
  /** Status at the baseline; null when the test does not exist there (added by the series). */
  baseline: TestStatus | null;
  /** Status of the patched kernel (the agreed status when it ran several times); null when removed. */
  patched: TestStatus | null;
  /** Every patched run's status, first run first (reruns included). */
  runs: TestStatus[];
  /** The patched side's reason (failure message, skip reason), when the parser recorded one. */
  reason?: string;
  /** `--repeat N` on both sides: the failure rates and the test that decided the change. */
  rate?: RateComparison;
}

/** A kernel event (oops, WARNING…) seen on the patched side and not at the baseline. */
export interface NewEvent {
  kind: EventKind;
  /** Function named in the report, when KALLSYMS resolved it. */
  function?: string;
  /** What events are matched on: kind plus function (or the normalised first line). */
  key: string;
  /** Test running when it first happened (null: boot or teardown). */
  test: string | null;
  /** First line of the report. */
  summary: string;
  /** The full report text of the first occurrence. */
  text: string;
  /** In how many patched runs it appeared, out of `runsTotal`. */
  seenIn: number;
  runsTotal: number;
  /** True when every patched run showed it: only confirmed events count as regressions. */
  confirmed: boolean;
}

/** An event the baseline had and the patched kernel no longer shows. */
export interface GoneEvent {
  kind: EventKind;
  function?: string;
  key: string;
  summary: string;
}

export interface CompareOptions {
  /** Treat a test added by the series that fails as a regression (default true). */
  failingAddedTestRegresses?: boolean;
}

/** The per-test diff of a run: pure data, the basis of every report and of the exit status. */
export interface Comparison {
  /** Not failing at the baseline (pass, skip, xfail…), fail/crash/timeout in every patched run. */
  regressions: TestChange[];
  /** fail/crash/timeout at the baseline, passing in every patched run. */
  fixed: TestChange[];
  /** Failing on both sides. */
  stillFailing: TestChange[];
  /** Ran at the baseline, skipped on the patched kernel. */
  newSkips: TestChange[];
  /** Only on the patched side (the series changed hmm-tests). */
  added: TestChange[];
  /** Only at the baseline. */
  removed: TestChange[];
  /** Patched runs disagree with each other, or (`--repeat`) the test fails sometimes and the
   * rates do not differ significantly: not called a regression. */
  flaky: TestChange[];
  /** Ran at the baseline, never reached on the patched kernel (the suite stopped before it). */
  notRun: TestChange[];
  /** Any other status change (skip → pass, pass → xfail…). */
  otherChanges: TestChange[];
  newEvents: NewEvent[];
  goneEvents: GoneEvent[];
  /** How many patched runs were compared (1 + reruns). */
  patchedRuns: number;
  /** True when something regressed: a regression, a confirmed new kernel event, or a failing added test. */
  regressed: boolean;
  /** One line saying why (or that nothing regressed). */
  summary: string;
}
