import type { TestState } from './test-ledger.js';
import {
  countStatuses,
  type KernelEvent,
  type ParseDiagnostic,
  type TestResult,
  type TestRunResult,
  type StatusCounts,
} from './types.js';

/** What the parser learnt about the run as a whole (extra JSON fields, beside the contract's). */
export interface SessionInfo {
  /** The kernel started user space (`Run /init`, or any sentinel/TAP line was seen). */
  booted: boolean;
  /** `HMMCI-START` seen (or, without sentinels, a TAP header). */
  started: boolean;
  /** `HMMCI-EXIT status=N`: how hmm-tests exited; absent when it never returned. */
  exitStatus?: number;
  /** Test names planned by the `-l` listing printed in the log (or given by the caller). */
  planned?: number;
  /** `1..N` of the innermost TAP stream. */
  plan?: number;
  /** `# Totals:` line, as printed. */
  totals?: Record<string, number>;
  /** `# PASSED|FAILED: x / y tests passed.` */
  summary?: { verdict: string; passed: number; total: number };
  /** run_kselftest.sh nesting depth of the hmm-tests TAP stream (0 = run directly). */
  depth: number;
  /** Results of outer TAP streams (the run_kselftest.sh wrapper line). */
  wrappers: { name: string; ok: boolean; directive?: string; reason?: string }[];
  /** `HMMCI-INFO` key=value facts and `HMMCI-ERROR` messages from the guest init. */
  info: Record<string, string>;
  errors: string[];
  bail?: string;
  /** The run ended because the harness killed the guest (boot/test/run timeout): why. */
  killed?: string;
}

export interface ParseResult extends TestRunResult {
  diagnostics: ParseDiagnostic[];
  session: SessionInfo;
}

/** Everything the parser gathered, when the log has ended and every running test has settled. */
export interface ParserState {
  tests: ReadonlyMap<string, TestState>;
  planned: readonly string[] | undefined;
  /** `1..0 # SKIP why` (of hmm-tests' stream, or of the only stream there was). */
  planSkip: string | undefined;
  resultCount: number;
  session: SessionInfo;
  events: KernelEvent[];
  droppedEvents: number;
  maxEvents: number;
  diagnostics: ParseDiagnostic[];
  /** Notes not kept past the cap (read after every note of summarize is made). */
  droppedDiagnostics: () => number;
  lastLine: number;
  note: (line: number, message: string) => void;
}

/** Why a planned test never started (the reason of a `notrun`). */
export function notrunReason(s: SessionInfo): string {
  if (s.killed) return `not started: the guest was killed (${s.killed})`;
  if (s.bail) return `not started: hmm-tests bailed out (${s.bail})`;
  if (s.exitStatus !== undefined) return 'not started: hmm-tests exited first';
  return 'not started: the run ended first (kernel panic, hang or truncated log)';
}

/** The parse result: results in listing order, the planned tests that never ran, checks. */
export function summarize(st: ParserState): ParseResult {
  const tests = new Map(st.tests);
  addUnstarted(st, tests);
  const results = toResults(tests, st.planned);
  if (!results.length && st.session.wrappers.length) {
    // Outer results only, when the nested stream never appeared (/dev/stdout missing in the guest).
    for (const w of st.session.wrappers) results.push(wrapperResult(w));
    st.note(st.lastLine, 'only the run_kselftest.sh wrapper result was found: the nested hmm-tests output is missing');
  }
  const counts = countStatuses(results);
  checkTotals(st, counts);
  if (!st.session.booted)
    st.note(st.lastLine, 'the kernel never reached user space (no `Run /init`, sentinel or TAP line)');
  else if (!st.session.started && !results.length) st.note(st.lastLine, 'hmm-tests never started');
  if (st.droppedEvents)
    st.diagnostics.push({
      line: st.lastLine,
      message: `${st.droppedEvents} more kernel events after the first ${st.maxEvents} not kept`,
    });
  const dropped = st.droppedDiagnostics();
  if (dropped) st.diagnostics.push({ line: st.lastLine, message: `… ${dropped} more parser notes not kept` });
  return { tests: results, counts, events: st.events, diagnostics: st.diagnostics, session: st.session };
}

/** Planned but never started: `notrun` (or `skip` when the whole suite was skipped). */
function addUnstarted(st: ParserState, tests: Map<string, TestState>): void {
  const planned = st.planned;
  const blank = (name: string, status: TestState['status'], reason: string): TestState => ({
    name,
    output: [],
    dropped: 0,
    started: false,
    status,
    reason,
  });
  if (planned) {
    const skip = st.planSkip;
    if (skip !== undefined && !st.session.bail) st.session.bail = `whole suite skipped: ${skip}`;
    for (const name of planned) {
      if (tests.has(name)) continue;
      if (skip !== undefined && !st.resultCount) tests.set(name, blank(name, 'skip', skip));
      else tests.set(name, blank(name, 'notrun', notrunReason(st.session)));
    }
    const listed = new Set(planned);
    for (const t of tests.values())
      if (!listed.has(t.name) && t.started) st.note(st.lastLine, `${t.name} ran but is not in the -l listing`);
  } else if (st.session.plan !== undefined && st.session.plan > tests.size) {
    const seen = tests.size;
    for (let i = seen + 1; i <= st.session.plan; i++) {
      const name = `(test ${i} of ${st.session.plan}, name unknown)`;
      tests.set(name, blank(name, 'notrun', notrunReason(st.session)));
    }
    st.note(st.lastLine, `plan 1..${st.session.plan} but only ${seen} tests seen, and no -l listing names the others`);
  }
}

/** Listing order when known (the harness's run order), else the order seen. */
function toResults(tests: ReadonlyMap<string, TestState>, planned: readonly string[] | undefined): TestResult[] {
  const listed = new Set(planned ?? []);
  const order = planned ? [...planned, ...[...tests.keys()].filter((k) => !listed.has(k))] : [...tests.keys()];
  const out: TestResult[] = [];
  for (const name of order) {
    const t = tests.get(name);
    if (!t?.status) continue;
    const r: TestResult = { name: t.name, status: t.status };
    if (t.durationMs !== undefined) r.durationMs = t.durationMs;
    if (t.reason) r.reason = t.reason;
    const output = t.dropped ? [...t.output, `… ${t.dropped} more lines not kept`] : t.output;
    if (output.length) r.output = output;
    out.push(r);
  }
  return out;
}

function wrapperResult(w: SessionInfo['wrappers'][number]): TestResult {
  const status = w.ok ? (w.directive === 'SKIP' ? 'skip' : 'pass') : w.directive === 'TIMEOUT' ? 'timeout' : 'fail';
  return { name: w.name, status, ...(w.reason ? { reason: w.reason } : {}) };
}

/** hmm-tests' own `# Totals:` line against what was parsed: a mismatch is a note. */
function checkTotals(st: ParserState, counts: StatusCounts): void {
  const totals = st.session.totals;
  if (!totals) return;
  const mine = { pass: counts.pass ?? 0, skip: counts.skip ?? 0, xfail: counts.xfail ?? 0, xpass: counts.xpass ?? 0 };
  for (const k of ['pass', 'skip', 'xfail', 'xpass'] as const) {
    if (mine[k] !== totals[k])
      st.note(st.lastLine, `# Totals says ${k}:${totals[k]} but ${mine[k]} results were parsed`);
  }
}
