/**
 * The TAP 13 / KTAP grammar that kselftest_harness.h and kselftest.h write, as a table of line
 * types (node-tap's parser style): each entry is a name, a pattern and the fields it yields. The
 * parser classifies each line (after stripping run_kselftest.sh's `# ` nesting) by the first
 * entry that matches. Formats are from tools/testing/selftests/kselftest{,_harness}.h:
 *   ksft_print_header      "TAP version 13" / "1..N"
 *   test_harness_run       "# Starting N tests from M test cases."
 *   __run_test             "#  RUN           f.v.t ..." and "#            OK  f.v.t" / "FAIL"
 *   ksft_test_result_code  "ok N f.v.t", "ok N f.v.t # SKIP why", "# XFAIL", "# XPASS", "not ok N f.v.t";
 *                          before 6.9 the SKIP/XFAIL line had no name: "ok N # SKIP why"
 *   __wait_for_test        "# f.v.t: Test terminated by timeout" / "…unexpectedly by signal N"
 *   SKIP()                 "#      SKIP      why"
 *   ksft_print_cnts        "# Totals: pass:… fail:… xfail:… xpass:… skip:… error:…"
 *   ksft_exit_fail_msg     "Bail out! why"
 * runner.sh adds "# timeout set to N" and "not ok 1 selftests: mm: hmm-tests # TIMEOUT N seconds".
 * The pre-TAP harness of 5.8/5.9 (gtest style) wrote "[==========] Running N tests from M test cases.",
 * "[ RUN      ] f.t", "[       OK ] f.t" / "[     FAIL ] f.t", "[==========] x / y tests passed."
 * and TH_LOG lines without the "# " ("hmm-tests.c:200:anon_read:Expected …").
 */
/** One classified line: the line type and its fields, typed per type (a discriminated union). */
export type TapLine =
  | { type: 'version'; kind: 'TAP' | 'KTAP'; version: number }
  | { type: 'plan'; count: number; /** `1..N # SKIP why`: the reason ('' when none is given). */ skip?: string }
  | {
      type: 'result';
      ok: boolean;
      num: number;
      /** '' when the line names no test (the pre-6.9 `ok N # SKIP why`). */
      name: string;
      directive?: 'SKIP' | 'XFAIL' | 'XPASS' | 'TODO' | 'TIMEOUT' | 'ERROR';
      reason?: string;
      /** A `# text` after the name that is no directive. */
      note?: string;
    }
  | { type: 'starting'; tests: number; cases: number }
  | { type: 'run'; name: string }
  | { type: 'verdict'; verdict: 'OK' | 'FAIL'; name: string }
  | { type: 'old_result'; verdict: 'OK' | 'FAIL'; name: string }
  | { type: 'skip_reason'; reason: string }
  | { type: 'terminated'; name: string; what: string; signal?: number }
  | { type: 'summary'; verdict?: 'PASSED' | 'FAILED'; passed: number; total: number }
  | { type: 'totals'; counts: Record<TotalsKey, number> }
  | { type: 'planned_mismatch'; planned: number; run: number }
  | { type: 'bail'; reason: string }
  | { type: 'runner_timeout_set'; seconds: number }
  | { type: 'comment'; text: string }
  | { type: 'other' };

export type LineType = TapLine['type'];
export type LineOf<T extends LineType> = Extract<TapLine, { type: T }>;
export const TOTALS_KEYS = ['pass', 'fail', 'xfail', 'xpass', 'skip', 'error'] as const;
export type TotalsKey = (typeof TOTALS_KEYS)[number];

type Groups = Record<string, string | undefined>;
interface Rule<T extends LineType = LineType> {
  type: T;
  re: RegExp;
  /** The typed fields of a match (named captures in, numbers and enums out). */
  build: (g: Groups) => LineOf<T>;
}
/** A rule of the table, whatever its type. */
export interface GrammarRule {
  type: LineType;
  re: RegExp;
  build: (g: Groups) => TapLine;
}
const rule = <T extends LineType>(type: T, re: RegExp, build: (g: Groups) => Omit<LineOf<T>, 'type'>): Rule<T> => ({
  type,
  re,
  build: (g) => ({ type, ...build(g) }) as LineOf<T>,
});
const num = (s: string | undefined): number => Number(s);
const upper = <T extends string>(s: string | undefined): T | undefined => s?.toUpperCase() as T | undefined;
const verdictOf = (s: string | undefined): 'OK' | 'FAIL' => (s === 'OK' ? 'OK' : 'FAIL');

