import { classify, unnest, versionDepth, type Classified } from './grammar.js';
import { consoleLines, consoleLinesAsync, type ConsoleLine } from './line-stream.js';
import { bugContinues, eventFunction, isKasanRuler, isReportEnd, matchEvent, oopsContinues } from './kernel-events.js';
import { parseListing } from './listing.js';
import { SENTINEL_RE } from './sentinels.js';
import { countStatuses, type EventKind, type KernelEvent, type ParseDiagnostic, type TestResult, type TestRunResult, type TestStatus } from './types.js';

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

export interface ParseOptions {
  /** Planned test names (from `hmm-tests -l` on the host) when the log has no listing. */
  plan?: readonly string[];
  /** Set when the guest was killed by a watchdog: the test running then is `timeout`, and why. */
  killed?: string;
  /** Cap of output lines kept per test (the rest is counted). Default 400. */
  maxOutputLines?: number;
}

interface TestState {
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
 * One TAP stream in the console: hmm-tests' own, or another program's (run_vmtests.sh runs ~100
 * mm programs around test_hmm.sh; run_kselftest.sh runs a whole collection), each at its
 * run_kselftest.sh nesting depth. Only the stream that carries hmm-tests' cases makes results.
 */
interface TapStream {
  depth: number;
  /** true: hmm-tests' stream; false: another program's; undefined: not known yet. */
  hmm?: boolean;
  /** The program a runner line announced just before the stream began. */
  program?: string;
  plan?: number;
  planSkip?: string;
  ignored: number;
}

/** Runner lines naming the program whose TAP follows: kselftest runner.sh and run_vmtests.sh. */
const ANNOUNCE_RE = /^(?:selftests: [\w.-]+: (?<a>\S+)\s*$|running (?:bash |sh )?(?<b>\S+))/;
const HMM_PROGRAM_RE = /(?:^|\/)(?:hmm-tests|test_hmm\.sh)$/;
/** Without a listing: the harness names of hmm-tests' fixtures (hmm, hmm2, and any hmm* a series adds). */
const HMM_NAME_RE = /^hmm\w*\.\w/;
const MAX_DIAGNOSTICS = 200;
/** Kernel events kept (a log of hundreds of MB can hold a report per test, many times over). */
const MAX_EVENTS = 1000;

/** How bad a status is, to keep the worse outcome of a test that ran twice in one log. */
const SEVERITY: Record<TestStatus, number> = { pass: 0, skip: 0, xfail: 0, notrun: 1, xpass: 2, fail: 3, timeout: 4, crash: 5 };

interface OpenEvent {
  kind: EventKind;
  test: string | null;
  lines: string[];
  fatal: boolean;
  header: string;
  line: number;
}

const MAX_EVENT_LINES = 300;

/**
 * Streaming console parser: feed it cleaned lines one at a time (live from QEMU, or from a saved
 * log), then `finish()`. It never throws on bad input: what it cannot make sense of becomes a
 * diagnostic, and non-TAP lines are kept as output of the test that was running.
 */
export class ConsoleParser {
  private readonly tests = new Map<string, TestState>();
  private readonly events: KernelEvent[] = [];
  private readonly diagnostics: ParseDiagnostic[] = [];
  private readonly maxOutput: number;
  private running: TestState | undefined;
  private open: OpenEvent | undefined;
  private streams: TapStream[] = [{ depth: 0, ignored: 0 }];
  private hmmStream: TapStream | undefined;
  private announced: string | undefined;
  private droppedDiagnostics = 0;
  /** The last test that finished (predicts the next case when a RUN line is lost). */
  private lastFinished: string | undefined;
  private droppedEvents = 0;
  /** A test a fatal report was attributed to by prediction (its RUN line was not seen). */
  private predicted: { t: TestState; event: KernelEvent; line: number } | undefined;
  private resultCount = 0;
  /** `1..0 # SKIP why`: hmm-tests skipped the whole suite. */
  private planSkip: string | undefined;
  private listing: string[] | undefined;
  private plannedNames: readonly string[] | undefined;
  private lastLine = 0;
  private finished = false;
  readonly session: SessionInfo = { booted: false, started: false, depth: 0, wrappers: [], info: {}, errors: [] };

