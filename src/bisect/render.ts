import { formatMs } from '../common/progress.js';
import type { BisectReport } from './types.js';

/**
 * Pure renderers of a bisect report: the `--json` document (the issue's contract fields first:
 * firstBad, flipped, steps, skipped) and the text step table with the answer.
 */

export function renderJson(r: BisectReport): string {
  const { firstBad, flipped, steps, skipped, ...rest } = r;
  return `${JSON.stringify({ firstBad, flipped, steps, skipped, ...rest }, null, 2)}\n`;
}

export interface RenderTextOptions {
  /** 'series': index i is patch i/N; 'range': commit i of the --good..--bad range. */
  kind: 'series' | 'range';
  /** Shown in the heading: the series title or the range. */
  title?: string;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function renderText(r: BisectReport, opts: RenderTextOptions): string {
  const total = r.total;
  const what = opts.kind === 'series' ? 'patch' : 'commit';
  const label = (i: number) => (i === 0 ? 'base' : `${what} ${i}/${total}`);
  const lines: string[] = [];
  if (opts.title) lines.push(`bisect: ${opts.title}`);
  lines.push(
    `bad means: ${r.badDefinition}${r.targets.length ? ` (${r.targets.length} test${r.targets.length === 1 ? '' : 's'}: ${r.targets.slice(0, 4).join(', ')}${r.targets.length > 4 ? ', …' : ''})` : ''}`,
  );
  if (r.steps.length > 0) {
    const rows = r.steps.map((s, k) => [
      s.role ? s.role : String(k + 1 - r.steps.slice(0, k).filter((x) => x.role).length),
      s.sha.slice(0, 12),
      label(s.index),
      s.verdict + (s.rerun ? ' (again)' : ''),
      formatMs(s.ms) + (s.built ? '' : ' (no build)'),
      s.reason ??
        (s.bad.length ? s.bad.slice(0, 2).join(', ') + (s.bad.length > 2 ? `, +${s.bad.length - 2}` : '') : ''),
      s.subject,
    ]);
    const head = ['step', 'commit', what, 'verdict', 'time', 'why', 'subject'];
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
    const fmt = (row: string[]) =>
      row
        .map((cell, c) => (c === row.length - 1 ? cell : pad(cell, widths[c]!)))
        .join('  ')
        .trimEnd();
    lines.push('', fmt(head), ...rows.map(fmt));
  }
  lines.push('');
  switch (r.status) {
    case 'found': {
      const fb = r.firstBad!;
      lines.push(`first bad ${what}: ${fb.index}/${fb.total} ${fb.sha.slice(0, 12)} ${fb.subject}`);
      if (r.flipped.length) lines.push(`flipped: ${r.flipped.join(', ')}`);
      break;
    }
    case 'ambiguous':
      lines.push(`the first bad ${what} is one of (commits in between were skipped):`);
      for (const c of r.candidates) lines.push(`  ${label(c.index)} ${c.sha.slice(0, 12)} ${c.subject}`);
      if (r.flipped.length) lines.push(`flipped: ${r.flipped.join(', ')}`);
      break;
    case 'nothing-to-bisect':
      lines.push(`nothing to bisect: no ${r.badDefinition.replace(/^a test/, 'test')}.`);
      break;
    case 'all-flaky':
      lines.push('nothing blamed: every test that flipped changed its result between two boots of the same kernel.');
      break;
  }
  if (r.flaky.length)
    lines.push(`flaky (changed between two boots of the same kernel, not blamed): ${r.flaky.join(', ')}`);
  if (r.skipped.length) lines.push(`skipped: ${r.skipped.map((s) => s.slice(0, 12)).join(' ')}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  const searchSteps = r.steps.filter((s) => !s.role && !s.rerun).length;
  const retests = r.steps.filter((s) => s.rerun).length;
  const ends = r.steps.filter((s) => s.role).length;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  lines.push(
    `${plural(searchSteps, 'step')}${retests ? ` + ${plural(retests, 're-test')}` : ''}${ends ? ` + ${ends === 2 ? 'both ends' : 'one end'}` : ' (ends cached)'}, ${plural(r.builds, 'build')}, ${formatMs(r.totalMs)}`,
  );
  return `${lines.join('\n')}\n`;
}
