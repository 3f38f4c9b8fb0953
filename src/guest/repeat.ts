import type { ParseResult } from '../results/parser.js';
import { BAD_STATUSES, countStatuses, type TestResult, type TestStatus } from '../results/types.js';

/** How bad a run's status is, to name the worst of a repeated test's runs. */
const SEVERITY: Record<TestStatus, number> = {
  pass: 0,
  xfail: 0,
  skip: 1,
  xpass: 2,
  notrun: 3,
  fail: 4,
  timeout: 5,
  crash: 6,
};

function median(xs: readonly number[]): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/** One test over its runs: `repeat {pass, total}` and the worst run's status, reason and output. */
export function aggregateTest(name: string, runs: readonly (TestResult | undefined)[]): TestResult {
  const idx = runs
    .map((r, i) => ({ r, i }))
    .filter((x): x is { r: TestResult; i: number } => x.r !== undefined && x.r.status !== 'notrun');
  if (idx.length === 0) {
    const last = [...runs].reverse().find((r) => r !== undefined);
    return { name, status: 'notrun', ...(last?.reason ? { reason: last.reason } : {}), repeat: { pass: 0, total: 0 } };
  }
  const bad = idx.filter((x) => BAD_STATUSES.has(x.r.status));
  const worst = idx.reduce((a, b) => (SEVERITY[b.r.status] > SEVERITY[a.r.status] ? b : a));
  const out: TestResult = { name, status: worst.r.status };
  const d = median(idx.map((x) => x.r.durationMs).filter((v): v is number => v !== undefined));
  if (d !== undefined) out.durationMs = d;
  const n = runs.length;
  if (bad.length) {
    const first = bad[0]!;
    out.reason = `${bad.length} of ${idx.length} runs bad; first, run ${first.i + 1}/${n}: ${first.r.status}${first.r.reason ? `: ${first.r.reason}` : ''}`;
    if (first.r.output) out.output = first.r.output;
  } else if (worst.r.reason) out.reason = worst.r.reason;
  out.repeat = { pass: idx.length - bad.length, total: idx.length };
  return out;
}

/**
 * Many runs of hmm-tests (iterations of one boot, or of several boots) as one result: each test
 * carries `repeat: {pass, total}` (runs where it got no verdict — killed before it started — are
 * not counted), events of every run, diagnostics prefixed with the run they came from.
 */
export function aggregateRuns(runs: readonly ParseResult[]): ParseResult {
  const first = runs[0];
  if (!first) throw new Error('aggregateRuns: no runs');
  const byRun = runs.map((r) => new Map(r.tests.map((t) => [t.name, t])));
  const names = [...new Set(runs.flatMap((r) => r.tests.map((t) => t.name)))];
  const tests = names.map((name) =>
    aggregateTest(
      name,
      byRun.map((m) => m.get(name)),
    ),
  );
  return {
    tests,
    counts: countStatuses(tests),
    events: runs.flatMap((r) => r.events),
    diagnostics: runs.flatMap((r, i) =>
      runs.length > 1 ? r.diagnostics.map((d) => ({ ...d, message: `run ${i + 1}: ${d.message}` })) : r.diagnostics,
    ),
    session: {
      ...first.session,
      ...(runs.some((r) => r.session.killed) ? { killed: runs.find((r) => r.session.killed)!.session.killed } : {}),
    },
  };
}