  private killedReason: string | undefined;

  constructor(opts: ParseOptions = {}) {
    this.maxOutput = opts.maxOutputLines ?? 400;
    this.plannedNames = opts.plan;
    this.killedReason = opts.killed;
  }

  /** The harness killed the guest (watchdog): the running test becomes `timeout`, with this reason. */
  markKilled(reason: string): void {
    this.killedReason = reason;
  }

  /** The test running now (the watchdog names it when it kills the guest). */
  get current(): string | undefined {
    return this.running?.name;
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
    const text = line.text;
    if (this.open && this.continueEvent(line)) return;
    const ev = matchEvent(text);
    if (ev) {
      this.openEvent(ev.kind, ev.fatal, line);
      this.attach(text);
      return;
    }
    if (this.listing) {
      if (SENTINEL_RE.exec(text)?.[1] === 'LIST-END') {
        const names = parseListing(this.listing.join('\n'));
        this.listing = undefined;
        if (names.length) {
          this.plannedNames = names;
          this.session.planned = names.length;
        } else this.diag(line.n, 'the hmm-tests -l listing between the HMMCI-LIST markers named no tests');
      } else {
        // A kernel message keeps its raw form: what the listing printed before it on the same
        // row (its leading columns) belongs in front of the next line (see parseListing).
        this.listing.push(line.kernelTime === undefined ? text : line.raw);
      }
      return;
    }
    const sentinel = SENTINEL_RE.exec(text);
    if (sentinel) {
      this.onSentinel(sentinel[1]!, sentinel[2] ?? '', line);
      return;
    }
    if (/^Run \/\S+ as init process/.test(text)) this.session.booted = true;
    this.onTap(line);
  }

  private get depth(): number {
    return this.hmmStream?.depth ?? 0;
  }

  private diag(line: number, message: string): void {
    if (this.diagnostics.length < MAX_DIAGNOSTICS) this.diagnostics.push({ line, message });
    else this.droppedDiagnostics++;
  }

  private onSentinel(kind: string, rest: string, line: ConsoleLine): void {
    this.session.booted = true;
    switch (kind) {
      case 'INFO':
        for (const m of rest.matchAll(/(\w+)=(\S*)/g)) this.session.info[m[1]!] = m[2]!;
        break;
      case 'ERROR':
        this.session.errors.push(rest.trim());
        this.diag(line.n, `guest init: ${rest.trim()}`);
        break;
      case 'LIST-BEGIN':
        this.listing = [];
        break;
      case 'START': {
        this.session.started = true;
        // `HMMCI-START hmm-tests`: the TAP stream that follows is hmm-tests' own.
        const prog = rest.trim().split(/\s+/)[0] ?? '';
        if (HMM_PROGRAM_RE.test(prog)) this.announced = prog;
        break;
      }
      case 'KILLED':
        this.markKilled(rest.trim() || 'killed by hmmci');
        break;
      case 'EXIT': {
        const m = /status=(-?\d+)/.exec(rest);
        if (m) this.session.exitStatus = Number(m[1]);
        if (this.running) this.endRunningWithoutResult(line.n, 'hmm-tests exited before this test printed a result');
        break;
      }
      default:
        break;
    }
  }

