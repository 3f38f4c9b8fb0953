/**
 * Data of the series stage: a patch series as read from an mbox, a folder of patches, a git
 * range or b4, and the result of applying it. Everything here is plain data.
 */

/** One `Key: value` trailer of a commit message (Signed-off-by, Reviewed-by, Cc, Fixes…). */
export interface Trailer {
  key: string;
  value: string;
}

/** Per-file statistics of a patch: parse-diff counts, git am paths (see patchFileStats). */
export interface FileStat {
  path: string;
  additions: number;
  deletions: number;
}

/** What one file header of a diff does, for the safety checks and the apply report. */
export interface FileChange {
  /** Path before (`a/…` stripped); `/dev/null` for a new file. */
  from: string;
  /** Path after (`b/…` stripped); `/dev/null` for a deleted file. */
  to: string;
  oldMode?: string;
  newMode?: string;
  isNew: boolean;
  isDeleted: boolean;
  isRename: boolean;
  isBinary: boolean;
  /** For a symlink created or changed (mode 120000): the link target the patch writes. */
  symlinkTarget?: string;
  hunks: HunkInfo[];
  /** Lines added and removed in the hunks (counted by the diff scanner). */
  additions?: number;
  deletions?: number;
}

export interface HunkInfo {
  /** The `@@ -a,b +c,d @@ …` line. */
  header: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Lines counted in the body; less than the header says when the diff was cut short. */
  oldSeen: number;
  newSeen: number;
  /** The first line after a hunk that already had all its lines: a hand-edited, corrupt hunk. */
  excess?: string;
  /**
   * A hunk short of its header's count that ended at a line no hunk has (`diff --git`, text)
   * rather than at the end of the mail: edited or mangled, not a truncated download.
   */
  endedBy?: string;
}

/** Parsed bracketed subject prefix: `[RFC PATCH v3 mm-unstable 2/5] title`. */
export interface SubjectInfo {
  /** Subject without `Re:` and bracketed prefixes. */
  title: string;
  /** The bracketed prefix as written, e.g. `[PATCH v3 2/5]` (empty when none). */
  prefix: string;
  isReply: boolean;
  isPatchTagged: boolean;
  rfc: boolean;
  resend: boolean;
  /**
   * vN; a point version (`[PATCH v2.1 03/12]`, one patch corrected in the v2 thread) is 2.1. The
   * series' version is the major one (2): a point version replaces its patch within it.
   */
  version?: number;
  index?: number;
  total?: number;
  /** Other bracket words: subsystem or tree tags (`mm-unstable`, `net-next`). */
  tags: string[];
}

/** A mail of the input after header and transfer decoding. */
export interface MailMessage {
  /** 1-based position in the input (the n-th message of the mbox, or the n-th file). */
  position: number;
  /** Where it came from: the file, and for an mbox the message number. */
  origin: string;
  from: string;
  date: string;
  subject: string;
  messageId: string;
  inReplyTo?: string;
  /** Decoded body after the in-body headers (LF line endings; CRs a base64/QP body carried kept). */
  body: string;
  /** The lines at the top of the body git mailinfo consumes (blank lines, in-body From:/Subject:/Date:). */
  inBody?: string;
  /** Its MIME parts nest deeper than hmmci reads (a hostile mail): the inner parts were not read. */
  nestedTooDeep?: boolean;
}

/** A patch of the series. */
export interface Patch {
  /** N of N/M (1 when the subject has none). */
  index: number;
  /** M of N/M (1 when the subject has none). */
  total: number;
  subject: string;
  /** The subject as written, prefix included. */
  rawSubject: string;
  author: string;
  /** ISO 8601 when the Date header parses, else null (and a `bad-date` warning). */
  date: string | null;
  /** Date header as written (used when re-creating the mail for git am). */
  rawDate: string;
  messageId: string;
  version: number;
  /** Commit message (above `---`), trailers included. */
  message: string;
  trailers: Trailer[];
  files: FileStat[];
  changes: FileChange[];
  /** The diff text exactly as applied (from the first `diff --git`/`---` line to the end). */
  diff: string;
  /** Text between `---` and the diff (diffstat, notes). */
  notes: string;
  /**
   * The whole decoded body (after in-body From:/Subject:/Date:): what git am is given, so it
   * never applies less than the mail had. `diff`/`changes` are the scan of it, for reports and
   * the safety checks.
   */
  body: string;
  /** The in-body header lines git consumes before `body` (handed to git am again as they were). */
  inBody?: string;
  baseCommit?: string;
  prerequisitePatchIds: string[];
  origin: string;
}

export type SeriesWarningKind =
  | 'missing-patch'
  | 'duplicate'
  | 'mixed-versions'
  | 'not-a-patch'
  | 'out-of-order'
  | 'not-hmm'
  | 'truncated'
  | 'corrupt'
  | 'merged-messages'
  | 'total-mismatch'
  | 'bad-date';

export interface SeriesWarning {
  kind: SeriesWarningKind;
  message: string;
}

export type SeriesSourceKind = 'mbox' | 'folder' | 'range' | 'message-id';

/** A parsed series: what `hmmci series show --json` prints (see toSeriesJson) and more. */
export interface Series {
  source: { kind: SeriesSourceKind; input: string };
  cover: { subject: string; messageId: string; body: string } | null;
  version: number;
  baseCommit: string | null;
  prerequisitePatchIds: string[];
  patches: Patch[];
  warnings: SeriesWarning[];
  /** True when at least one patch touches an HMM file. */
  touchesHmm: boolean;
}

/** The `hmmci series show --json` contract (issue 3): keep these names. */
export interface SeriesJson {
  cover: { subject: string; messageId: string } | null;
  version: number;
  baseCommit: string | null;
  patches: Array<{
    index: number;
    total: number;
    subject: string;
    author: string;
    date: string | null;
    messageId: string;
    files: FileStat[];
    trailers: Trailer[];
  }>;
}

/** Why a hunk or file of a patch did not apply. */
export type ApplyFailureReason =
  'context-mismatch' | 'file-missing' | 'already-applied' | 'file-exists' | 'corrupt' | 'other';

export interface HunkFailure {
  file: string;
  /** `@@ -a,b +c,d @@` of the hunk, when git named one. */
  hunk?: string;
  /** Line in the file where git expected the hunk. */
  line?: number;
  reason: ApplyFailureReason;
  /** One sentence for people. */
  explanation: string;
  /** The lines git searched for (context mismatch), first few only. */
  expected?: string[];
}

export interface ApplyFailure {
  /** 1-based position of the failing patch in the series. */
  index: number;
  total: number;
  subject: string;
  failures: HunkFailure[];
  /** Files of the patch that applied cleanly. */
  appliedFiles: string[];
  /** Raw `git am`/`git apply` output, for the log. */
  gitOutput: string;
}

export interface AppliedCommit {
  sha: string;
  index: number;
  subject: string;
}

export interface BaseChoice {
  /** Revision to apply on (full sha). */
  base: string;
  /** Where the base came from. */
  source: 'base-commit' | 'option' | 'baseline';
  /** One sentence: which base and why. */
  reason: string;
}

export interface ApplyResult {
  base: string;
  baseReason: string;
  commits: AppliedCommit[];
  worktree: string;
}
