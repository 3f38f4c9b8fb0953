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
const BINARY_BLOCK = /^(literal|delta) \d+$/;
const FILE_HEADER =
  /^(old mode|new mode|deleted file mode|new file mode|similarity index|dissimilarity index|rename from|rename to|copy from|copy to|index) /;

/** A `diff` command line before a file's `---`/`+++` pair (`diff -urN old/x new/x`, `diff -u x y`). */
const DIFF_CMD = /^diff (?:-\S+ )*\S+ \S+$/;

/** Index of the first diff line: `diff --git`, `diff -urN …`, `Index:`, or a `--- `/`+++ ` pair. */
export function findDiffStart(lines: readonly string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] ?? '';
    if (l.startsWith('diff --git ') || l.startsWith('diff --cc ')) return i;
    if (DIFF_CMD.test(l) && (lines[i + 1] ?? '').startsWith('--- ') && (lines[i + 2] ?? '').startsWith('+++ '))
      return i;
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
  const message = lines
    .slice(0, sep >= 0 ? sep : start)
    .join('\n')
    .replace(/\s+$/, '');
  const notes =
    sep >= 0
      ? lines
          .slice(sep + 1, start)
          .join('\n')
          .replace(/^\n+|\s+$/g, '')
      : '';
  const { changes, end } = scanDiff(lines, start);
  return {
    message,
    notes,
    diff: `${lines.slice(start, end).join('\n')}\n`,
    footer: lines.slice(end).join('\n'),
    changes,
  };
}

/**
 * A path of a diff header as `git apply -p1` (and so git am) reads it: the tab-separated
 * timestamp dropped, C-quoting undone, and the first component stripped whatever it is (`a/`,
 * `b/`, quilt's `linux.orig/`, `diff -urN`'s `old/`). `/dev/null` and absolute paths are kept as
 * written (the safety check refuses the latter).
 */
export function stripComponent(p: string): string {
  let path = p.replace(/\t.*$/, '').replace(/\s+$/, '').replace(/^\s+/, '');
  if (path.startsWith('"') && path.endsWith('"') && path.length >= 2) path = unquoteC(path.slice(1, -1));
  if (path === '/dev/null' || path.startsWith('/')) return path;
  const slash = path.indexOf('/');
  return slash >= 0 ? path.slice(slash + 1) : path;
}

