import { TEST_STATUSES, type KernelEvent } from './types.js';
import type { ParseResult } from './parser.js';

function eventBlock(e: KernelEvent, maxLines: number): string[] {
  const lines = (e.decoded ?? e.text).split('\n');
  const head = `${e.kind}${e.function ? ` in ${e.function}` : ''} during ${e.test ?? '(no test running)'}`;
  const body = lines.slice(0, maxLines).map((l) => `    ${l}`);
  if (lines.length > maxLines) body.push(`    … ${lines.length - maxLines} more lines`);
  return [`  ${head}`, ...body];
}

/**
 * Terminal rendering of a parse: one row per test (status, name, duration, reason), the counts,
 * then each kernel event with its text (decoded when vmlinux was at hand), then diagnostics.
 * Pure. `verbose` adds each failing test's output lines.
 */
export function formatResultText(r: ParseResult, opts: { verbose?: boolean; eventLines?: number } = {}): string {
  const out: string[] = [];
  const width = Math.max(20, ...r.tests.map((t) => t.name.length));
  for (const t of r.tests) {
    const dur = t.durationMs !== undefined ? `${(t.durationMs / 1000).toFixed(2)}s` : '';
    const rep = t.repeat ? ` ${`${t.repeat.pass}/${t.repeat.total}`.padStart(7)}` : '';
    out.push(
      `${t.status.toUpperCase().padEnd(7)} ${t.name.padEnd(width)}${rep} ${dur.padStart(7)}${t.reason ? `  ${t.reason}` : ''}`.trimEnd(),
    );
    if (opts.verbose && t.output?.length && t.status !== 'pass' && t.status !== 'skip')
      for (const l of t.output) out.push(`          | ${l}`);
  }
  if (!r.tests.length) out.push('(no test results)');
  const counts = TEST_STATUSES.filter((s) => r.counts[s]).map((s) => `${s} ${r.counts[s]}`);
  out.push('', `${r.tests.length} tests: ${counts.join(', ') || 'none'}`);
  if (r.events.length) {
    out.push('', `${r.events.length} kernel event${r.events.length === 1 ? '' : 's'}:`);
    for (const e of r.events) out.push(...eventBlock(e, opts.eventLines ?? 40));
  }
  if (r.diagnostics.length) {
    out.push('', 'parser notes:');
    for (const d of r.diagnostics) out.push(`  line ${d.line}: ${d.message}`);
  }
  return `${out.join('\n')}\n`;
}
