import type { Comparison, TestChange } from '../compare/types.js';
import { outcomeOf } from '../history/stats.js';
import { repeatOf } from '../history/rows.js';
import type { RunRecord } from '../report/record.js';
import type { TestResult } from '../results/types.js';

export type MatrixLabel =
  'regression' | 'fixed' | 'still failing' | 'flaky' | 'new skip' | 'added' | 'removed' | 'not run' | 'changed';

/** One line of the all-cases matrix: a test, baseline against patched. */
export interface MatrixRow {
  name: string;
  baseline: TestResult | null;
  /** The patched side's result in each attempt (first run, then reruns); null when it did not run there. */
  patched: Array<TestResult | null>;
  /** Passes out of runs on the patched side (reruns, or hmm-tests' own repeat counts). */
  pass: number;
  total: number;
  label: MatrixLabel | null;
  /** "known flaky (k of n recent baseline runs failed)" from the history, on regressions. */
  knownFlaky?: string;
}

const LISTS: ReadonlyArray<[keyof Comparison, MatrixLabel]> = [
  ['regressions', 'regression'],
  ['fixed', 'fixed'],
  ['stillFailing', 'still failing'],
  ['flaky', 'flaky'],
  ['newSkips', 'new skip'],
  ['added', 'added'],
  ['removed', 'removed'],
  ['notRun', 'not run'],
  ['otherChanges', 'changed'],
];

export function labelsOf(c: Comparison | null): Map<string, MatrixLabel> {
  const out = new Map<string, MatrixLabel>();
  if (!c) return out;
  for (const [key, label] of LISTS)
    for (const t of c[key] as TestChange[]) if (!out.has(t.name)) out.set(t.name, label);
  return out;
}

/** k/N over the patched attempts that produced results. */
function passCount(results: ReadonlyArray<TestResult | null>): { pass: number; total: number } {
  let pass = 0;
  let total = 0;
  for (const r of results) {
    if (!r) continue;
    const rep = repeatOf(r);
    if (rep) {
      pass += rep.pass;
      total += rep.total;
    } else if (outcomeOf(r.status)) {
      total++;
      if (outcomeOf(r.status) === 'pass') pass++;
    }
  }
  return { pass, total };
}

/** Every case of the run (baseline order, then tests only the patched side has), labelled. */
export function matrixRows(r: RunRecord): MatrixRow[] {
  const attempts = [r.patched, ...r.reruns].filter(
    (x): x is NonNullable<typeof x> => Boolean(x) && (x?.tests.length ?? 0) > 0,
  );
  const byName = attempts.map((a) => new Map(a.tests.map((t) => [t.name, t])));
  const base = new Map((r.baseline?.tests ?? []).map((t) => [t.name, t]));
  const names = [...base.keys()];
  for (const a of attempts)
    for (const t of a.tests) if (!base.has(t.name) && !names.includes(t.name)) names.push(t.name);
  const labels = labelsOf(r.comparison);
  return names.map((name) => {
    const patched = byName.map((m) => m.get(name) ?? null);
    const known = r.knownFlaky?.find((k) => k.test === name)?.label;
    return {
      name,
      baseline: base.get(name) ?? null,
      patched,
      ...passCount(patched),
      label: labels.get(name) ?? null,
      ...(known ? { knownFlaky: known } : {}),
    };
  });
}
