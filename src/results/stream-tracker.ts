import { classify, unnest, versionDepth, type LineOf, type TapLine } from './grammar.js';
import type { ConsoleLine } from './line-stream.js';

/**
 * One TAP stream in the console: hmm-tests' own, or another program's (run_vmtests.sh runs ~100
 * mm programs around test_hmm.sh; run_kselftest.sh runs a whole collection), each at its
 * run_kselftest.sh nesting depth. Only the stream that carries hmm-tests' cases makes results.
 */
export interface TapStream {
  depth: number;
  /** true: hmm-tests' stream; false: another program's; undefined: not known yet. */
  hmm?: boolean;
  /** The program a runner line announced just before the stream began. */
  program?: string;
  plan?: number;
  planSkip?: string;
  ignored: number;
}

/** What the tracker needs from the parser: the plan, and where each kind of line goes. */
export interface StreamHost {
  /** Planned case names (the -l listing), when known. */
  readonly plannedNames: readonly string[] | undefined;
  note(line: number, message: string): void;
  /** A line that is output (of the running test, if any). */
  output(text: string): void;
  /** Stream s became hmm-tests' own (`again`: another stream was before: hmm-tests ran again). */
  adopted(s: TapStream, again: boolean): void;
  /** A line of hmm-tests' stream, classified at its depth. */
  hmmLine(c: TapLine, inner: string, line: ConsoleLine): void;
  /** A result of an outer stream (the run_kselftest.sh wrapper's `ok 1 selftests: mm: hmm-tests`). */
  wrapperResult(c: LineOf<'result'>, line: ConsoleLine): void;
}

/** Runner lines naming the program whose TAP follows: kselftest runner.sh and run_vmtests.sh. */
const ANNOUNCE_RE = /^(?:selftests: [\w.-]+: (?<a>\S+)\s*$|running (?:bash |sh )?(?<b>\S+))/;
export const HMM_PROGRAM_RE = /(?:^|\/)(?:hmm-tests|test_hmm\.sh)$/;
/** Without a listing: the harness names of hmm-tests' fixtures (hmm, hmm2, and any hmm* a series adds). */
const HMM_NAME_RE = /^hmm\w*\.\w/;
const RUNNER_RESULT_RE = /^selftests: /;

const isHmmProgram = (p: string | undefined): boolean => p !== undefined && HMM_PROGRAM_RE.test(p);

/**
 * Decides which TAP stream of the console is hmm-tests': each `TAP version` line opens a stream
 * at its nesting depth; a stream is hmm-tests' when the runner line before it names hmm-tests /
 * test_hmm.sh, or its first RUN/result names a case of the listing (without one: an `hmm*.`
 * fixture name; with no runner line and no listing at all, the only stream is taken).
 */
export class StreamTracker {
  private streams: TapStream[] = [{ depth: 0, ignored: 0 }];
  hmm: TapStream | undefined;
  private announced: string | undefined;

  constructor(private readonly host: StreamHost) {}

  /** Nesting depth of hmm-tests' stream (0 until it is known). */
  get depth(): number {
    return this.hmm?.depth ?? 0;
  }

  /** `HMMCI-START hmm-tests`: the TAP stream that follows is hmm-tests' own. */
  announce(program: string): void {
    if (HMM_PROGRAM_RE.test(program)) this.announced = program;
  }

  /** A stream with a `1..N # SKIP` plan that was not another program's (the whole suite skipped). */
  get planSkip(): string | undefined {
    if (this.hmm) return this.hmm.planSkip;
    return this.streams.find((x) => x.planSkip !== undefined && x.hmm !== false)?.planSkip;
  }