/** Order matters: the first match wins; `comment` catches every other `#` line. */
export const GRAMMAR: readonly GrammarRule[] = [
  rule('version', /^(?<kind>TAP|KTAP) version (?<version>\d+)\s*$/, (g) => ({
    kind: g.kind as 'TAP' | 'KTAP',
    version: num(g.version),
  })),
  rule('plan', /^1\.\.(?<count>\d+)(?:\s*#\s*(?<directive>SKIP)\b\s*(?<reason>.*))?\s*$/i, (g) => ({
    count: num(g.count),
    ...(g.directive !== undefined ? { skip: g.reason ?? '' } : {}),
  })),
  rule(
    'result',
    /^(?<ok>ok|not ok)\s+(?<num>\d+)(?:\s+-)?(?:\s+(?!#)(?<name>.*?))?(?:\s+#\s*(?<directive>SKIP|XFAIL|XPASS|TODO|TIMEOUT|error)\b\s*(?<reason>.*?)|\s+#\s+(?<note>.*?))?\s*$/i,
    (g) => ({
      ok: g.ok === 'ok',
      num: num(g.num),
      name: g.name ?? '',
      ...(g.directive !== undefined ? { directive: upper<'SKIP'>(g.directive)! } : {}),
      ...(g.reason !== undefined ? { reason: g.reason } : {}),
      ...(g.note !== undefined ? { note: g.note } : {}),
    }),
  ),
  rule('starting', /^#\s+Starting (?<tests>\d+) tests? from (?<cases>\d+) test cases?\.\s*$/, (g) => ({
    tests: num(g.tests),
    cases: num(g.cases),
  })),
  rule('starting', /^\[==========\] Running (?<tests>\d+) tests? from (?<cases>\d+) test cases?\.\s*$/, (g) => ({
    tests: num(g.tests),
    cases: num(g.cases),
  })),
  rule('run', /^\[ RUN {6}\] (?<name>\S+)\s*$/, (g) => ({ name: g.name! })),
  rule('old_result', /^\[\s+(?<verdict>OK|FAIL)\s\] (?<name>\S+)\s*$/, (g) => ({
    verdict: verdictOf(g.verdict),
    name: g.name!,
  })),
  rule('summary', /^\[==========\] (?<passed>\d+) \/ (?<total>\d+) tests passed\.\s*$/, (g) => ({
    passed: num(g.passed),
    total: num(g.total),
  })),
  rule('run', /^#\s+RUN\s+(?<name>\S+)\s+\.\.\.\s*$/, (g) => ({ name: g.name! })),
  rule('verdict', /^#\s+(?<verdict>OK|FAIL)\s+(?<name>\S+)\s*$/, (g) => ({
    verdict: verdictOf(g.verdict),
    name: g.name!,
  })),
  rule('skip_reason', /^#\s+SKIP\s{2,}(?<reason>.*?)\s*$/, (g) => ({ reason: g.reason ?? '' })),
  rule(
    'terminated',
    /^#\s+(?<name>\S+): (?<what>Test terminated by timeout|Test terminated unexpectedly by signal (?<signal>\d+)|Test terminated by assertion|Test failed|Test exited normally instead of by signal.*|Test ended in some other way.*)\s*$/,
    (g) => ({ name: g.name!, what: g.what!, ...(g.signal !== undefined ? { signal: num(g.signal) } : {}) }),
  ),
  rule('summary', /^#\s+(?<verdict>PASSED|FAILED): (?<passed>\d+) \/ (?<total>\d+) tests passed\.\s*$/, (g) => ({
    verdict: g.verdict as 'PASSED' | 'FAILED',
    passed: num(g.passed),
    total: num(g.total),
  })),
  rule(
    'totals',
    /^#\s+Totals: pass:(?<pass>\d+) fail:(?<fail>\d+) xfail:(?<xfail>\d+) xpass:(?<xpass>\d+) skip:(?<skip>\d+) error:(?<error>\d+)\s*$/,
    (g) => ({ counts: Object.fromEntries(TOTALS_KEYS.map((k) => [k, num(g[k])])) as Record<TotalsKey, number> }),
  ),
  rule('planned_mismatch', /^#\s+Planned tests != run tests \((?<planned>\d+) != (?<run>\d+)\)\s*$/, (g) => ({
    planned: num(g.planned),
    run: num(g.run),
  })),
  rule('bail', /^Bail out!\s*(?<reason>.*)$/, (g) => ({ reason: g.reason ?? '' })),
  rule('runner_timeout_set', /^#\s+timeout set to (?<seconds>\d+)\s*$/, (g) => ({ seconds: num(g.seconds) })),
  rule('comment', /^#(?<text>.*)$/, (g) => ({ text: g.text ?? '' })),
];

export function classify(text: string): TapLine {
  for (const r of GRAMMAR) {
    const m = r.re.exec(text);
    if (m) return r.build(m.groups ?? {});
  }
  return { type: 'other' };
}

/** Lines that only user space (the TAP producer) writes: used to rejoin split console lines. */
export function isTapLine(text: string): boolean {
  const t = classify(text).type;
  return t !== 'other' && t !== 'comment';
}

/**
 * Strip up to `depth` levels of run_kselftest.sh nesting (`# ` per level; an empty nested line is
 * a bare `#`). Returns the inner text and how many levels were actually present.
 */
export function unnest(text: string, depth: number): { text: string; levels: number } {
  let t = text;
  let levels = 0;
  while (levels < depth) {
    if (t.startsWith('# ')) t = t.slice(2);
    else if (t === '#') t = '';
    else break;
    levels++;
  }
  return { text: t, levels };
}

/** Nesting depth at which a line is a TAP version header, or -1 (run_kselftest.sh indents with `# `). */
export function versionDepth(text: string, maxDepth = 4): number {
  let t = text;
  for (let d = 0; d <= maxDepth; d++) {
    if (/^(?:TAP|KTAP) version \d+\s*$/.test(t)) return d;
    if (!t.startsWith('# ')) return -1;
    t = t.slice(2);
  }
  return -1;
}
