import { type LineOf, type TapLine } from './grammar.js';
import { EventCollector, MAX_EVENTS, type ClosedEvent } from './event-collector.js';
import { consoleLines, consoleLinesAsync, type ConsoleLine } from './line-stream.js';
import { parseListing } from './listing.js';
import { matchSentinel, type SentinelLine } from './sentinels.js';
import { StreamTracker, type StreamHost, type TapStream } from './stream-tracker.js';
import { summarize, type ParseResult, type SessionInfo } from './summarize.js';
import { TestLedger, type TestState } from './test-ledger.js';
import type { KernelEvent, ParseDiagnostic, TestRunResult, TestStatus } from './types.js';

export type { ParseResult, SessionInfo } from './summarize.js';

export interface ParseOptions {
  /** Planned test names (from `hmm-tests -l` on the host) when the log has no listing. */
  plan?: readonly string[];
  /** Set when the guest was killed by a watchdog: the test running then is `timeout`, and why. */
  killed?: string;
  /** Cap of output lines kept per test (the rest is counted). Default 400. */
  maxOutputLines?: number;
}

const MAX_DIAGNOSTICS = 200;

/** The status a TAP result line gives (before what was seen while the test ran is weighed). */
function lineStatus(c: LineOf<'result'>): TestStatus {
  if (c.ok)
    return c.directive === 'SKIP'
      ? 'skip'
      : c.directive === 'XFAIL'
        ? 'xfail'
        : c.directive === 'XPASS'
          ? 'xpass'
          : 'pass';
  return c.directive === 'TIMEOUT' ? 'timeout' : 'fail';
}

/**
 * The task name (`Comm:`, 15 characters at most) of hmm-tests: `hmm-tests` in our initramfs, the
 * cached binary `hmm-tests-<hash>` (cut to `hmm-tests-51898`) under vng, which runs it from the host.
 */
const HMM_TESTS_COMM_RE = /^hmm-tests(?:-[0-9a-f]*)?$/;