  /** A user-space line (no printk timestamp). Returns true for a `TAP version` line. */
  feed(line: ConsoleLine): boolean {
    const text = line.text;
    const vd = versionDepth(text);
    if (vd >= 0) {
      this.open(vd);
      return true;
    }
    const bare = text.replace(/^(?:# )+/, '');
    const ann = ANNOUNCE_RE.exec(bare);
    if (ann && classify(bare).type !== 'result') this.announced = ann.groups!.a ?? ann.groups!.b;
    for (let i = this.streams.length - 1; i >= 0; i--) {
      const s = this.streams[i]!;
      const { text: inner, levels } = unnest(text, s.depth);
      if (levels !== s.depth) continue;
      const c = classify(inner);
      if (i === this.streams.length - 1 && s.hmm !== true && c.type === 'comment' && this.deeperStream(s, inner, line))
        return false;
      this.inStream(s, c, inner, line);
      return false;
    }
    this.host.output(text);
    return false;
  }

  /**
   * A nested stream whose own `TAP version` line is missing (runner.sh under virtme-ng printed
   * `# 1..58` straight away): its lines are one `# ` deeper than this stream's.
   */
  private deeperStream(s: TapStream, inner: string, line: ConsoleLine): boolean {
    const deeper = unnest(inner, 1).text;
    const dc = classify(deeper);
    const opens =
      dc.type === 'plan' ||
      dc.type === 'starting' ||
      dc.type === 'run' ||
      (dc.type === 'result' && this.isHmmName(dc.name));
    if (!opens) return false;
    this.open(s.depth + 1);
    this.inStream(this.streams.at(-1)!, dc, deeper, line);
    return true;
  }

  /** A `TAP version` line at nesting depth d: a new stream there (ending any at d or deeper). */
  private open(d: number): void {
    while (this.streams.length && this.streams.at(-1)!.depth >= d) this.streams.pop();
    const s: TapStream = { depth: d, ignored: 0 };
    if (this.announced !== undefined) {
      s.program = this.announced;
      s.hmm = isHmmProgram(this.announced) ? undefined : false;
      this.announced = undefined;
    }
    this.streams.push(s);
  }

  private isHmmName(name: string): boolean {
    if (this.host.plannedNames) return this.host.plannedNames.includes(name);
    return HMM_NAME_RE.test(name);
  }

  /** Stream s is hmm-tests' (a re-run in the same log replaces the previous one). */
  private adopt(s: TapStream): void {
    s.hmm = true;
    const again = this.hmm !== undefined && this.hmm !== s;
    this.hmm = s;
    this.host.adopted(s, again);
  }

  /** A line of stream s: hmm-tests' lines go to the TAP grammar, other programs' are output. */
  private inStream(s: TapStream, c: TapLine, inner: string, line: ConsoleLine): void {
    if (s.hmm === undefined && (c.type === 'run' || c.type === 'result') && c.name) this.decide(s, c, line);
    if (s.hmm === true) {
      this.host.hmmLine(c, inner, line);
      return;
    }
    this.otherStreamLine(s, c, inner, line);
  }

  /** The first RUN line or result of an undecided stream: is it hmm-tests'? */
  private decide(s: TapStream, c: LineOf<'run'> | LineOf<'result'>, line: ConsoleLine): void {
    const planned = this.host.plannedNames;
    // Announced as hmm-tests: its RUN lines (or, without a listing, its results) adopt it; with
    // a listing a result must name a listed case (a garbled line must not become a test).
    const announcedHmm = isHmmProgram(s.program) && !RUNNER_RESULT_RE.test(c.name);
    const hmm = this.isHmmName(c.name) || (announcedHmm && (c.type === 'run' || !planned));
    // Fallback: no listing, no runner line naming another program, not a runner's own result,
    // and no hmm-tests stream seen: the only TAP there is is taken as hmm-tests'.
    const fallback = !hmm && !planned && s.program === undefined && !this.hmm && !RUNNER_RESULT_RE.test(c.name);
    if (fallback)
      this.host.note(
        line.n,
        `taken as hmm-tests' TAP stream although "${c.name}" is not an hmm fixture name: no -l listing and no runner line names the program`,
      );
    // Otherwise the stream stays undecided (its results ignored) until a case of hmm-tests
    // shows: one garbled line must not make hmm-tests' own stream "another program's".
    if (hmm || fallback) this.adopt(s);
  }

  /** A line of a stream that is not (or not yet) hmm-tests'. */
  private otherStreamLine(s: TapStream, c: TapLine, inner: string, line: ConsoleLine): void {
    switch (c.type) {
      case 'plan':
        if (s.plan === undefined) s.plan = c.count;
        if (c.skip !== undefined) s.planSkip = c.skip || 'skipped';
        // `1..0 # SKIP why` of an announced hmm-tests: the whole suite skipped.
        if (c.skip !== undefined && isHmmProgram(s.program)) this.adopt(s);
        return;
      case 'starting':
        // The harness header of hmm-tests: announced as such, or it starts exactly the listed cases.
        if (isHmmProgram(s.program) || (s.hmm === undefined && this.host.plannedNames?.length === c.tests))
          this.adopt(s);
        return;
      case 'bail':
        if (s.hmm === undefined) {
          this.adopt(s);
          this.host.hmmLine(c, inner, line);
        } else this.host.output(inner);
        return;
      case 'result':
        this.otherResult(s, c, inner, line);
        return;
      default:
        this.host.output(inner);
    }
  }

  private otherResult(s: TapStream, c: LineOf<'result'>, inner: string, line: ConsoleLine): void {
    const name = c.name.replace(/\s*#.*$/, '');
    if ((this.hmm && s.depth < this.hmm.depth) || HMM_PROGRAM_RE.test(name.split(/\s+/).at(-1) ?? '')) {
      this.host.wrapperResult(c, line);
      while (this.streams.length && this.streams.at(-1)!.depth > s.depth) this.streams.pop();
      return;
    }
    if (!s.ignored++) {
      this.host.note(
        line.n,
        s.hmm === false
          ? `ignoring the TAP results of another program${s.program ? ` (${s.program})` : ''} at nesting depth ${s.depth}: not hmm-tests' stream`
          : `ignoring TAP result "${c.name.slice(0, 80)}" at nesting depth ${s.depth}: no case of hmm-tests seen in this stream yet`,
      );
    }
    this.host.output(inner);
  }
}
