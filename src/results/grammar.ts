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
export type LineType =
  | 'version'
  | 'plan'
  | 'result'
  | 'starting'
  | 'run'
  | 'verdict'
  | 'skip_reason'
  | 'terminated'
  | 'summary'
  | 'old_result'
  | 'totals'
  | 'planned_mismatch'
  | 'bail'
  | 'runner_timeout_set'
  | 'comment'
  | 'other';

export interface Classified {
  type: LineType;
  /** Named captures of the matching pattern. */
  f: Record<string, string>;
}

interface Rule {
  type: LineType;
  re: RegExp;
}

/** Order matters: the first match wins; `comment` catches every other `#` line. */
export const GRAMMAR: readonly Rule[] = [
  { type: 'version', re: /^(?<kind>TAP|KTAP) version (?<version>\d+)\s*$/ },
  { type: 'plan', re: /^1\.\.(?<count>\d+)(?:\s*#\s*(?<directive>SKIP)\b\s*(?<reason>.*))?\s*$/i },
  {
    type: 'result',
    re: /^(?<ok>ok|not ok)\s+(?<num>\d+)(?:\s+-)?(?:\s+(?!#)(?<name>.*?))?(?:\s+#\s*(?<directive>SKIP|XFAIL|XPASS|TODO|TIMEOUT|error)\b\s*(?<reason>.*?)|\s+#\s+(?<note>.*?))?\s*$/i,
  },
  { type: 'starting', re: /^#\s+Starting (?<tests>\d+) tests? from (?<cases>\d+) test cases?\.\s*$/ },
  { type: 'starting', re: /^\[==========\] Running (?<tests>\d+) tests? from (?<cases>\d+) test cases?\.\s*$/ },
  { type: 'run', re: /^\[ RUN {6}\] (?<name>\S+)\s*$/ },
  { type: 'old_result', re: /^\[\s+(?<verdict>OK|FAIL)\s\] (?<name>\S+)\s*$/ },
  { type: 'summary', re: /^\[==========\] (?<passed>\d+) \/ (?<total>\d+) tests passed\.\s*$/ },
  { type: 'run', re: /^#\s+RUN\s+(?<name>\S+)\s+\.\.\.\s*$/ },
  { type: 'verdict', re: /^#\s+(?<verdict>OK|FAIL)\s+(?<name>\S+)\s*$/ },
  { type: 'skip_reason', re: /^#\s+SKIP\s{2,}(?<reason>.*?)\s*$/ },
  {
    type: 'terminated',
    re: /^#\s+(?<name>\S+): (?<what>Test terminated by timeout|Test terminated unexpectedly by signal (?<signal>\d+)|Test terminated by assertion|Test failed|Test exited normally instead of by signal.*|Test ended in some other way.*)\s*$/,
  },
  { type: 'summary', re: /^#\s+(?<verdict>PASSED|FAILED): (?<passed>\d+) \/ (?<total>\d+) tests passed\.\s*$/ },
  { type: 'totals', re: /^#\s+Totals: pass:(?<pass>\d+) fail:(?<fail>\d+) xfail:(?<xfail>\d+) xpass:(?<xpass>\d+) skip:(?<skip>\d+) error:(?<error>\d+)\s*$/ },
  { type: 'planned_mismatch', re: /^#\s+Planned tests != run tests \((?<planned>\d+) != (?<run>\d+)\)\s*$/ },
  { type: 'bail', re: /^Bail out!\s*(?<reason>.*)$/ },
  { type: 'runner_timeout_set', re: /^#\s+timeout set to (?<seconds>\d+)\s*$/ },
  { type: 'comment', re: /^#(?<text>.*)$/ },
];

export function classify(text: string): Classified {
  for (const rule of GRAMMAR) {
    const m = rule.re.exec(text);
    if (m) return { type: rule.type, f: { ...(m.groups ?? {}) } as Record<string, string> };
  }
  return { type: 'other', f: {} };
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