/** git's C-quoting (`"r\303\251sum\303\251.txt"`): octal escapes are bytes of UTF-8. */
export function unquoteC(s: string): string {
  const bytes: number[] = [];
  const named: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (c === '\\' && i + 1 < s.length) {
      const oct = /^[0-3][0-7]{2}/.exec(s.slice(i + 1, i + 4));
      if (oct) {
        bytes.push(parseInt(oct[0], 8));
        i += 3;
        continue;
      }
      const n = s[i + 1] ?? '';
      bytes.push(...(named[n] !== undefined ? [named[n]!] : Buffer.from(n, 'utf8')));
      i++;
      continue;
    }
    bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Paths of a `diff --git a/X b/Y` line (unambiguous when both halves are equal or quoted). */
function gitDiffPaths(line: string): { from: string; to: string } | undefined {
  const rest = line.replace(/^diff --git /, '');
  const q = /^("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*"|\S+)$/.exec(rest);
  if (q && (rest.startsWith('"') || rest.endsWith('"')))
    return { from: stripComponent(q[1] ?? ''), to: stripComponent(q[2] ?? '') };
  // Equal halves after -p1 (`a/P b/P`, paths with spaces too).
  for (let k = rest.indexOf(' '); k >= 0; k = rest.indexOf(' ', k + 1)) {
    const from = stripComponent(rest.slice(0, k));
    if (from === stripComponent(rest.slice(k + 1))) return { from, to: from };
  }
  if (q) return { from: stripComponent(q[1] ?? ''), to: stripComponent(q[2] ?? '') };
  return undefined;
}

/** A line that only a hunk body has: context, removal or addition (not a `-- ` signature). */
function looksLikeHunkLine(l: string, next: string): boolean {
  if (l.startsWith('--- ') && next.startsWith('+++ ')) return false;
  if (l === '--' || l === '-- ' || l === '---' || l.startsWith('-----')) return false; // signature, PGP armour
  return l.startsWith(' ') || l.startsWith('+') || l.startsWith('-');
}

/**
 * Every file section of a diff, from `start` to the end of the body, the way `git apply` looks
 * for them: `diff --git` headers, plain unified `---`/`+++` pairs followed by a hunk (with or
 * without `diff -urN` and quilt `Index:` lines before them); lines between sections (blank
 * lines, `Only in …`, a signature, notes) are skipped, never a reason to stop. Each hunk is
 * counted against its header: shorter means the input was cut (oldSeen < oldLines), longer means
 * it was edited by hand (`excess` holds the first line past the header's count).
 */
export function scanDiff(lines: readonly string[], start: number): { changes: FileChange[]; end: number } {
  return new DiffScanner(lines, start).scan();
}

function emptyChange(from: string, to: string): FileChange {
  return {
    from,
    to,
    isNew: false,
    isDeleted: false,
    isRename: false,
    isBinary: false,
    hunks: [],
    additions: 0,
    deletions: 0,
  };
}

/** One line of a git extended header (`new file mode`, `rename from`, `index`…) applied to its file. */
function applyExtendedHeader(file: FileChange, l: string): void {
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
}

/**
 * One scan of a diff (see scanDiff): a cursor over the lines, the file section being read, and
 * one method per kind of line, tried in scan()'s order (the first that takes a line wins).
 */
class DiffScanner {
  private readonly changes: FileChange[] = [];
  private file: FileChange | undefined;
  private inGitHeader = false;
  private end: number;
  private i: number;

  constructor(
    private readonly lines: readonly string[],
    start: number,
  ) {
    this.end = start;
    this.i = start;
  }

  scan(): { changes: FileChange[]; end: number } {
    while (this.i < this.lines.length) {
      const l = this.at(this.i);
      if (this.gitHeader(l) || this.unifiedPair(l) || this.extendedHeader(l) || this.binary(l) || this.hunk(l))
        continue;
      // Anything else (blank lines between sections, `diff -urN …`, `Index:`/`====`, `Only in …`,
      // the signature, an excess line of a hand-edited hunk) is skipped, as git apply skips it.
      if (!l.startsWith('diff ') && !l.startsWith('Index: ') && !/^=+$/.test(l)) this.inGitHeader = false;
      this.i++;
    }
    return { changes: this.changes, end: this.end };
  }

  private at(i: number): string {
    return this.lines[i] ?? '';
  }

  private newFile(from: string, to: string): FileChange {
    const f = emptyChange(from, to);
    this.changes.push(f);
    return f;
  }

  /** `diff --git a/X b/Y`: a new file section, its extended header follows. */
  private gitHeader(l: string): boolean {
    if (!l.startsWith('diff --git ')) return false;
    const p = gitDiffPaths(l);
    this.file = this.newFile(p?.from ?? '', p?.to ?? '');
    this.inGitHeader = true;
    this.end = ++this.i;
    return true;
  }

  /** A `---`/`+++` pair: ends a git header, or (followed by a hunk) starts a plain unified section. */
  private unifiedPair(l: string): boolean {
    if (!(
      l.startsWith('--- ') &&
      this.at(this.i + 1).startsWith('+++ ') &&
      (this.inGitHeader || HUNK.test(this.at(this.i + 2)))
    ))
      return false;
    const from = stripComponent(l.slice(4));
    const to = stripComponent(this.at(this.i + 1).slice(4));
    let file = this.file;
    if (!this.inGitHeader || !file) file = this.file = this.newFile(from, to);
    else {
      file.from = from;
      file.to = to;
    }
    if (from === '/dev/null') file.isNew = true;
    if (to === '/dev/null') file.isDeleted = true;
    this.inGitHeader = false;
    this.end = this.i += 2;
    return true;
  }

  /** A git extended header line (modes, renames, copies, index). */
  private extendedHeader(l: string): boolean {
    if (!(this.file && this.inGitHeader && FILE_HEADER.test(l))) return false;
    applyExtendedHeader(this.file, l);
    this.end = ++this.i;
    return true;
  }

  /** `Binary files … differ`, or a `GIT binary patch` with its base85 blocks. */
  private binary(l: string): boolean {
    if (!(this.file && this.inGitHeader && (l.startsWith('Binary files ') || l === 'GIT binary patch'))) return false;
    this.file.isBinary = true;
    this.inGitHeader = false;
    this.i++;
    if (l === 'GIT binary patch') {
      // A `literal N`/`delta N` block of base85 lines ends at a blank line; a second block (the
      // reverse) follows only when the next line starts one: anything else is the next section.
      for (let block = 0; block < 2 && BINARY_BLOCK.test(this.at(this.i)); block++) {
        for (this.i++; this.i < this.lines.length && this.at(this.i) !== ''; this.i++);
        if (this.i < this.lines.length) this.i++;
      }
    }
    this.end = this.i;
    return true;
  }

  /** A hunk of the current file: its lines counted against its header. */
  private hunk(l: string): boolean {
    const h = HUNK.exec(l);
    const file = this.file;
    if (!(h && file)) return false;
    this.inGitHeader = false;
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
    this.i++;
    const added = this.hunkBody(file, hunk);
    while (this.i < this.lines.length && this.at(this.i).startsWith('\\')) this.i++;
    this.end = this.i;
    this.hunkEnding(hunk);
    if (file.newMode === '120000' && added.length > 0) file.symlinkTarget = added.join('\n');
    return true;
  }

  /** Count a hunk's lines until its header's numbers are reached; returns the added lines. */
  private hunkBody(file: FileChange, hunk: HunkInfo): string[] {
    const added: string[] = [];
    while (this.i < this.lines.length && (hunk.oldSeen < hunk.oldLines || hunk.newSeen < hunk.newLines)) {
      const b = this.at(this.i);
      const c = b[0];
      if (c === ' ' || b === '') {
        hunk.oldSeen++;
        hunk.newSeen++;
      } else if (c === '-') {
        hunk.oldSeen++;
        file.deletions = (file.deletions ?? 0) + 1;
      } else if (c === '+') {
        hunk.newSeen++;
        file.additions = (file.additions ?? 0) + 1;
        added.push(b.slice(1));
      } else if (c === '\\') {
        /* "\ No newline at end of file" */
      } else break;
      this.i++;
    }
    return added;
  }

  /** What ended a hunk: a foreign line before its count (`endedBy`), or one more hunk line after it (`excess`). */
  private hunkEnding(hunk: HunkInfo): void {
    const { lines, i } = this;
    const complete = hunk.oldSeen >= hunk.oldLines && hunk.newSeen >= hunk.newLines;
    if (!complete && i < lines.length && lines.slice(i).some((x) => x.trim() !== '' && x !== '-- '))
      hunk.endedBy = lines[i];
    if (complete && i < lines.length && looksLikeHunkLine(this.at(i), this.at(i + 1)) && !HUNK.test(this.at(i))) {
      hunk.excess = lines[i];
    }
  }
}

function unquoteMaybe(p: string): string {
  const t = p.trim();
  return t.startsWith('"') && t.endsWith('"') ? unquoteC(t.slice(1, -1)) : t;
}

/** The path a file section changes: its new name, or the old one for a deleted file. */
export function changedPath(c: FileChange): string {
  return c.to === '/dev/null' ? c.from : c.to;
}

/** A hunk's `@@ -a,b +c,d @@` without the function name after it, for messages. */
export function hunkRange(h: HunkInfo): string {
  return h.header.replace(/ @@.*$/, ' @@');
}

/** Per-file {path, additions, deletions} of the scanned file sections (git's -p1 paths). */
export function changeStats(changes: readonly FileChange[]): FileStat[] {
  return changes.map((c) => ({
    path: c.to !== '/dev/null' && c.to ? c.to : c.from,
    additions: c.additions ?? 0,
    deletions: c.deletions ?? 0,
  }));
}

/** Hunks with more lines than their header says: the patch was edited by hand and is corrupt. */
export function overlongHunks(changes: readonly FileChange[]): Array<{ file: string; hunk: HunkInfo }> {
  const out: Array<{ file: string; hunk: HunkInfo }> = [];
  for (const f of changes)
    for (const h of f.hunks) if (h.excess !== undefined) out.push({ file: changedPath(f), hunk: h });
  return out;
}

/**
 * Per-file {path, additions, deletions} of a patch: the counts are parse-diff's, the paths are the
 * scan's (git am's -p1 paths: parse-diff keeps `old/`, `linux/` prefixes and C-quoting). When
 * parse-diff does not see the same files as the scan (it stops at lines it does not know, such as
 * a blank line between two file sections), the scan's own counts stand. Pure.
 */
export function patchFileStats(diff: string, changes: readonly FileChange[]): FileStat[] {
  const scanned = changeStats(changes);
  let counted: FileStat[];
  try {
    counted = fileStats(diff);
  } catch {
    return scanned;
  }
  if (counted.length !== scanned.length) return scanned;
  return scanned.map((f, i) => ({ path: f.path, additions: counted[i]!.additions, deletions: counted[i]!.deletions }));
}

/** Per-file {path, additions, deletions} of a diff as parse-diff reads it (its own paths). */
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
      if (h.oldSeen < h.oldLines || h.newSeen < h.newLines) out.push({ file: changedPath(f), hunk: h });
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
