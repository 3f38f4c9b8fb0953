import { formatMs } from '../common/progress.js';
import { TEST_STATUSES, type StatusCounts } from '../results/types.js';
import { changeRows, compactRows, headline, passText, repeatLine, shortSha } from './changes.js';
import type { RunRecord } from './record.js';
import { visibleLine } from '../series/visible.js';

function table(rows: readonly string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows)
    r.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function totalsRows(baseline: StatusCounts | undefined, patched: StatusCounts | undefined): string[][] {
  const used = TEST_STATUSES.filter((s) => (baseline?.[s] ?? 0) + (patched?.[s] ?? 0) > 0);
  const cols = used.length ? used : (['pass'] as const);
  const sum = (c: StatusCounts | undefined) => Object.values(c ?? {}).reduce((a, b) => a + (b ?? 0), 0);
  const row = (label: string, c: StatusCounts | undefined) => [
    label,
    ...cols.map((s) => String(c?.[s] ?? 0)),
    c ? String(sum(c)) : '-',
  ];
  return [['', ...cols, 'total'], row('baseline', baseline), row('patched', patched)];
}

/** Tests that failed some runs on either side without being a change: their k/N both sides. */
function repeatedFailures(r: RunRecord): string[] {
  const base = new Map((r.baseline?.tests ?? []).map((t) => [t.name, t]));
  const rows = (r.patched?.tests ?? [])
    .filter(
      (t) =>
        t.repeat &&
        (t.repeat.pass < t.repeat.total ||
          (base.get(t.name)?.repeat?.pass ?? 0) < (base.get(t.name)?.repeat?.total ?? 0)),
    )
    .map(
      (t) =>
        `  ${t.name}: patched ${passText(t.repeat!)}, baseline ${base.get(t.name)?.repeat ? passText(base.get(t.name)!.repeat!) : '-'}`,
    );
  return rows.length ? ['runs with failures (k/N):', ...rows] : [];
}

/**
 * The terminal report: a compact table of the changes first, then totals for both sides, then
 * where the logs are. Plain text, no colour, so it reads the same in a CI log.
 */
export function renderTerminal(r: RunRecord): string {
  const out: string[] = [];
  const s = r.series;
  out.push(`hmmci run ${r.id}: ${headline(r)}`);
  out.push(
    `series:  ${visibleLine(s.title)} (${s.patches.length} patch${s.patches.length === 1 ? '' : 'es'}) on ${shortSha(s.base)}${r.env.kernel ? ` (${r.env.kernel})` : ''}`,
  );
  out.push(
    `config:  ${[...r.config.fragments, ...r.config.extra].join(' + ') || '(default)'}${r.config.variant ? ` [${r.config.variant}]` : ''}, hash ${r.config.configHash || '-'}`,
  );
  out.push(
    `guest:   ${r.env.runner || '-'}/${r.env.accel || '-'}, ${r.env.gcc || 'gcc ?'}${r.baseline?.cached ? `; baseline reused from ${r.baseline.fromRun ?? 'the cache'}` : ''}`,
  );
  out.push('');
  if (r.comparison) {
    const rows = compactRows(changeRows(r.comparison));
    if (rows.length === 0) out.push('No test changed between the baseline and the patched kernel.');
    else {
      const lines = table([
        ['change', 'test', 'baseline', 'patched'],
        ...rows.map((x) => [x.label, x.name, x.baseline, x.patched]),
      ]);
      out.push(lines[0] as string);
      rows.forEach((x, i) => {
        out.push(lines[i + 1] as string);
        if (x.note && (x.label !== 'FIXED' || x.note.startsWith('fails '))) out.push(`    ${x.note.split('\n')[0]}`);
        const flaky = x.label === 'REGRESSION' ? r.knownFlaky?.find((k) => k.test === x.name) : undefined;
        if (flaky) out.push(`    ${flaky.label}`);
      });
    }
    const rep = repeatLine(r);
    if (rep) out.push(rep, ...repeatedFailures(r));
    if (r.comparison.patchedRuns > 1)
      out.push(
        `(changed results were confirmed by ${r.comparison.patchedRuns - 1} rerun${r.comparison.patchedRuns > 2 ? 's' : ''} of the patched kernel)`,
      );
    out.push('');
  } else if (r.error) {
    out.push(`hmmci: ${r.error.message}`);
    for (const d of r.error.details ?? []) out.push(`  ${d}`);
    out.push('');
  }
  out.push(...table(totalsRows(r.baseline?.counts, r.patched?.counts)));
  out.push('');
  if (r.stages.length) {
    out.push(
      `stages:  ${r.stages.map((st) => `${st.name}${st.side === 'run' ? '' : `[${st.side === 'baseline' ? 'base' : 'patched'}]`} ${formatMs(st.ms)}`).join(', ')}`,
    );
  }
  const a = r.artifacts;
  out.push(`logs:    ${a.dir}`);
  const logLine = (label: string, p?: string) => {
    if (p) out.push(`  ${label.padEnd(18)}${p}`);
  };
  logLine('patched console', a.patchedConsoles[0]);
  for (const [i, p] of a.patchedConsoles.slice(1).entries()) logLine(`rerun ${i + 1} console`, p);
  logLine('baseline console', a.baselineConsole);
  logLine('patched build', a.patchedBuildLog);
  logLine('baseline build', a.baselineBuildLog);
  if (r.error?.logPath && !Object.values(a).includes(r.error.logPath)) logLine('failing step', r.error.logPath);
  return `${out.join('\n')}\n`;
}
