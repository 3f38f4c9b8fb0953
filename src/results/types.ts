/**
 * Per-subtest results of one hmm-tests run, as `hmmci parse --json` prints them. The field names
 * are a public contract: {tests: [{name, status, durationMs?, reason?, output?}],
 * counts: {status: n}, events: [{kind, test, text}]}.
 */
export const TEST_STATUSES = ['pass', 'fail', 'skip', 'xfail', 'xpass', 'crash', 'timeout', 'notrun'] as const;
export type TestStatus = (typeof TEST_STATUSES)[number];

export const EVENT_KINDS = ['oops', 'bug', 'panic', 'warning', 'rcu_stall', 'hung_task', 'kasan', 'lockdep'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface TestResult {
  /** kselftest name as printed, e.g. `hmm.hmm_device_private.anon_read`. */
  name: string;
  status: TestStatus;
  durationMs?: number;
  /** SKIP/XFAIL reason, failure summary, or what killed it. */
  reason?: string;
  /** Non-TAP lines (assertion messages, kernel messages) printed while the test ran. */
  output?: string[];
  /**
   * `--repeat N`: of the `total` runs that gave this test a verdict, `pass` passed (pass, skip,
   * xfail, xpass: anything but fail, crash, timeout); `status` is then the worst run's.
   */
  repeat?: RepeatCount;
}

export interface RepeatCount {
  pass: number;
  total: number;
}

export interface KernelEvent {
  kind: EventKind;
  /** The test running when it happened; null when no test was running (boot, teardown). */
  test: string | null;
  /** The report's text: header line through the end of the trace. */
  text: string;
  /** Function named in the report (RIP / "at" line), when KALLSYMS resolved it. */
  function?: string;
  /** Decoded trace (scripts/decode_stacktrace.sh) when vmlinux was at hand. */
  decoded?: string;
}

export type StatusCounts = Partial<Record<TestStatus, number>>;

export interface TestRunResult {
  tests: TestResult[];
  counts: StatusCounts;
  events: KernelEvent[];
}

/** Problems the parser met (truncated output, garbled lines); recorded, never thrown. */
export interface ParseDiagnostic {
  line: number;
  message: string;
}

/** Statuses that mean "broken" for regression and bisect purposes. */
export const BAD_STATUSES: ReadonlySet<TestStatus> = new Set<TestStatus>(['fail', 'crash', 'timeout']);

export function countStatuses(tests: readonly TestResult[]): StatusCounts {
  const counts: StatusCounts = {};
  for (const t of tests) counts[t.status] = (counts[t.status] ?? 0) + 1;
  return counts;
}