  private onTap(line: ConsoleLine): void {
    const text = line.text;
    // printk wrote it: the kernel's own KTAP (KUnit at boot) or a kernel message, never hmm-tests.
    if (line.kernelTime !== undefined) {
      this.attach(text);
      return;
    }
    const vd = versionDepth(text);
    if (vd >= 0) {
      this.session.booted = true;
      this.openStream(vd);
      return;
    }
    const bare = text.replace(/^(?:# )+/, '');
    const ann = ANNOUNCE_RE.exec(bare);
    if (ann && classify(bare).type !== 'result') this.announced = ann.groups!.a ?? ann.groups!.b;
    for (let i = this.streams.length - 1; i >= 0; i--) {
      const s = this.streams[i]!;
      const { text: inner, levels } = unnest(text, s.depth);
      if (levels !== s.depth) continue;
      const c = classify(inner);
      if (i === this.streams.length - 1 && s.hmm !== true && c.type === 'comment') {
        // A nested stream whose own `TAP version` line is missing (runner.sh under virtme-ng
        // printed `# 1..58` straight away): its lines are one `# ` deeper than this stream's.
        const deeper = unnest(inner, 1).text;
        const dc = classify(deeper);
        if (dc.type === 'plan' || dc.type === 'starting' || dc.type === 'run' || (dc.type === 'result' && this.isHmmName(dc.f.name ?? ''))) {
          this.openStream(s.depth + 1);
          this.inStream(this.streams.at(-1)!, dc, deeper, line);
          return;
        }
      }
      this.inStream(s, c, inner, line);
      return;
    }
    this.attach(text);
  }

  /** A `TAP version` line at nesting depth d: a new stream there (ending any at d or deeper). */
  private openStream(d: number): void {
    while (this.streams.length && this.streams.at(-1)!.depth >= d) this.streams.pop();
    const s: TapStream = { depth: d, ignored: 0 };
    if (this.announced !== undefined) {
      s.program = this.announced;
      s.hmm = HMM_PROGRAM_RE.test(this.announced) ? undefined : false;
      this.announced = undefined;
    }
    this.streams.push(s);
  }

  private isHmmName(name: string): boolean {
    if (this.plannedNames) return this.plannedNames.includes(name);
    return HMM_NAME_RE.test(name);
  }

  /** A line of stream s: hmm-tests' lines go to the TAP grammar, other programs' are output. */
  private inStream(s: TapStream, c: Classified, inner: string, line: ConsoleLine): void {
    if (s.hmm === undefined && (c.type === 'run' || c.type === 'result') && c.f.name) {
      // Announced as hmm-tests: its RUN lines (or, without a listing, its results) adopt it; with
      // a listing a result must name a listed case (a garbled line must not become a test).
      const announcedHmm = s.program !== undefined && HMM_PROGRAM_RE.test(s.program) && !/^selftests: /.test(c.f.name);
      const hmm = this.isHmmName(c.f.name) || (announcedHmm && (c.type === 'run' || !this.plannedNames));
      // Fallback: no listing, no runner line naming another program, not a runner's own result,
      // and no hmm-tests stream seen: the only TAP there is is taken as hmm-tests'.
      const fallback = !hmm && !this.plannedNames && s.program === undefined && !this.hmmStream && !/^selftests: /.test(c.f.name);
      if (fallback) this.diag(line.n, `taken as hmm-tests' TAP stream although "${c.f.name}" is not an hmm fixture name: no -l listing and no runner line names the program`);
      // Otherwise the stream stays undecided (its results ignored) until a case of hmm-tests
      // shows: one garbled line must not make hmm-tests' own stream "another program's".
      if (hmm || fallback) this.adopt(s);
    }
    if (s.hmm === true) {
      this.onInner(c, inner, line);
      return;
    }
    switch (c.type) {
      case 'plan':
        if (s.plan === undefined) s.plan = Number(c.f.count);
        if (c.f.directive) s.planSkip = c.f.reason || 'skipped';
        // `1..0 # SKIP why` of an announced hmm-tests: the whole suite skipped.
        if (c.f.directive && s.program && HMM_PROGRAM_RE.test(s.program)) this.adopt(s);
        return;
      case 'starting':
        // The harness header of hmm-tests: announced as such, or it starts exactly the listed cases.
        if ((s.program && HMM_PROGRAM_RE.test(s.program)) || (s.hmm === undefined && this.plannedNames?.length === Number(c.f.tests))) this.adopt(s);
        return;
      case 'bail':
        if (s.hmm === undefined) {
          this.adopt(s);
          this.onInner(c, inner, line);
        } else this.attach(inner);
        return;
      case 'result': {
        const name = (c.f.name ?? '').replace(/\s*#.*$/, '');
        if ((this.hmmStream && s.depth < this.hmmStream.depth) || HMM_PROGRAM_RE.test(name.split(/\s+/).at(-1) ?? '')) {
          this.onWrapperResult(c.f, line);
          while (this.streams.length && this.streams.at(-1)!.depth > s.depth) this.streams.pop();
          return;
        }
        if (!s.ignored++) {
          this.diag(line.n, s.hmm === false ? `ignoring the TAP results of another program${s.program ? ` (${s.program})` : ''} at nesting depth ${s.depth}: not hmm-tests' stream` : `ignoring TAP result "${(c.f.name ?? '').slice(0, 80)}" at nesting depth ${s.depth}: no case of hmm-tests seen in this stream yet`);
        }
        this.attach(inner);
        return;
      }
      default:
        this.attach(inner);
    }
  }

  /** Stream s is hmm-tests' (a re-run in the same log replaces the previous one). */
  private adopt(s: TapStream): void {
    s.hmm = true;
    if (this.hmmStream && this.hmmStream !== s) this.diag(this.lastLine, 'a second hmm-tests TAP stream: hmm-tests ran again in this log; the worse outcome of each test is kept');
    this.hmmStream = s;
    this.resultCount = 0;
    this.session.depth = s.depth;
    this.session.plan = s.plan;
    this.session.started = true;
    this.session.booted = true;
    if (s.planSkip) this.session.bail = `whole suite skipped: ${s.planSkip}`;
  }

  private onWrapperResult(f: Record<string, string>, line: ConsoleLine): void {
    const w = { name: f.name ?? '', ok: f.ok === 'ok', directive: f.directive?.toUpperCase(), reason: f.reason || f.note || undefined };
    this.session.wrappers.push(w);
    if (this.running) this.endRunningWithoutResult(line.n, `the wrapper ${w.name} ended${w.directive ? ` (${w.directive}${w.reason ? ` ${w.reason}` : ''})` : ''} before this test printed a result`, w.directive === 'TIMEOUT');
  }

  private onInner(c: Classified, inner: string, line: ConsoleLine): void {
    const f = c.f;
    switch (c.type) {
      case 'plan':
        if (this.session.plan === undefined) this.session.plan = Number(f.count);
        if (this.hmmStream && this.hmmStream.plan === undefined) this.hmmStream.plan = Number(f.count);
        if (f.directive) {
          this.session.bail = `whole suite skipped: ${f.reason ?? ''}`.trim();
          this.planSkip = f.reason || 'skipped';
        }
        return;
      case 'starting':
        this.session.started = true;
        return;
      case 'run': {
        const name = f.name!;
        if (this.running && this.running.name !== name) this.endRunningWithoutResult(line.n, `the next test (${name}) started before this one printed a result`);
        const t = this.state(name);
        const p = this.predicted;
        this.predicted = undefined;
        if (p && p.t === t && !t.status && (line.startN ?? line.n) > p.line) {
          // Its RUN line comes after the report (and did not begin before it, cut in two by the
          // report): the report was not during this test after all.
          p.event.test = null;
          t.fatal = undefined;
          this.running = undefined;
          this.diag(line.n, `${name} started after the kernel ${p.event.kind} attributed to it: attribution withdrawn`);
        }
        if (this.running === t) return;
        if (t.started && t.status) {
          t.previous = { status: t.status, reason: t.reason };
          t.fatal = undefined;
          t.timedOut = false;
          t.terminated = undefined;
          t.firstAssert = undefined;
        }
        t.started = true;
        t.status = undefined;
        t.startedMs = line.atMs;
        this.running = t;
        return;
      }
      case 'verdict': {
        const t = this.tests.get(f.name!);
        if (t) t.verdict = f.verdict;
        else this.diag(line.n, `verdict ${f.verdict} for ${f.name}, which never started`);
        return;
      }
      case 'skip_reason':
        if (this.running) this.running.skipReason = f.reason;
        this.attach(inner);
        return;
      case 'terminated': {
        const t = this.tests.get(f.name!) ?? this.running;
        if (t) {
          t.terminated = f.what;
          if (/timeout/.test(f.what ?? '')) t.timedOut = true;
        }
        this.attach(inner);
        return;
      }
      case 'result':
        this.onResult(f, line);
        return;
      case 'summary':
        this.session.summary = { verdict: f.verdict ?? (f.passed === f.total ? 'PASSED' : 'FAILED'), passed: Number(f.passed), total: Number(f.total) };
        return;
      case 'old_result':
        // The 5.8/5.9 harness: `[       OK ] name` / `[     FAIL ] name` is the result line.
        this.onResult({ ok: f.verdict === 'OK' ? 'ok' : 'not ok', num: String(this.resultCount + 1), name: f.name! }, line);
        return;
      case 'totals':
        this.session.totals = Object.fromEntries(['pass', 'fail', 'xfail', 'xpass', 'skip', 'error'].map((k) => [k, Number(f[k])]));
        return;
      case 'planned_mismatch':
        this.diag(line.n, `hmm-tests planned ${f.planned} tests but ran ${f.run}`);
        return;
      case 'bail':
        this.session.bail = f.reason || 'Bail out!';
        if (this.running) this.endRunningWithoutResult(line.n, `Bail out! ${f.reason ?? ''}`.trim());
        return;
      case 'comment': {
        // TH_LOG(): "# file.c:123:test_name:message": the first one is the failure's reason.
        const th = /^# (?:[\w./-]*\/)?(?<file>[\w.-]+\.c):(?<line>\d+):\w+:(?<msg>.*)$/.exec(inner);
        if (this.running && !this.running.firstAssert && th) this.running.firstAssert = `${th.groups!.file}:${th.groups!.line}: ${th.groups!.msg}`;
        this.attach(inner);
        return;
      }
      default: {
        // The 5.8/5.9 harness's TH_LOG has no `# `: "hmm-tests.c:200:anon_read:Expected …".
        const th = /^(?:[\w./-]*\/)?(?<file>[\w.-]+\.c):(?<line>\d+):\w+:(?<msg>.*)$/.exec(inner);
        if (this.running && !this.running.firstAssert && th && line.kernelTime === undefined && !/^Test terminated/.test(th.groups!.msg!)) this.running.firstAssert = `${th.groups!.file}:${th.groups!.line}: ${th.groups!.msg}`;
        else if (this.running && th && /^Test terminated/.test(th.groups!.msg!)) this.running.terminated ??= th.groups!.msg;
        this.attach(inner);
      }
    }
  }

  private onResult(f: Record<string, string>, line: ConsoleLine): void {
    let name = (f.name ?? '').trim();
    const num = Number(f.num);
    this.resultCount++;
    if (num !== this.resultCount) this.diag(line.n, `result number ${num} out of sequence (expected ${this.resultCount})`);
    const run = this.running;
    if (!name) {
      // The harness before 6.9 printed `ok 27 # SKIP why` without the test's name: it is the
      // test that is running (its `#  RUN` line named it).
      if (run) name = run.name;
      else {
        name = this.nextPlanned() ?? `(result ${num}, name not printed)`;
        this.diag(line.n, `result ${num} has no test name and no test was running: taken as ${name}`);
      }
    } else if (run && name !== run.name && (this.plannedNames ? !this.plannedNames.includes(name) : run.name.startsWith(name) || /\s/.test(name))) {
      // A result line cut short or garbled (console truncated, a kernel message written into it):
      // the running test's name, from its complete RUN line, is the one to trust.
      this.diag(line.n, `result ${num} names "${name}", not a planned case: taken as the running test ${run.name} (line cut or garbled)`);
      name = run.name;
    }
    const t = this.state(name);
    if (this.running && this.running !== t) this.endRunningWithoutResult(line.n, `a result for ${name} arrived before this test printed one`);
    t.started = true;
    const directive = f.directive?.toUpperCase();
    let status: TestStatus;
    if (f.ok === 'ok') status = directive === 'SKIP' ? 'skip' : directive === 'XFAIL' ? 'xfail' : directive === 'XPASS' ? 'xpass' : 'pass';
    else status = directive === 'TIMEOUT' ? 'timeout' : 'fail';
    let reason = f.reason || f.note || undefined;
    if (status === 'skip') reason = reason ?? t.skipReason;
    if (status === 'fail') reason = t.firstAssert ?? t.terminated ?? reason;
    if (t.timedOut) {
      status = 'timeout';
      reason = t.terminated;
    }
    if (t.fatal) {
      status = 'crash';
      reason = describeEvent(t.fatal, t.terminated);
    }
    t.status = status;
    t.reason = reason;
    this.keepWorse(t, line.n);
    this.lastFinished = t.name;
    if (t.startedMs !== undefined && line.atMs !== undefined) t.durationMs = line.atMs - t.startedMs;
    if (this.running === t) this.running = undefined;
  }

  /** A test that ran twice in one log keeps the worse outcome, so a failure is never hidden. */
  private keepWorse(t: TestState, n: number): void {
    const p = t.previous;
    if (!p || !t.status) return;
    t.previous = undefined;
    if (SEVERITY[p.status] > SEVERITY[t.status]) {
      this.diag(n, `${t.name} ran again: ${p.status} then ${t.status}; the first (worse) outcome is kept`);
      const again = t.status;
      t.status = p.status;
      t.reason = `${p.reason ? `${p.reason}; ` : ''}re-run: ${again}`;
    } else if (p.status !== t.status) {
      this.diag(n, `${t.name} ran again: ${p.status} then ${t.status}; the second (worse) outcome is kept`);
      t.reason = `${t.reason ? `${t.reason}; ` : ''}earlier run: ${p.status}`;
    }
  }

  /** The case that must be running when its RUN line was lost: the next one in listing order. */
  private nextPlanned(): string | undefined {
    const order = this.plannedNames;
    if (!order?.length) return undefined;
    const last = this.lastFinished;
    const from = last === undefined ? 0 : order.indexOf(last) + 1;
    if (last !== undefined && from === 0) return undefined;
    for (let i = from; i < order.length; i++) if (!this.tests.get(order[i]!)?.status) return order[i];
    return undefined;
  }

  /** A started test that will never print its result (next test began, hmm-tests exited, killed). */
  private endRunningWithoutResult(n: number, why: string, timedOut = false): void {
    const t = this.running;
    if (!t) return;
    this.running = undefined;
    if (t.fatal) {
      t.status = 'crash';
      t.reason = describeEvent(t.fatal, t.terminated);
    } else if (timedOut || t.timedOut) {
      t.status = 'timeout';
      t.reason = t.terminated ?? why;
    } else {
      t.status = 'fail';
      t.reason = t.terminated ?? why;
    }
    this.keepWorse(t, n);
    this.lastFinished = t.name;
    this.diag(n, `${t.name}: no result line (${why})`);
  }

  private state(name: string): TestState {
    let t = this.tests.get(name);
    if (!t) {
      t = { name, output: [], dropped: 0, started: false };
      this.tests.set(name, t);
    }
    return t;
  }

  private attach(text: string): void {
    const t = this.running;
    if (!t) return;
    if (t.output.length < this.maxOutput) t.output.push(text);
    else t.dropped++;
  }

  private openEvent(kind: EventKind, fatal: boolean, line: ConsoleLine): void {
    this.open = { kind, fatal, test: this.running?.name ?? null, lines: [line.text], header: line.text, line: line.n };
  }

  /** Returns true when the line was consumed by the open report. */
  private continueEvent(line: ConsoleLine): boolean {
    const ev = this.open!;
    const text = line.text;
    if (oopsContinues(ev.header, text) || bugContinues(ev.header, text)) {
      ev.lines.push(text);
      ev.fatal = true;
      this.attach(text);
      return true;
    }
    // The trace footer, or the ruler that closes a KASAN report.
    if (isReportEnd(text) || (ev.kind === 'kasan' && isKasanRuler(text) && ev.lines.length > 1)) {
      ev.lines.push(text);
      this.attach(text);
      this.closeEvent();
      return true;
    }
    const depthText = unnest(text, this.depth).text;
    const c = classify(depthText);
    const userSpace = (c.type !== 'other' && c.type !== 'comment') || /^HMMCI-/.test(text) || versionDepth(text) >= 0 || (c.type === 'comment' && line.kernelTime === undefined && /^# [\w./-]+\.c:\d+:/.test(depthText));
    if (userSpace || matchEvent(text) || ev.lines.length >= MAX_EVENT_LINES) {
      this.closeEvent();
      return false;
    }
    ev.lines.push(text);
    this.attach(text);
    return true;
  }

  private closeEvent(): void {
    const ev = this.open;
    if (!ev) return;
    this.open = undefined;
    const fn = eventFunction(ev.lines, ev.kind);
    const text = ev.lines.join('\n');
    let predicted: TestState | undefined;
    if (ev.test === null && ev.fatal && this.hmmStream && this.session.exitStatus === undefined) {
      // A fatal report while no test was running by our reading. Either the console printed it
      // late, after the result of the test it killed (that test died by a signal), or the next
      // test's RUN line was cut off or lost in the report: then, when the report's task is
      // hmm-tests, it is the next case in listing order (withdrawn if its RUN line comes later).
      const comm = /\bComm: (\S+)/.exec(text)?.[1];
      const last = this.lastFinished === undefined ? undefined : this.tests.get(this.lastFinished);
      const next = comm === undefined || comm === 'hmm-tests' ? this.nextPlanned() : undefined;
      if (last && !last.fatal && /signal/.test(last.terminated ?? '')) {
        ev.test = last.name;
        this.diag(ev.line, `kernel ${ev.kind} after ${last.name} printed its result; it died by a signal: attributed to it`);
      } else if (next) {
        ev.test = next;
        predicted = this.state(next);
        predicted.started = true;
        this.running = predicted;
        this.diag(ev.line, `kernel ${ev.kind} while no test was running by the console; its RUN line was lost: attributed to ${next}, the next case in listing order${comm ? ' (Comm: hmm-tests)' : ''}`);
      }
    }
    const event: KernelEvent = { kind: ev.kind, test: ev.test, text };
    if (predicted) this.predicted = { t: predicted, event, line: ev.line };
    if (fn) event.function = fn;
    if (this.events.length < MAX_EVENTS) this.events.push(event);
    else this.droppedEvents++;
    if (ev.fatal && ev.test) {
      const t = this.tests.get(ev.test);
      if (t && !t.fatal) {
        t.fatal = event;
        // A result already printed (the oops hit after the test's own verdict came out, but
        // while it was still the running test) is overridden too.
        if (t.status && t.status !== 'crash') {
          t.reason = describeEvent(event, t.terminated);
          t.status = 'crash';
        }
      }
    }
  }

  finish(): ParseResult {
    if (this.finished) throw new Error('ConsoleParser.finish() called twice');
    this.finished = true;
    if (this.listing) {
      this.diag(this.lastLine, 'the log ends inside the hmm-tests -l listing');
      const names = parseListing(this.listing.join('\n'));
      if (names.length) this.plannedNames = names;
      this.listing = undefined;
    }
    this.closeEvent();
    if (this.running) {
      const t = this.running;
      this.running = undefined;
      if (t.fatal) {
        t.status = 'crash';
        t.reason = describeEvent(t.fatal, t.terminated);
      } else {
        t.status = 'timeout';
        t.reason = this.killedReason ? `killed by hmmci: ${this.killedReason}` : 'never finished: the console ends while it runs';
      }
      this.diag(this.lastLine, `the log ends while ${t.name} is running`);
    }
    if (this.killedReason) this.session.killed = this.killedReason;
    // Planned but never started.
    const planned = this.plannedNames;
    if (planned) {
      const skip = this.planSkip ?? this.hmmStream?.planSkip ?? (this.hmmStream ? undefined : this.streams.find((x) => x.planSkip !== undefined && x.hmm !== false)?.planSkip);
      if (skip !== undefined && !this.session.bail) this.session.bail = `whole suite skipped: ${skip}`;
      for (const name of planned) {
        if (this.tests.has(name)) continue;
        if (skip !== undefined && !this.resultCount) this.tests.set(name, { name, output: [], dropped: 0, started: false, status: 'skip', reason: skip });
        else this.tests.set(name, { name, output: [], dropped: 0, started: false, status: 'notrun', reason: notrunReason(this) });
      }
      for (const t of this.tests.values()) if (!planned.includes(t.name) && t.started) this.diag(this.lastLine, `${t.name} ran but is not in the -l listing`);
    } else if (this.session.plan !== undefined && this.session.plan > this.tests.size) {
      const seen = this.tests.size;
      for (let i = seen + 1; i <= this.session.plan; i++) {
        const name = `(test ${i} of ${this.session.plan}, name unknown)`;
        this.tests.set(name, { name, output: [], dropped: 0, started: false, status: 'notrun', reason: notrunReason(this) });
      }
      this.diag(this.lastLine, `plan 1..${this.session.plan} but only ${seen} tests seen, and no -l listing names the others`);
    }
    const tests: TestResult[] = [];
    // Listing order when known (the harness's run order), else the order seen.
    const order = planned ? [...planned, ...[...this.tests.keys()].filter((k) => !planned.includes(k))] : [...this.tests.keys()];
    for (const name of order) {
      const t = this.tests.get(name);
      if (!t) continue;
      if (!t.status) continue;
      const r: TestResult = { name: t.name, status: t.status };
      if (t.durationMs !== undefined) r.durationMs = t.durationMs;
      if (t.reason) r.reason = t.reason;
      const output = t.dropped ? [...t.output, `… ${t.dropped} more lines not kept`] : t.output;
      if (output.length) r.output = output;
      tests.push(r);
    }
    // Outer results only, when the nested stream never appeared (/dev/stdout missing in the guest).
    if (!tests.length && this.session.wrappers.length) {
      for (const w of this.session.wrappers) {
        tests.push({ name: w.name, status: w.ok ? (w.directive === 'SKIP' ? 'skip' : 'pass') : w.directive === 'TIMEOUT' ? 'timeout' : 'fail', ...(w.reason ? { reason: w.reason } : {}) });
      }
      this.diag(this.lastLine, 'only the run_kselftest.sh wrapper result was found: the nested hmm-tests output is missing');
    }
    const counts = countStatuses(tests);
    const totals = this.session.totals;
    if (totals) {
      const mine = { pass: counts.pass ?? 0, fail: (counts.fail ?? 0) + (counts.crash ?? 0) + (counts.timeout ?? 0), skip: counts.skip ?? 0, xfail: counts.xfail ?? 0, xpass: counts.xpass ?? 0 };
      for (const k of ['pass', 'skip', 'xfail', 'xpass'] as const) {
        if (mine[k] !== totals[k]) this.diag(this.lastLine, `# Totals says ${k}:${totals[k]} but ${mine[k]} results were parsed`);
      }
    }
    if (!this.session.booted) this.diag(this.lastLine, 'the kernel never reached user space (no `Run /init`, sentinel or TAP line)');
    else if (!this.session.started && !tests.length) this.diag(this.lastLine, 'hmm-tests never started');
    if (this.droppedEvents) this.diagnostics.push({ line: this.lastLine, message: `${this.droppedEvents} more kernel events after the first ${MAX_EVENTS} not kept` });
    if (this.droppedDiagnostics) this.diagnostics.push({ line: this.lastLine, message: `… ${this.droppedDiagnostics} more parser notes not kept` });
    return { tests, counts, events: this.events, diagnostics: this.diagnostics, session: this.session };
  }
}

function notrunReason(p: ConsoleParser): string {
  const s = p.session;
  if (s.killed) return `not started: the guest was killed (${s.killed})`;
  if (s.bail) return `not started: hmm-tests bailed out (${s.bail})`;
  if (s.exitStatus !== undefined) return 'not started: hmm-tests exited first';
  return 'not started: the run ended first (kernel panic, hang or truncated log)';
}

function describeEvent(ev: KernelEvent, terminated?: string): string {
  const head = ev.text.split('\n')[0] ?? '';
  const where = ev.function ? ` in ${ev.function}` : '';
  return `kernel ${ev.kind}${where}: ${head}${terminated ? ` (${terminated})` : ''}`;
}

export function parseConsole(text: string, opts?: ParseOptions): ParseResult;
export function parseConsole(chunks: AsyncIterable<string | Buffer>, opts?: ParseOptions): Promise<ParseResult>;
/**
 * Parse a whole console log (string: synchronous) or a stream of chunks (async iterable). Never
 * throws on bad input; problems are in `diagnostics`.
 */
export function parseConsole(input: string | AsyncIterable<string | Buffer>, opts: ParseOptions = {}): ParseResult | Promise<ParseResult> {
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
