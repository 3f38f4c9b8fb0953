import type { Comparison, TestChange } from '../compare/types.js';
import { describeRates } from '../compare/rates.js';
import type { RepeatCount } from '../results/types.js';
import type { RunRecord } from './record.js';

/** One line of the "changes" table every report starts with. */
export interface ChangeRow {
  label:
    | 'REGRESSION'
    | 'FLAKY'
    | 'FIXED'
    | 'NEW SKIP'
    | 'ADDED'
    | 'REMOVED'
    | 'NOT RUN'
    | 'CHANGED'
    | 'NEW EVENT'
    | 'EVENT GONE';
  name: string;
  baseline: string;
  patched: string;
  note?: string;
}

/** `17/20 pass` of a `--repeat` count. */
export function passText(r: RepeatCount): string {
  return `${r.pass}/${r.total} pass`;
}

function runsText(c: TestChange): string {
  if (c.rate) return passText(c.rate.patched);
  return c.runs.length > 1 ? c.runs.join(',') : (c.patched ?? '-');
}

/** Changes in the order a reader needs them: what regressed first, what got better last. */
export function changeRows(c: Comparison): ChangeRow[] {
  const rows: ChangeRow[] = [];
  const push = (
    label: ChangeRow['label'],
    list: readonly TestChange[],
    note?: (t: TestChange) => string | undefined,
  ) => {
    for (const t of list) {
      const n = note?.(t)?.trim();
      const text = t.rate ? [describeRates(t.rate), n].filter(Boolean).join('; ') : n;
      rows.push({
        label,
        name: t.name,
        baseline: t.rate ? passText(t.rate.baseline) : (t.baseline ?? '-'),
        patched: runsText(t),
        ...(text ? { note: text } : {}),
      });
    }
  };
  push('REGRESSION', c.regressions, (t) => t.reason);
  for (const e of c.newEvents) {
    rows.push({
      label: 'NEW EVENT',
      name: `${e.kind}${e.function ? ` in ${e.function}` : ''}`,
      baseline: '-',
      patched: `${e.seenIn}/${e.runsTotal} runs`,
      note: `${e.summary}${e.test ? ` (during ${e.test})` : ''}`,
    });
  }
  push('ADDED', c.added, (t) => t.reason);
  push('FLAKY', c.flaky, (t) => t.reason);
  push('NOT RUN', c.notRun);
  push('NEW SKIP', c.newSkips, (t) => t.reason);
  push('REMOVED', c.removed);
  push('CHANGED', c.otherChanges);
  push('FIXED', c.fixed);
  for (const g of c.goneEvents)
    rows.push({
      label: 'EVENT GONE',
      name: `${g.kind}${g.function ? ` in ${g.function}` : ''}`,
      baseline: 'seen',
      patched: '-',
      note: g.summary,
    });
  return rows;
}

/** Collapse long runs of NOT RUN rows (a suite that stopped early) into one line. */
export function compactRows(rows: readonly ChangeRow[], maxNotRun = 3): ChangeRow[] {
  const notRun = rows.filter((r) => r.label === 'NOT RUN');
  if (notRun.length <= maxNotRun) return [...rows];
  const out: ChangeRow[] = [];
  let done = false;
  for (const r of rows) {
    if (r.label !== 'NOT RUN') out.push(r);
    else if (!done) {
      done = true;
      out.push({
        label: 'NOT RUN',
        name: `${notRun.length} tests from ${r.name} on`,
        baseline: r.baseline,
        patched: 'notrun',
        note: 'the suite stopped before them',
      });
    }
  }
  return out;
}

/** `each test ran 20 times per side` when the sides were run with --repeat, else undefined. */
export function repeatLine(r: RunRecord): string | undefined {
  const most = (side: RunRecord['patched']) => Math.max(0, ...(side?.tests ?? []).map((t) => t.repeat?.total ?? 0));
  const p = most(r.patched);
  if (!p) return undefined;
  return `--repeat: each test ran up to ${p} times patched, ${most(r.baseline) || '-'} at the baseline (k/N = runs passed of runs with a verdict); failure rates compared with Barnard's exact test, one-sided, α = 0.05`;
}

/** Headline of a record: the verdict, or why there is none. */
export function headline(r: RunRecord): string {
  if (r.status === 'interrupted') return 'interrupted before it finished';
  if (r.error) return `stopped: ${r.error.message}`;
  if (!r.comparison) return 'no comparison';
  return r.comparison.summary;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 12);
}
