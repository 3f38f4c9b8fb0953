import type { Comparison, TestChange } from '../compare/types.js';
import type { RunRecord } from './record.js';

/** One line of the "changes" table every report starts with. */
export interface ChangeRow {
  label: 'REGRESSION' | 'FLAKY' | 'FIXED' | 'NEW SKIP' | 'ADDED' | 'REMOVED' | 'NOT RUN' | 'CHANGED' | 'NEW EVENT' | 'EVENT GONE';
  name: string;
  baseline: string;
  patched: string;
  note?: string;
}

function runsText(c: TestChange): string {
  return c.runs.length > 1 ? c.runs.join(',') : (c.patched ?? '-');
}

/** Changes in the order a reader needs them: what regressed first, what got better last. */
export function changeRows(c: Comparison): ChangeRow[] {
  const rows: ChangeRow[] = [];
  const push = (label: ChangeRow['label'], list: readonly TestChange[], note?: (t: TestChange) => string | undefined) => {
    for (const t of list) {
      const n = note?.(t);
      rows.push({ label, name: t.name, baseline: t.baseline ?? '-', patched: runsText(t), ...(n ? { note: n } : {}) });
    }
  };
  push('REGRESSION', c.regressions, (t) => t.reason);
  for (const e of c.newEvents) {
    rows.push({
      label: 'NEW EVENT', name: `${e.kind}${e.function ? ` in ${e.function}` : ''}`, baseline: '-',
      patched: `${e.seenIn}/${e.runsTotal} runs`, note: `${e.summary}${e.test ? ` (during ${e.test})` : ''}`,
    });
  }
  push('ADDED', c.added, (t) => t.reason);
  push('FLAKY', c.flaky, (t) => t.reason);
  push('NOT RUN', c.notRun);
  push('NEW SKIP', c.newSkips, (t) => t.reason);
  push('REMOVED', c.removed);
  push('CHANGED', c.otherChanges);
  push('FIXED', c.fixed);
  for (const g of c.goneEvents) rows.push({ label: 'EVENT GONE', name: `${g.kind}${g.function ? ` in ${g.function}` : ''}`, baseline: 'seen', patched: '-', note: g.summary });
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
      out.push({ label: 'NOT RUN', name: `${notRun.length} tests from ${r.name} on`, baseline: r.baseline, patched: 'notrun', note: 'the suite stopped before them' });
    }
  }
  return out;
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
