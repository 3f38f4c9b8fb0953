/**
 * A patch mail's body split into commit message, notes (diffstat) and diff, the diff's files and
 * hunks (counted, so a diff cut short is noticed and a `-- ` inside a hunk is not taken for the
 * signature), and per-file statistics from parse-diff. Pure.
 */
import parseDiff from 'parse-diff';
import type { FileChange, FileStat, HunkInfo } from './types.js';

export interface SplitBody {
  message: string;
  notes: string;
  diff: string;
  /** Lines after the diff (signature, base-commit…). */
  footer: string;
  changes: FileChange[];
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
const FILE_HEADER = /^(old mode|new mode|deleted file mode|new file mode|similarity index|dissimilarity index|rename from|rename to|copy from|copy to|index) /;

/** Index of the first diff line: `diff --git`, `Index:`, or a `--- `/`+++ ` pair. */
export function findDiffStart(lines: readonly string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] ?? '';
    if (l.startsWith('diff --git ') || l.startsWith('diff --cc ')) return i;
    if (l.startsWith('Index: ') && (lines[i + 1] ?? '').startsWith('====')) return i;
    if (l.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ') && HUNK.test(lines[i + 2] ?? '')) return i;
  }
  return -1;
}

export function splitBody(body: string): SplitBody {
  const lines = body.split('\n');
  const start = findDiffStart(lines);
  if (start < 0) {
    return { message: body.replace(/\s+$/, ''), notes: '', diff: '', footer: '', changes: [] };
  }
  let sep = -1;
  for (let i = 0; i < start; i++) {
    if (lines[i] === '---') {
      sep = i;
      break;
    }
  }
  const message = lines.slice(0, sep >= 0 ? sep : start).join('\n').replace(/\s+$/, '');
  const notes = sep >= 0 ? lines.slice(sep + 1, start).join('\n').replace(/^\n+|\s+$/g, '') : '';
  const { changes, end } = scanDiff(lines, start);
  return {
    message,
    notes,
    diff: `${lines.slice(start, end).join('\n')}\n`,
    footer: lines.slice(end).join('\n'),
    changes,
  };
}

function stripPrefix(p: string, prefix: 'a/' | 'b/'): string {
  let path = p.replace(/\t.*$/, '').trim();
  if (path.startsWith('"') && path.endsWith('"')) path = unquoteC(path.slice(1, -1));
  if (path === '/dev/null') return path;
  return path.startsWith(prefix) ? path.slice(2) : path;
}

function unquoteC(s: string): string {
  return s.replace(/\\([0-7]{3}|.)/g, (_m, c: string) => {
    if (/^[0-7]{3}$/.test(c)) return String.fromCharCode(parseInt(c, 8));
    return ({ n: '\n', t: '\t', '"': '"', '\\': '\\' } as Record<string, string>)[c] ?? c;
  });
}

/** Paths of a `diff --git a/X b/Y` line (unambiguous when both halves are equal or quoted). */
function gitDiffPaths(line: string): { from: string; to: string } | undefined {
  const rest = line.replace(/^diff --git /, '');
  const q = /^"((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$/.exec(rest);
  if (q) return { from: stripPrefix(`"${q[1]}"`, 'a/'), to: stripPrefix(`"${q[2]}"`, 'b/') };
  // Equal halves: `a/P b/P`.
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest[half] === ' ' && rest.slice(2, half) === rest.slice(half + 3)) {
    return { from: rest.slice(2, half), to: rest.slice(half + 3) };
  }
  const m = /^(\S+) (\S+)$/.exec(rest);
  if (m) return { from: stripPrefix(m[1] ?? '', 'a/'), to: stripPrefix(m[2] ?? '', 'b/') };
  return undefined;
}