/** TH_LOG(): "# file.c:123:test_name:message" (the 5.8/5.9 harness printed it without the `# `). */
const TH_LOG_RE = /^(?:# )?(?:[\w./-]*\/)?(?<file>[\w.-]+\.c):(?<line>\d+):\w+:(?<msg>.*)$/;

/**
 * Streaming console parser: feed it cleaned lines one at a time (live from QEMU, or from a saved
 * log), then `finish()`. It never throws on bad input: what it cannot make sense of becomes a
 * diagnostic, and non-TAP lines are kept as output of the test that was running.
 *
 * The work is split between named parts: `StreamTracker` decides which TAP stream is hmm-tests',
 * `TestLedger` keeps each test's state and settles its status in one place, `EventCollector`
 * reads kernel reports, and `summarize` turns the final state into the result. This class routes
 * lines between them and handles the hmm-tests grammar (`hmmLine`).
 */
export class ConsoleParser implements StreamHost {
  private readonly diagnostics: ParseDiagnostic[] = [];
  private droppedDiagnostics = 0;
  private readonly ledger: TestLedger;
  private readonly collector: EventCollector;
  private readonly tracker: StreamTracker;
  /** A test a fatal report was attributed to by prediction (its RUN line was not seen). */
  private predicted: { t: TestState; event: KernelEvent; line: number } | undefined;
  private resultCount = 0;
  /** `1..0 # SKIP why` in hmm-tests' stream: the whole suite skipped. */
  private planSkip: string | undefined;
  /** Lines of the `hmm-tests -l` listing while it is being printed. */
  private listing: string[] | undefined;
  plannedNames: readonly string[] | undefined;
  private lastLine = 0;
  private finished = false;
  private killedReason: string | undefined;
  readonly session: SessionInfo = { booted: false, started: false, depth: 0, wrappers: [], info: {}, errors: [] };

  constructor(opts: ParseOptions = {}) {
    this.plannedNames = opts.plan;
    this.killedReason = opts.killed;
    this.ledger = new TestLedger((n, m) => this.note(n, m), opts.maxOutputLines ?? 400);
    this.collector = new EventCollector((text) => this.ledger.attach(text));
    this.tracker = new StreamTracker(this);
  }

  /** The harness killed the guest (watchdog): the running test becomes `timeout`, with this reason. */
  markKilled(reason: string): void {
    this.killedReason = reason;
  }

  /** The test running now (the watchdog names it when it kills the guest). */
  get current(): string | undefined {
    return this.ledger.running?.name;
  }

  /** Number of results seen so far (progress). */
  get completed(): number {
    return this.resultCount;
  }

  get plannedCount(): number | undefined {
    return this.plannedNames?.length ?? this.session.plan;
  }

  feed(line: ConsoleLine): void {
    this.lastLine = line.n;
    if (this.collector.isOpen) {
      const verdict = this.collector.offer(line, this.tracker.depth);
      if (verdict !== 'taken') this.attribute(this.collector.close()!);
      if (verdict !== 'closed') return;
    }
    if (this.collector.tryOpen(line, this.ledger.running?.name)) return;
    if (this.listing) {
      this.listingLine(line);
      return;
    }
    const sentinel = matchSentinel(line.text);
    if (sentinel) {
      this.onSentinel(sentinel, line);
      return;
    }
    if (/^Run \/\S+ as init process/.test(line.text)) this.session.booted = true;
    // printk wrote it: the kernel's own KTAP (KUnit at boot) or a kernel message, never hmm-tests.
    if (line.kernelTime !== undefined) this.ledger.attach(line.text);
    else if (this.tracker.feed(line)) this.session.booted = true;
  }

  note(line: number, message: string): void {
    if (this.diagnostics.length < MAX_DIAGNOSTICS) this.diagnostics.push({ line, message });
    else this.droppedDiagnostics++;
  }

  output(text: string): void {
    this.ledger.attach(text);
  }

  /** A line between HMMCI-LIST-BEGIN and HMMCI-LIST-END. */
  private listingLine(line: ConsoleLine): void {
    if (matchSentinel(line.text)?.kind !== 'listEnd') {
      // A kernel message keeps its raw form: what the listing printed before it on the same
      // row (its leading columns) belongs in front of the next line (see parseListing).
      this.listing!.push(line.kernelTime === undefined ? line.text : line.raw);
      return;
    }
    const names = parseListing(this.listing!.join('\n'));
    this.listing = undefined;
    if (names.length) {
      this.plannedNames = names;
      this.session.planned = names.length;
    } else this.note(line.n, 'the hmm-tests -l listing between the HMMCI-LIST markers named no tests');
  }

  private onSentinel({ kind, rest }: SentinelLine, line: ConsoleLine): void {
    this.session.booted = true;
    switch (kind) {
      case 'info':
        for (const m of rest.matchAll(/(\w+)=(\S*)/g)) this.session.info[m[1]!] = m[2]!;
        return;
      case 'error':
        this.session.errors.push(rest.trim());
        this.note(line.n, `guest init: ${rest.trim()}`);
        return;
      case 'listBegin':
        this.listing = [];
        return;
      case 'start':
        this.session.started = true;
        this.tracker.announce(rest.trim().split(/\s+/)[0] ?? '');
        return;
      case 'killed':
        this.markKilled(rest.trim() || 'killed by hmmci');
        return;
      case 'exit': {
        const m = /status=(-?\d+)/.exec(rest);
        if (m) this.session.exitStatus = Number(m[1]);
        this.ledger.endRunning(line.n, 'hmm-tests exited before this test printed a result');
        return;
      }
      case 'listEnd':
        return;
    }
  }

  adopted(s: TapStream, again: boolean): void {
    if (again)
      this.note(
        this.lastLine,
        'a second hmm-tests TAP stream: hmm-tests ran again in this log; the worse outcome of each test is kept',
      );
    this.resultCount = 0;
    this.session.depth = s.depth;
    this.session.plan = s.plan;
    this.session.started = true;
    this.session.booted = true;
    if (s.planSkip) this.session.bail = `whole suite skipped: ${s.planSkip}`;
  }

  wrapperResult(c: LineOf<'result'>, line: ConsoleLine): void {
    const w = { name: c.name, ok: c.ok, directive: c.directive, reason: c.reason || c.note || undefined };
    this.session.wrappers.push(w);
    const why = `the wrapper ${w.name} ended${w.directive ? ` (${w.directive}${w.reason ? ` ${w.reason}` : ''})` : ''} before this test printed a result`;
    this.ledger.endRunning(line.n, why, w.directive === 'TIMEOUT');
  }

  /** A line of hmm-tests' own TAP stream. */
  hmmLine(c: TapLine, inner: string, line: ConsoleLine): void {
    switch (c.type) {
      case 'plan':
        this.session.plan ??= c.count;
        if (this.tracker.hmm && this.tracker.hmm.plan === undefined) this.tracker.hmm.plan = c.count;
        if (c.skip !== undefined) {
          this.session.bail = `whole suite skipped: ${c.skip}`.trim();
          this.planSkip = c.skip || 'skipped';
        }
        return;
      case 'starting':
        this.session.started = true;
        return;
      case 'run':
        this.onRun(c.name, line);
        return;
      case 'verdict': {
        const t = this.ledger.tests.get(c.name);
        if (t) t.verdict = c.verdict;
        else this.note(line.n, `verdict ${c.verdict} for ${c.name}, which never started`);
        return;
      }
      case 'result':
        this.onResult(c, line);
        return;
      case 'old_result':
        // The 5.8/5.9 harness: `[       OK ] name` / `[     FAIL ] name` is the result line.
        this.onResult({ type: 'result', ok: c.verdict === 'OK', num: this.resultCount + 1, name: c.name }, line);
        return;
      default:
        this.sessionLine(c, inner, line);
    }
  }

  /** The rest of hmm-tests' grammar: summaries, totals, bail-outs, skip reasons, TH_LOG output. */
  private sessionLine(c: TapLine, inner: string, line: ConsoleLine): void {
    const running = this.ledger.running;
    switch (c.type) {
      case 'summary':
        this.session.summary = {
          verdict: c.verdict ?? (c.passed === c.total ? 'PASSED' : 'FAILED'),
          passed: c.passed,
          total: c.total,
        };
        return;
      case 'totals':
        this.session.totals = { ...c.counts };
        return;
      case 'planned_mismatch':
        this.note(line.n, `hmm-tests planned ${c.planned} tests but ran ${c.run}`);
        return;
      case 'bail':
        this.session.bail = c.reason || 'Bail out!';
        this.ledger.endRunning(line.n, `Bail out! ${c.reason}`.trim());
        return;
      case 'skip_reason':
        if (running) running.skipReason = c.reason;
        break;
      case 'terminated': {
        const t = this.ledger.tests.get(c.name) ?? running;
        if (t) {
          t.terminated = c.what;
          if (/timeout/.test(c.what)) t.timedOut = true;
        }
        break;
      }
      case 'comment':
      case 'other':
        this.thLog(c.type === 'comment', inner, line);
        break;
      default:
        break;
    }
    this.ledger.attach(inner);
  }

  /** TH_LOG(): the first assertion message of a test is its failure's reason. */
  private thLog(comment: boolean, inner: string, line: ConsoleLine): void {
    const running = this.ledger.running;
    if (comment && !inner.startsWith('# ')) return;
    const th = TH_LOG_RE.exec(inner);
    if (!running || !th) return;
    const msg = th.groups!.msg!;
    const where = `${th.groups!.file}:${th.groups!.line}: ${msg}`;
    if (comment) running.firstAssert ??= where;
    else if (/^Test terminated/.test(msg)) running.terminated ??= msg;
    else if (line.kernelTime === undefined) running.firstAssert ??= where;
  }

  private onRun(name: string, line: ConsoleLine): void {
    const running = this.ledger.running;
    if (running && running.name !== name)
      this.ledger.endRunning(line.n, `the next test (${name}) started before this one printed a result`);
    const t = this.ledger.state(name);
    const p = this.predicted;
    this.predicted = undefined;
    if (p && p.t === t && !t.status && (line.startN ?? line.n) > p.line) {
      // Its RUN line comes after the report (and did not begin before it, cut in two by the
      // report): the report was not during this test after all.
      p.event.test = null;
      t.fatal = undefined;
      this.ledger.running = undefined;
      this.note(line.n, `${name} started after the kernel ${p.event.kind} attributed to it: attribution withdrawn`);
    }
    if (this.ledger.running === t) return;
    this.ledger.begin(t, line.atMs);
  }

  private onResult(c: LineOf<'result'>, line: ConsoleLine): void {
    this.resultCount++;
    if (c.num !== this.resultCount)
      this.note(line.n, `result number ${c.num} out of sequence (expected ${this.resultCount})`);
    const name = this.resultName(c, line);
    const t = this.ledger.state(name);
    if (this.ledger.running && this.ledger.running !== t)
      this.ledger.endRunning(line.n, `a result for ${name} arrived before this test printed one`);
    t.started = true;
    this.ledger.settle(t, { kind: 'result', status: lineStatus(c), reason: c.reason || c.note || undefined }, line.n);
    if (t.startedMs !== undefined && line.atMs !== undefined) t.durationMs = line.atMs - t.startedMs;
  }

  /** The test a result line is for: its name, or the running test's when the name is missing or garbled. */
  private resultName(c: LineOf<'result'>, line: ConsoleLine): string {
    const name = c.name.trim();
    const run = this.ledger.running;
    if (!name) {
      // The harness before 6.9 printed `ok 27 # SKIP why` without the test's name: it is the
      // test that is running (its `#  RUN` line named it).
      if (run) return run.name;
      const guess = this.ledger.nextPlanned(this.plannedNames) ?? `(result ${c.num}, name not printed)`;
      this.note(line.n, `result ${c.num} has no test name and no test was running: taken as ${guess}`);
      return guess;
    }
    const garbled = this.plannedNames
      ? !this.plannedNames.includes(name)
      : run?.name.startsWith(name) || /\s/.test(name);
    if (run && name !== run.name && garbled) {
      // A result line cut short or garbled (console truncated, a kernel message written into it):
      // the running test's name, from its complete RUN line, is the one to trust.
      this.note(
        line.n,
        `result ${c.num} names "${name}", not a planned case: taken as the running test ${run.name} (line cut or garbled)`,
      );
      return run.name;
    }
    return name;
  }

  /** A kernel report has ended: which test it happened in, and what it does to that test. */
  private attribute(ev: ClosedEvent): void {
    let predicted: TestState | undefined;
    if (ev.test === null && ev.fatal && this.tracker.hmm && this.session.exitStatus === undefined)
      predicted = this.attributeLost(ev);
    const event: KernelEvent = {
      kind: ev.kind,
      test: ev.test,
      text: ev.text,
      ...(ev.function ? { function: ev.function } : {}),
    };
    if (predicted) this.predicted = { t: predicted, event, line: ev.line };
    this.collector.keep(event);
    if (!ev.fatal || !ev.test) return;
    const t = this.ledger.tests.get(ev.test);
    if (!t || t.fatal) return;
    t.fatal = event;
    // A result already printed (the oops hit after the test's own verdict came out, but while it
    // was still the running test) is overridden too.
    if (t.status && t.status !== 'crash') this.ledger.settle(t, { kind: 'fatal' }, ev.line);
  }

  /**
   * A fatal report while no test was running by our reading. Either the console printed it late,
   * after the result of the test it killed (that test died by a signal), or the next test's RUN
   * line was cut off or lost in the report: then, when the report's task is hmm-tests, it is the
   * next case in listing order (withdrawn if its RUN line comes later). Returns the predicted test.
   */
  private attributeLost(ev: ClosedEvent): TestState | undefined {
    const comm = /\bComm: (\S+)/.exec(ev.text)?.[1];
    const lastName = this.ledger.lastFinished;
    const last = lastName === undefined ? undefined : this.ledger.tests.get(lastName);
    const next =
      comm === undefined || HMM_TESTS_COMM_RE.test(comm) ? this.ledger.nextPlanned(this.plannedNames) : undefined;
    if (last && !last.fatal && /signal/.test(last.terminated ?? '')) {
      ev.test = last.name;
      this.note(
        ev.line,
        `kernel ${ev.kind} after ${last.name} printed its result; it died by a signal: attributed to it`,
      );
      return undefined;
    }
    if (!next) return undefined;
    ev.test = next;
    const predicted = this.ledger.state(next);
    predicted.started = true;
    this.ledger.running = predicted;
    this.note(
      ev.line,
      `kernel ${ev.kind} while no test was running by the console; its RUN line was lost: attributed to ${next}, the next case in listing order${comm ? ' (Comm: hmm-tests)' : ''}`,
    );
    return predicted;
  }

  finish(): ParseResult {
    if (this.finished) throw new Error('ConsoleParser.finish() called twice');
    this.finished = true;
    if (this.listing) {
      this.note(this.lastLine, 'the log ends inside the hmm-tests -l listing');
      const names = parseListing(this.listing.join('\n'));
      if (names.length) this.plannedNames = names;
      this.listing = undefined;
    }
    const open = this.collector.close();
    if (open) this.attribute(open);
    const t = this.ledger.running;
    if (t) {
      this.ledger.settle(t, { kind: 'log-end', killed: this.killedReason }, this.lastLine);
      this.note(this.lastLine, `the log ends while ${t.name} is running`);
    }
    if (this.killedReason) this.session.killed = this.killedReason;
    return summarize({
      tests: this.ledger.tests,
      planned: this.plannedNames,
      planSkip: this.planSkip ?? this.tracker.planSkip,
      resultCount: this.resultCount,
      session: this.session,
      events: this.collector.events,
      droppedEvents: this.collector.dropped,
      maxEvents: MAX_EVENTS,
      diagnostics: this.diagnostics,
      droppedDiagnostics: () => this.droppedDiagnostics,
      lastLine: this.lastLine,
      note: (n, m) => this.note(n, m),
    });
  }
}

export function parseConsole(text: string, opts?: ParseOptions): ParseResult;
export function parseConsole(chunks: AsyncIterable<string | Buffer>, opts?: ParseOptions): Promise<ParseResult>;
/**
 * Parse a whole console log (string: synchronous) or a stream of chunks (async iterable). Never
 * throws on bad input; problems are in `diagnostics`.
 */
export function parseConsole(
  input: string | AsyncIterable<string | Buffer>,
  opts: ParseOptions = {},
): ParseResult | Promise<ParseResult> {
  const parser = new ConsoleParser(opts);
  if (typeof input === 'string') {
    for (const line of consoleLines(input)) parser.feed(line);
    return parser.finish();
  }
  return (async () => {
    for await (const line of consoleLinesAsync(input)) parser.feed(line);
    return parser.finish();
  })();
}

/** Every test passed, skipped or failed as expected (and there was at least one). */
export function allPassed(r: TestRunResult): boolean {
  return r.tests.length > 0 && r.tests.every((t) => t.status === 'pass' || t.status === 'skip' || t.status === 'xfail');
}
