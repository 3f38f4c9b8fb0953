/**
 * Why a patch does not apply, from the output of `git apply --check -v --reject` (and of the
 * `--reverse --check` run that tells an already-applied file): which files and which hunks, and
 * a sentence for each. Pure.
 */
import { changedPath } from './diff.js';
import type { ApplyFailure, HunkFailure, Patch } from './types.js';

export interface ApplyCheckOutput {
  /** stderr+stdout of `git apply --check -v --reject <patch>`. */
  forward: string;
  /** Paths (as the patch names them) whose `git apply --check --reverse` succeeded. */
  reverseApplies: ReadonlySet<string>;
  /** Tracked files of the tree resembling a missing file (moved/renamed), by missing path. */
  similar?: ReadonlyMap<string, string[]>;
}

/** Parse git apply's diagnostics into per-hunk failures of one patch. */
export function explainApplyFailure(patch: Patch, out: ApplyCheckOutput): HunkFailure[] {
  const failures: HunkFailure[] = [];
  const lines = out.forward.split('\n');
  let searching: string[] | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === 'error: while searching for:') {
      searching = [];
      for (i++; i < lines.length && !(lines[i] ?? '').startsWith('error: patch failed: '); i++)
        searching.push(lines[i] ?? '');
      i--;
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^error: patch failed: (.+):(\d+)$/.exec(line))) {
      const file = m[1] ?? '';
      const at = Number(m[2]);
      const change = patch.changes.find((c) => changedPath(c) === file || c.from === file);
      const hunk =
        change?.hunks.find((h) => h.oldStart === at) ?? change?.hunks.find((h) => Math.abs(h.oldStart - at) <= 1);
      const already = out.reverseApplies.has(file);
      const expected = (searching ?? []).filter((l, idx, arr) => !(idx === arr.length - 1 && l === ''));
      failures.push({
        file,
        hunk: hunk?.header.replace(/( @@).*$/, '$1'),
        line: at,
        reason: already ? 'already-applied' : 'context-mismatch',
        explanation: already
          ? `already applied: the tree already has this change (the patch applies in reverse)`
          : `context mismatch: the ${expected.length} line${expected.length === 1 ? '' : 's'} the hunk expects at line ${at} are not in the file (the code around it changed)`,
        expected: expected.slice(0, 6),
      });
      searching = undefined;
      continue;
    }
    if ((m = /^error: (.+): (No such file or directory|does not exist in index)$/.exec(line))) {
      const file = m[1] ?? '';
      const similar = out.similar?.get(file) ?? [];
      failures.push({
        file,
        reason: 'file-missing',
        explanation: `file missing: the tree has no ${file}${similar.length ? ` (moved or renamed? the tree has ${similar.slice(0, 3).join(', ')})` : ''}`,
      });
      continue;
    }
    if ((m = /^error: (.+): already exists in (working directory|index)$/.exec(line))) {
      const file = m[1] ?? '';
      failures.push({
        file,
        reason: out.reverseApplies.has(file) ? 'already-applied' : 'file-exists',
        explanation: out.reverseApplies.has(file)
          ? 'already applied: the file the patch creates is already there with this content'
          : 'file exists: the patch creates this file, but the tree already has one',
      });
      continue;
    }
    if ((m = /^error: (?:corrupt patch|patch fragment without header|unrecognized input) ?(.*)$/.exec(line))) {
      failures.push({
        file: '(patch)',
        reason: 'corrupt',
        explanation: `corrupt patch: git cannot parse it (${line.replace(/^error: /, '')})`,
      });
      continue;
    }
    if ((m = /^error: (.+): (wrong type|does not match index|patch does not apply)$/.exec(line))) {
      const file = m[1] ?? '';
      if (m[2] === 'patch does not apply' && failures.some((f) => f.file === file)) continue;
      failures.push({ file, reason: 'other', explanation: `${m[2]}` });
    }
  }
  return failures;
}

/** Files of the patch with no failure: they would apply. */
export function cleanFiles(patch: Patch, failures: readonly HunkFailure[]): string[] {
  const bad = new Set(failures.map((f) => f.file));
  return patch.changes.map(changedPath).filter((p) => !bad.has(p));
}

/** The one-paragraph message and the detail lines of an ApplyError. */
export function formatApplyFailure(
  f: ApplyFailure,
  base: { base: string; reason: string },
): { message: string; details: string[] } {
  const byFile = new Map<string, typeof f.failures>();
  for (const x of f.failures) byFile.set(x.file, [...(byFile.get(x.file) ?? []), x]);
  const summary = [...byFile.entries()]
    .map(([file, list]) => {
      const reasons = [...new Set(list.map((x) => x.reason.replace('-', ' ')))].join(', ');
      const hunks = list.filter((x) => x.hunk).length;
      return `${file} (${hunks ? `${hunks} hunk${hunks === 1 ? '' : 's'}: ` : ''}${reasons})`;
    })
    .join('; ');
  const allApplied = f.failures.length > 0 && f.failures.every((x) => x.reason === 'already-applied');
  const advice = allApplied
    ? 'The tree already contains it: drop this patch, or pick an older base with --base.'
    : f.failures.some((x) => x.reason === 'file-missing')
      ? 'The patch was written for a different tree (a file it changes is gone or moved): rebase it, or pass the base it was written for with --base (or --tree with that tree).'
      : 'Rebase the series onto this tree, or pass the base it was written for with --base (or --tree with that tree).';
  const message = `Patch ${f.index}/${f.total} "${f.subject}" does not apply to ${base.base.slice(0, 12)} (${base.reason}): ${summary || 'git am failed'}. ${advice} The worktree was reset to the base; nothing else changed.`;
  const details: string[] = [];
  const shownMax = 8;
  for (const x of f.failures.slice(0, shownMax)) {
    details.push(`${x.file}${x.hunk ? ` ${x.hunk}` : ''}: ${x.explanation}`);
    if (x.reason === 'context-mismatch' && x.expected?.length) {
      const shown = x.expected.filter((l) => l.trim() !== '').slice(0, 2);
      for (const l of shown) details.push(`    expected: ${l.replace(/\t/g, '    ').slice(0, 100)}`);
    }
  }
  if (f.failures.length > shownMax)
    details.push(
      `… and ${f.failures.length - shownMax} more (${f.failures
        .slice(shownMax)
        .map((x) => x.hunk ?? x.file)
        .join(', ')})`,
    );
  if (f.appliedFiles.length) details.push(`applies cleanly: ${f.appliedFiles.join(', ')}`);
  return { message, details };
}
