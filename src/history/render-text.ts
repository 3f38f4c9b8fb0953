import { formatMs } from '../common/progress.js';
import type { FlakyEntry, TestHistory } from './queries.js';
import { printable } from './printable.js';
import type { TestStats } from './stats.js';

function table(rows: readonly string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows)
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

const pct = (x: number) => (Number.isNaN(x) ? '-' : `${(x * 100).toFixed(x === 1 || x === 0 ? 0 : 1)}%`);
const when = (iso: string) => iso.replace('T', ' ').slice(0, 16);
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function statsLine(s: TestStats): string {
  const streak = s.streak ? `, current streak ${s.streak.count} × ${s.streak.outcome}` : '';
  return `${s.passed} of ${s.results} results passed (${pct(s.passRate)}), ${s.flips} flip${s.flips === 1 ? '' : 's'}${streak}`;
}

/** `hmmci history <glob>`: per test a statistics line, then its runs oldest first. */
export function renderHistoryText(list: readonly TestHistory[], opts: { shown?: number } = {}): string {
  const out: string[] = [];
  for (const h of list) {
    out.push(`${h.test}: ${statsLine(h.stats)}`);
    const rows = h.rows.map((r) => [
      when(r.createdAt),
      r.job,
      clip(printable(r.series), 48),
      r.base.slice(0, 12),
      clip(printable(r.config), 40),
      r.baseline ? `${r.baseline}${r.baselineCached ? '*' : ''}` : '-',
      r.patched.join(',') || '-',
      r.total ? `${r.pass}/${r.total}` : '-',
      r.durationMs !== null ? formatMs(r.durationMs) : '-',
      r.label ?? '',
    ]);
    if (opts.shown && h.rows.length >= opts.shown) out.push(`  (the latest ${opts.shown} runs; --limit N shows more)`);
    out.push(
      ...table([
        ['when', 'run', 'series', 'base', 'config', 'baseline', 'patched', 'k/N', 'time', 'change'],
        ...rows,
      ]).map((l) => `  ${l}`),
    );
    out.push('');
  }
  if (list.some((h) => h.rows.some((r) => r.baselineCached)))
    out.push('* baseline reused from an earlier run (not counted again)');
  return `${out.join('\n').trimEnd()}\n`;
}

/** `hmmci history --flaky`: tests ranked by flips. */
export function renderFlakyText(list: readonly FlakyEntry[]): string {
  if (!list.length) return 'No test flipped between pass and fail on the same base and config.\n';
  const rows = list.map((f, i) => [
    String(i + 1),
    f.test,
    String(f.flips),
    `${f.failed}/${f.results}`,
    pct(f.passRate),
    f.streak ? `${f.streak.count} × ${f.streak.outcome}` : '-',
    f.lastFailure ? when(f.lastFailure) : '-',
  ]);
  return `${table([['#', 'test', 'flips', 'failed', 'pass rate', 'streak', 'last failure'], ...rows]).join('\n')}\n`;
}
