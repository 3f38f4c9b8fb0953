/** Text output of `hmmci series show` and `hmmci apply`. Pure. */
import type { ApplyResult, Patch, Series, SeriesWarning } from './types.js';
import { visible, visibleLine } from './visible.js';

/**
 * Warnings as people read them: a long thread's hundreds of replies become one line ("4571
 * mails that are not patches were ignored; first: …") unless `verbose` asks for every one.
 */
export function summariseWarnings(
  warnings: readonly SeriesWarning[],
  opts: { verbose?: boolean; limit?: number } = {},
): SeriesWarning[] {
  const limit = opts.limit ?? 3;
  // Warnings quote subjects and authors from the mails: printed, so made visible.
  warnings = warnings.map((w) => ({ ...w, message: visible(w.message) }));
  const stray = warnings.filter((w) => w.kind === 'not-a-patch');
  if (opts.verbose || stray.length <= limit) return [...warnings];
  const summary: SeriesWarning = {
    kind: 'not-a-patch',
    message: `${stray.length} mails that are not patches of the series (replies, mails without a diff) were ignored; first: ${stray[0]?.message ?? ''} (--verbose lists them all)`,
  };
  const out: SeriesWarning[] = [];
  let placed = false;
  for (const w of warnings) {
    if (w.kind !== 'not-a-patch') out.push(w);
    else if (!placed) {
      out.push(summary);
      placed = true;
    }
  }
  return out;
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

export function renderSeriesText(series: Series, opts: { width?: number; verbose?: boolean } = {}): string {
  const width = Math.max(80, opts.width ?? 100);
  const out: string[] = [];
  const first = series.patches[0];
  const title = visibleLine(series.cover?.subject ?? first?.subject ?? '');
  out.push(`Series:  ${title}`);
  out.push(`Source:  ${series.source.kind} ${visibleLine(series.source.input)}`);
  out.push(
    `Version: v${series.version}, ${series.patches.length} patch${series.patches.length === 1 ? '' : 'es'}${series.cover ? ' + cover letter' : ''}`,
  );
  if (series.cover)
    out.push(`Cover:   ${series.cover.messageId ? `<${visibleLine(series.cover.messageId)}>` : '(no Message-ID)'}`);
  out.push(`Base:    ${series.baseCommit ?? '(no base-commit)'}`);
  if (series.prerequisitePatchIds.length) out.push(`Prereqs: ${series.prerequisitePatchIds.join(', ')}`);
  out.push('');
  const nW = Math.max(3, ...series.patches.map((p) => `${p.index}/${p.total}`.length));
  const statW = Math.max(7, ...series.patches.map((p) => stat(p).length));
  const authorW = Math.min(28, Math.max(6, ...series.patches.map((p) => visibleLine(authorName(p.author)).length)));
  const subjW = Math.max(20, width - nW - statW - authorW - 6);
  out.push(`${'#'.padEnd(nW)}  ${'subject'.padEnd(subjW)}  ${'author'.padEnd(authorW)}  ${'+/-'.padEnd(statW)}`);
  for (const p of series.patches) {
    out.push(
      `${`${p.index}/${p.total}`.padEnd(nW)}  ${clip(visibleLine(p.subject), subjW).padEnd(subjW)}  ${clip(visibleLine(authorName(p.author)), authorW).padEnd(authorW)}  ${stat(p).padEnd(statW)}`,
    );
    p.files.forEach((f, i) =>
      out.push(
        `${' '.repeat(nW + 2)}  ${visibleLine(f.path)} ${isBinary(p, i, f.path) ? 'binary' : `+${f.additions} -${f.deletions}`}`,
      ),
    );
    const keys = new Map<string, number>();
    for (const t of p.trailers) keys.set(t.key, (keys.get(t.key) ?? 0) + 1);
    if (keys.size)
      out.push(
        `${' '.repeat(nW + 2)}  ${visibleLine([...keys.entries()].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)).join(', '))}`,
      );
  }
  if (series.warnings.length) {
    out.push('');
    out.push('Warnings:');
    for (const w of summariseWarnings(series.warnings, opts)) out.push(`  - ${w.message}`);
  }
  return `${out.map((l) => l.trimEnd()).join('\n')}\n`;
}

function stat(p: { files: Array<{ additions: number; deletions: number }> }): string {
  const a = p.files.reduce((s, f) => s + f.additions, 0);
  const d = p.files.reduce((s, f) => s + f.deletions, 0);
  return `+${a} -${d}`;
}

/** A binary file section (`GIT binary patch`, `Binary files … differ`): no line counts to show. */
function isBinary(p: Patch, i: number, path: string): boolean {
  const c = p.changes[i];
  return c !== undefined && (c.to === path || c.from === path)
    ? c.isBinary
    : p.changes.some((x) => x.isBinary && (x.to === path || x.from === path));
}

function authorName(author: string): string {
  return author.replace(/\s*<[^>]*>\s*$/, '') || author;
}

export function renderApplyText(r: ApplyResult, opts: { total?: number } = {}): string {
  const lines = [`Worktree: ${r.worktree}`, `Base:     ${r.base} (${r.baseReason})`];
  for (const c of r.commits)
    lines.push(`  ${c.sha.slice(0, 12)} ${c.index}/${opts.total ?? r.commits.length} ${visibleLine(c.subject)}`);
  if (r.commits.length === 0) lines.push('  (no commits)');
  return `${lines.join('\n')}\n`;
}