function scanDiff(lines: readonly string[], start: number): { changes: FileChange[]; end: number } {
  const changes: FileChange[] = [];
  let file: FileChange | undefined;
  let i = start;
  const newFile = (from: string, to: string): FileChange => {
    const f: FileChange = { from, to, isNew: false, isDeleted: false, isRename: false, isBinary: false, hunks: [] };
    changes.push(f);
    return f;
  };
  while (i < lines.length) {
    const l = lines[i] ?? '';
    if (l.startsWith('diff --git ')) {
      const p = gitDiffPaths(l);
      file = newFile(p?.from ?? '', p?.to ?? '');
      i++;
      continue;
    }
    if (l.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ')) {
      const from = stripPrefix(l.slice(4), 'a/');
      const to = stripPrefix((lines[i + 1] ?? '').slice(4), 'b/');
      if (!file || file.hunks.length > 0 || file.isBinary) file = newFile(from, to);
      else {
        file.from = from;
        file.to = to;
      }
      if (from === '/dev/null') file.isNew = true;
      if (to === '/dev/null') file.isDeleted = true;
      i += 2;
      continue;
    }
    if (file && FILE_HEADER.test(l)) {
      if (l.startsWith('new file mode ')) {
        file.isNew = true;
        file.newMode = l.slice('new file mode '.length).trim();
      } else if (l.startsWith('deleted file mode ')) {
        file.isDeleted = true;
        file.oldMode = l.slice('deleted file mode '.length).trim();
      } else if (l.startsWith('old mode ')) file.oldMode = l.slice(9).trim();
      else if (l.startsWith('new mode ')) file.newMode = l.slice(9).trim();
      else if (l.startsWith('rename from ')) {
        file.isRename = true;
        file.from = unquoteMaybe(l.slice(12));
      } else if (l.startsWith('rename to ')) file.to = unquoteMaybe(l.slice(10));
      else if (l.startsWith('copy from ')) file.from = unquoteMaybe(l.slice(10));
      else if (l.startsWith('copy to ')) file.to = unquoteMaybe(l.slice(8));
      else if (l.startsWith('index ')) {
        const mode = /\s(\d{6})$/.exec(l);
        if (mode) file.newMode ??= mode[1];
      }
      i++;
      continue;
    }
    if (file && (l.startsWith('Binary files ') || l === 'GIT binary patch')) {
      file.isBinary = true;
      i++;
      if (l === 'GIT binary patch') {
        // literal/delta blocks end at a blank line; there are two (forward and reverse).
        let blanks = 0;
        while (i < lines.length && blanks < 2) {
          if ((lines[i] ?? '') === '') blanks++;
          i++;
        }
      }
      continue;
    }
    if (l.startsWith('Index: ') && (lines[i + 1] ?? '').startsWith('====')) {
      i += 2;
      continue;
    }
    const h = HUNK.exec(l);
    if (h && file) {
      const hunk: HunkInfo = {
        header: l,
        oldStart: Number(h[1]),
        oldLines: h[2] === undefined ? 1 : Number(h[2]),
        newStart: Number(h[3]),
        newLines: h[4] === undefined ? 1 : Number(h[4]),
        oldSeen: 0,
        newSeen: 0,
      };
      file.hunks.push(hunk);
      i++;
      const added: string[] = [];
      while (i < lines.length && (hunk.oldSeen < hunk.oldLines || hunk.newSeen < hunk.newLines)) {
        const b = lines[i] ?? '';
        const c = b[0];
        if (c === ' ' || b === '') {
          hunk.oldSeen++;
          hunk.newSeen++;
        } else if (c === '-') hunk.oldSeen++;
        else if (c === '+') {
          hunk.newSeen++;
          added.push(b.slice(1));
        } else if (c === '\\') {
          /* "\ No newline at end of file" */
        } else break;
        i++;
      }
      while (i < lines.length && (lines[i] ?? '').startsWith('\\')) i++;
      if (file.newMode === '120000' && added.length > 0) file.symlinkTarget = added.join('\n');
      continue;
    }
    break;
  }
  return { changes, end: i };
}

function unquoteMaybe(p: string): string {
  const t = p.trim();
  return t.startsWith('"') && t.endsWith('"') ? unquoteC(t.slice(1, -1)) : t;
}

/** Per-file {path, additions, deletions} of a diff, from parse-diff. */
export function fileStats(diff: string): FileStat[] {
  if (!diff.trim()) return [];
  return parseDiff(diff).map((f) => {
    const to = f.to && f.to !== '/dev/null' ? f.to : undefined;
    const from = f.from && f.from !== '/dev/null' ? f.from : undefined;
    return { path: to ?? from ?? '', additions: f.additions, deletions: f.deletions };
  });
}

/** Hunks whose body is shorter than their header says (the diff was cut short). */
export function truncatedHunks(changes: readonly FileChange[]): Array<{ file: string; hunk: HunkInfo }> {
  const out: Array<{ file: string; hunk: HunkInfo }> = [];
  for (const f of changes) {
    for (const h of f.hunks) {
      if (h.oldSeen < h.oldLines || h.newSeen < h.newLines) out.push({ file: f.to === '/dev/null' ? f.from : f.to, hunk: h });
    }
  }
  return out;
}

/** `base-commit:` and `prerequisite-patch-id:` lines anywhere in a body (format-patch --base). */
export function baseInfo(text: string): { baseCommit?: string; prerequisitePatchIds: string[] } {
  let baseCommit: string | undefined;
  const prerequisitePatchIds: string[] = [];
  for (const line of text.split('\n')) {
    const b = /^base-commit: ([0-9a-f]{7,64})\s*$/.exec(line);
    if (b) baseCommit ??= b[1];
    const p = /^prerequisite-patch-id: ([0-9a-f]{40,64})\s*$/.exec(line);
    if (p && p[1]) prerequisitePatchIds.push(p[1]);
  }
  return { baseCommit, prerequisitePatchIds };
}
