import {
  BAD_STATUSES,
  type KernelEvent,
  type RepeatCount,
  type TestResult,
  type TestRunResult,
  type TestStatus,
} from '../results/types.js';
import type { CompareOptions, Comparison, GoneEvent, NewEvent, TestChange } from './types.js';
import { compareRates, failures } from './rates.js';

/**
 * Status classes that matter for the verdict: `fail`, `crash` and `timeout` are all "broken", so
 * a test that fails in one run and crashes in the next is consistently broken, not flaky.
 */
export type StatusClass = 'bad' | 'pass' | 'skip' | 'xfail' | 'notrun';

export function statusClass(s: TestStatus): StatusClass {
  if (BAD_STATUSES.has(s)) return 'bad';
  if (s === 'pass' || s === 'xpass') return 'pass';
  if (s === 'skip') return 'skip';
  if (s === 'xfail') return 'xfail';
  return 'notrun';
}

/**
 * The most useful line about a failure: the harness's `file.c:line:test:Expected …` assertion
 * (path prefix dropped), else the recorded reason. Pure.
 */
export function failureDetail(t: TestResult): string | undefined {
  for (const raw of t.output ?? []) {
    const line = raw.replace(/^#\s*/, '');
    const m = /(?:^|\/)([\w.-]+\.c:\d+:.*)$/.exec(line);
    if (m && /Expected|Assertion|assert/i.test(line)) return m[1];
  }
  return t.reason;
}

function indexTests(run: TestRunResult): Map<string, TestResult> {
  const m = new Map<string, TestResult>();
  for (const t of run.tests) if (!m.has(t.name)) m.set(t.name, t);
  return m;
}

/**
 * Names of tests whose result changed between the baseline and one patched run (and of tests
 * the patched run added that fail): the ones a rerun must confirm before anything is called a
 * regression. Empty when the runs agree. Pure.
 */
export function testsToConfirm(baseline: TestRunResult, patched: TestRunResult): string[] {
  const base = indexTests(baseline);
  const out: string[] = [];
  for (const t of patched.tests) {
    const b = base.get(t.name);
    if (!b) {
      if (statusClass(t.status) === 'bad') out.push(t.name);
      continue;
    }
    if (statusClass(b.status) !== statusClass(t.status)) out.push(t.name);
  }
  return out;
}

/** True when a patched run shows something a rerun should confirm: a changed test or a new kernel event. */
export function needsRerun(baseline: TestRunResult, patched: TestRunResult): boolean {
  // `--repeat N`: the N runs are the confirmation; their rates are compared instead.
  if (patched.tests.some((t) => t.repeat)) return false;
  if (testsToConfirm(baseline, patched).length > 0) return true;
  const baseKeys = new Set(baseline.events.map(eventKey));
  return patched.events.some((e) => !baseKeys.has(eventKey(e)));
}

/** First line of an event report without timestamps, addresses and numbers, for matching. */
export function eventSummary(e: KernelEvent): string {
  const first = e.text.split('\n').find((l) => l.trim() !== '') ?? '';
  return first.replace(/^\s*\[\s*\d+\.\d+\]\s*/, '').trim();
}

function normalise(line: string): string {
  return line
    .replace(/\bCPU: ?\d+/g, 'CPU: #')
    .replace(/\bPID: ?\d+/g, 'PID: #')
    .replace(/0x[0-9a-f]+/gi, '0x#')
    .replace(/\b[0-9a-f]{8,16}\b/gi, '#')
    .replace(/\d+/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
}

/** What events are matched on between sides: kind + function, else kind + normalised first line. */
export function eventKey(e: KernelEvent): string {
  return e.function ? `${e.kind}:${e.function}` : `${e.kind}:${normalise(eventSummary(e))}`;
}

/**
 * The consensus of several patched runs for one test: `notrun` results carry no information and
 * are ignored unless every run is `notrun`. Returns undefined when the runs disagree (flaky).
 */
function consensus(runs: readonly TestStatus[]): TestStatus | undefined {
  const informative = runs.filter((s) => s !== 'notrun');
  if (informative.length === 0) return 'notrun';
  const classes = new Set(informative.map(statusClass));
  if (classes.size > 1) return undefined;
  return informative[0];
}

function emptyComparison(patchedRuns: number): Comparison {
  return {
    regressions: [],
    fixed: [],
    stillFailing: [],
    newSkips: [],
    added: [],
    removed: [],
    flaky: [],
    notRun: [],
    otherChanges: [],
    newEvents: [],
    goneEvents: [],
    patchedRuns,
    regressed: false,
    summary: '',
  };
}

/** One test's results across the patched runs, and how to describe a change of it. */
interface TestSides {
  /** Its baseline result (undefined when only the patched side has it). */
  b: TestResult | undefined;
  /** Statuses of the patched runs that have it, in run order. */
  statuses: TestStatus[];
  /** Its result in the first patched run that has it. */
  first: TestResult | undefined;
  change: (patched: TestStatus | null) => TestChange;
}

function testSides(name: string, b: TestResult | undefined, runs: readonly Map<string, TestResult>[]): TestSides {
  const results = runs.map((m) => m.get(name));
  const statuses = results.filter((r): r is TestResult => r !== undefined).map((r) => r.status);
  const first = results.find((r) => r !== undefined);
  const notPassing = results.find((r) => r && r.status !== 'pass' && (r.reason || r.output?.length));
  const reason = (notPassing ? failureDetail(notPassing) : undefined) ?? first?.reason;
  const change = (patched: TestStatus | null): TestChange => ({
    name,
    baseline: b?.status ?? null,
    patched,
    runs: statuses,
    ...(reason ? { reason } : {}),
  });
  return { b, statuses, first, change };
}

/** Files one test into the list of `c` its baseline and patched results put it in (or none). */
function classifyTest(c: Comparison, t: TestSides, singleRun: boolean): void {
  const { b, statuses, first, change } = t;
  if (!b) {
    const agreed = consensus(statuses);
    if (agreed === undefined) c.flaky.push(change(first?.status ?? null));
    else if (agreed !== 'notrun') c.added.push(change(agreed));
    return;
  }
  if (statuses.length === 0) {
    // Listed but never run at the baseline and absent now: nothing is known about it either way.
    if (b.status !== 'notrun') c.removed.push(change(null));
    return;
  }
  if (singleRun && byRates(c, change(first?.status ?? null), b.repeat, first?.repeat)) return;
  const agreed = consensus(statuses);
  if (agreed === undefined) {
    c.flaky.push(change(first?.status ?? null));
    return;
  }
  const bc = statusClass(b.status);
  const pc = statusClass(agreed);
  const ch = change(agreed);
  if (bc === 'bad' && pc === 'bad') c.stillFailing.push(ch);
  else if (pc === 'bad') c.regressions.push(ch);
  else if (bc === 'bad' && pc === 'pass') c.fixed.push(ch);
  else if (pc === 'skip' && bc !== 'skip') c.newSkips.push(ch);
  else if (pc === 'notrun' && bc !== 'notrun') c.notRun.push(ch);
  else if (bc !== pc) c.otherChanges.push(ch);
}

/** Kernel events the baseline lacks, matched by key; confirmed when every patched run shows them. */
export function newEvents(baseline: TestRunResult, patchedRuns: readonly TestRunResult[]): NewEvent[] {
  const baseKeys = new Set(baseline.events.map(eventKey));
  const byKey = new Map<string, { ev: KernelEvent; runs: Set<number> }>();
  patchedRuns.forEach((r, i) => {
    for (const ev of r.events) {
      const key = eventKey(ev);
      if (baseKeys.has(key)) continue;
      const slot = byKey.get(key) ?? { ev, runs: new Set<number>() };
      slot.runs.add(i);
      byKey.set(key, slot);
    }
  });
  return [...byKey].map(([key, { ev, runs: inRuns }]) => ({
    kind: ev.kind,
    key,
    test: ev.test,
    summary: eventSummary(ev),
    text: ev.text,
    seenIn: inRuns.size,
    runsTotal: patchedRuns.length,
    confirmed: inRuns.size === patchedRuns.length,
    ...(ev.function ? { function: ev.function } : {}),
  }));
}

/** Baseline kernel events no patched run shows (one per key). */
export function goneEvents(baseline: TestRunResult, patchedRuns: readonly TestRunResult[]): GoneEvent[] {
  const patchedKeys = new Set(patchedRuns.flatMap((r) => r.events.map(eventKey)));
  const gone = new Map<string, GoneEvent>();
  for (const ev of baseline.events) {
    const key = eventKey(ev);
    if (patchedKeys.has(key) || gone.has(key)) continue;
    gone.set(key, { kind: ev.kind, key, summary: eventSummary(ev), ...(ev.function ? { function: ev.function } : {}) });
  }
  return [...gone.values()];
}

/**
 * Compare the baseline with one or more runs of the patched kernel (first run, then reruns).
 * A test is a regression only when every patched run that reached it agrees it is broken; when
 * the runs disagree it is flaky. Pure: plain data in, plain data out.
 */
export function compareResults(
  baseline: TestRunResult,
  patchedRuns: readonly TestRunResult[],
  opts: CompareOptions = {},
): Comparison {
  if (patchedRuns.length === 0) throw new Error('compareResults needs at least one patched run');
  const failingAddedRegresses = opts.failingAddedTestRegresses ?? true;
  const base = indexTests(baseline);
  const runs = patchedRuns.map(indexTests);

  // Every name in order: baseline order first, then tests only the patched side has.
  const names = [...new Set([...base.keys(), ...patchedRuns.flatMap((r) => r.tests.map((t) => t.name))])];

  const c = emptyComparison(patchedRuns.length);
  for (const name of names) classifyTest(c, testSides(name, base.get(name), runs), patchedRuns.length === 1);
  c.newEvents = newEvents(baseline, patchedRuns);
  c.goneEvents = goneEvents(baseline, patchedRuns);

  const failingAdded = failingAddedRegresses
    ? c.added.filter((t) => t.patched !== null && statusClass(t.patched) === 'bad')
    : [];
  const confirmedEvents = c.newEvents.filter((e) => e.confirmed);
  c.regressed = c.regressions.length > 0 || confirmedEvents.length > 0 || failingAdded.length > 0;
  c.summary = summarise(c, confirmedEvents.length, failingAdded.length);
  return c;
}

/**
 * A test run N times on both sides that failed at least once somewhere (else false: decided by
 * status as usual): failing in every run on both sides is still failing; otherwise Barnard's exact test on the failure rates decides
 * regression, fixed, or (not significant) flaky.
 */
function byRates(
  c: Comparison,
  ch: TestChange,
  base: RepeatCount | undefined,
  patched: RepeatCount | undefined,
): boolean {
  if (!base?.total || !patched?.total || (failures(base) === 0 && failures(patched) === 0)) return false;
  const rate = compareRates(base, patched);
  const withRate = { ...ch, rate };
  if (base.pass === 0 && patched.pass === 0) c.stillFailing.push(withRate);
  else if (rate.verdict === 'regression') c.regressions.push(withRate);
  else if (rate.verdict === 'fixed') c.fixed.push(withRate);
  else c.flaky.push(withRate);
  return true;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function summarise(c: Comparison, confirmedEvents: number, failingAdded: number): string {
  const bad: string[] = [];
  if (c.regressions.length) bad.push(plural(c.regressions.length, 'regression'));
  if (confirmedEvents) bad.push(plural(confirmedEvents, 'new kernel event'));
  if (failingAdded) bad.push(`${plural(failingAdded, 'added test')} failing`);
  const other: string[] = [];
  if (c.fixed.length) other.push(`${c.fixed.length} fixed`);
  if (c.flaky.length) other.push(`${c.flaky.length} flaky`);
  if (c.newSkips.length) other.push(plural(c.newSkips.length, 'new skip'));
  if (c.notRun.length) other.push(`${c.notRun.length} not run`);
  if (c.stillFailing.length) other.push(`${c.stillFailing.length} still failing`);
  const head = bad.length ? `regressed: ${bad.join(', ')}` : 'nothing regressed';
  return other.length ? `${head} (${other.join(', ')})` : head;
}
