import type { KernelEvent, TestStatus } from './types.js';

/** Where the parser's notes go (line number, message). */
export type Note = (line: number, message: string) => void;

/** What the parser knows about one test while the log is read. */
export interface TestState {
  name: string;
  status?: TestStatus;
  reason?: string;
  output: string[];
  dropped: number;
  startedMs?: number;
  durationMs?: number;
  verdict?: string;
  skipReason?: string;
  terminated?: string;
  timedOut?: boolean;
  fatal?: KernelEvent;
  firstAssert?: string;
  started: boolean;
  /** The outcome of an earlier run of the same test in this log (a re-run). */
  previous?: { status: TestStatus; reason?: string };
}

/**
 * Why a test's outcome is being decided. Every status the parser gives a test that started goes
 * through `settle` with one of these, so the precedence (a fatal kernel report makes it `crash`,
 * kselftest's timeout makes it `timeout`, …) lives in one place: `resolve`.
 */
export type SettleCause =
  /** Its TAP result line (status as the line says it). */
  | { kind: 'result'; status: TestStatus; reason?: string }
  /** It will never print one: the next test began, hmm-tests exited, the wrapper ended, Bail out!. */
  | { kind: 'no-result'; why: string; timedOut?: boolean }
  /** The console ends while it runs (`killed`: a watchdog of hmmci's ended the guest). */
  | { kind: 'log-end'; killed?: string }
  /** A fatal kernel report attributed to it after it had settled. */
  | { kind: 'fatal' };

/** How bad a status is, to keep the worse outcome of a test that ran twice in one log. */
const SEVERITY: Record<TestStatus, number> = {
  pass: 0,
  skip: 0,
  xfail: 0,
  notrun: 1,
  xpass: 2,
  fail: 3,
  timeout: 4,
  crash: 5,
};

/** The one-line reason a kernel report gives a crashed test. */
export function describeEvent(ev: KernelEvent, terminated?: string): string {
  const head = ev.text.split('\n')[0] ?? '';
  const where = ev.function ? ` in ${ev.function}` : '';
  return `kernel ${ev.kind}${where}: ${head}${terminated ? ` (${terminated})` : ''}`;
}

/** The status and reason of a test for a cause, given what was seen while it ran (pure). */
export function resolve(t: TestState, cause: SettleCause): { status: TestStatus; reason?: string } {
  if (t.fatal) return { status: 'crash', reason: describeEvent(t.fatal, t.terminated) };
  switch (cause.kind) {
    case 'result': {
      if (t.timedOut) return { status: 'timeout', reason: t.terminated };
      if (cause.status === 'skip') return { status: 'skip', reason: cause.reason ?? t.skipReason };
      if (cause.status === 'fail') return { status: 'fail', reason: t.firstAssert ?? t.terminated ?? cause.reason };
      return { status: cause.status, reason: cause.reason };
    }
    case 'no-result':
      return { status: cause.timedOut || t.timedOut ? 'timeout' : 'fail', reason: t.terminated ?? cause.why };
    case 'log-end':
      return {
        status: 'timeout',
        reason: cause.killed ? `killed by hmmci: ${cause.killed}` : 'never finished: the console ends while it runs',
      };
    case 'fatal':
      return { status: t.status ?? 'crash', reason: t.reason };
  }
}

/** Every test seen, the one running now, and the rules that settle their outcomes. */
export class TestLedger {
  readonly tests = new Map<string, TestState>();
  running: TestState | undefined;
  /** The last test that finished (predicts the next case when a RUN line is lost). */
  lastFinished: string | undefined;

  constructor(
    private readonly note: Note,
    private readonly maxOutput: number,
  ) {}

  state(name: string): TestState {
    let t = this.tests.get(name);
    if (!t) {
      t = { name, output: [], dropped: 0, started: false };
      this.tests.set(name, t);
    }
    return t;
  }

  /** A line printed while a test ran is its output (up to the cap; the rest is counted). */
  attach(text: string): void {
    const t = this.running;
    if (!t) return;
    if (t.output.length < this.maxOutput) t.output.push(text);
    else t.dropped++;
  }

  /** A `#  RUN` line: t runs from now on (a test seen before keeps its earlier outcome aside). */
  begin(t: TestState, atMs: number | undefined): void {
    if (t.started && t.status) {
      t.previous = { status: t.status, reason: t.reason };
      t.fatal = undefined;
      t.timedOut = false;
      t.terminated = undefined;
      t.firstAssert = undefined;
    }
    t.started = true;
    t.status = undefined;
    t.startedMs = atMs;
    this.running = t;
  }

  /** Decide t's outcome for this cause; t stops running. */
  settle(t: TestState, cause: SettleCause, line: number): void {
    const { status, reason } = resolve(t, cause);
    t.status = status;
    t.reason = reason;
    this.keepWorse(t, line);
    if (cause.kind === 'fatal') return;
    if (this.running === t) this.running = undefined;
    if (cause.kind !== 'log-end') this.lastFinished = t.name;
  }

  /** The running test will never print its result. */
  endRunning(line: number, why: string, timedOut = false): void {
    const t = this.running;
    if (!t) return;
    this.settle(t, { kind: 'no-result', why, timedOut }, line);
    this.note(line, `${t.name}: no result line (${why})`);
  }

  /** A test that ran twice in one log keeps the worse outcome, so a failure is never hidden. */
  private keepWorse(t: TestState, n: number): void {
    const p = t.previous;
    if (!p || !t.status) return;
    t.previous = undefined;
    if (SEVERITY[p.status] > SEVERITY[t.status]) {
      this.note(n, `${t.name} ran again: ${p.status} then ${t.status}; the first (worse) outcome is kept`);
      const again = t.status;
      t.status = p.status;
      t.reason = `${p.reason ? `${p.reason}; ` : ''}re-run: ${again}`;
    } else if (p.status !== t.status) {
      this.note(n, `${t.name} ran again: ${p.status} then ${t.status}; the second (worse) outcome is kept`);
      t.reason = `${t.reason ? `${t.reason}; ` : ''}earlier run: ${p.status}`;
    }
  }

  /** The case that must be running when its RUN line was lost: the next one in listing order. */
  nextPlanned(order: readonly string[] | undefined): string | undefined {
    if (!order?.length) return undefined;
    const last = this.lastFinished;
    const from = last === undefined ? 0 : order.indexOf(last) + 1;
    if (last !== undefined && from === 0) return undefined;
    for (let i = from; i < order.length; i++) if (!this.tests.get(order[i]!)?.status) return order[i];
    return undefined;
  }
}
