/**
 * Marker lines the guest's /init prints around hmm-tests (src/guest/init-script.ts writes them,
 * the parser reads them). They make a console log self-describing: the case listing gives the
 * plan (so a test that never started is `notrun`), START/EXIT bracket the run, and their absence
 * tells a boot failure from a hang.
 */
export const SENTINEL = {
  /** `HMMCI-INFO key=value …`: facts the init recorded (huge pages, test_hmm parameters). */
  info: 'HMMCI-INFO',
  /** The `hmm-tests -l` listing is printed between these two lines. */
  listBegin: 'HMMCI-LIST-BEGIN',
  listEnd: 'HMMCI-LIST-END',
  /** `HMMCI-START <program>`: hmm-tests is about to run. */
  start: 'HMMCI-START',
  /** `HMMCI-ITER i/N`: run i of N of hmm-tests in this boot (`--repeat`); only the guest stage reads it. */
  iter: 'HMMCI-ITER',
  /** `HMMCI-EXIT status=<n>`: hmm-tests returned with that status. */
  exit: 'HMMCI-EXIT',
  /** `HMMCI-ERROR <what>`: the init could not prepare the run (insmod failed, …). */
  error: 'HMMCI-ERROR',
  /**
   * `HMMCI-KILLED <why>`: written into the saved console log by hmmci itself (not the guest)
   * when a watchdog killed the guest, so a later `hmmci parse` of the log reaches the same verdict.
   */
  killed: 'HMMCI-KILLED',
} as const;

export type SentinelKind = keyof typeof SENTINEL;
export interface SentinelLine {
  kind: SentinelKind;
  /** What follows the marker (arguments), '' when none. */
  rest: string;
}

const BY_MARKER = new Map<string, SentinelKind>(
  Object.entries(SENTINEL).map(([kind, marker]) => [marker, kind as SentinelKind]),
);
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A sentinel line: the marker at the start (longest first), then its arguments. */
const SENTINEL_RE = new RegExp(
  `^(${[...BY_MARKER.keys()]
    .sort((a, b) => b.length - a.length)
    .map(escape)
    .join('|')})\\b ?(.*)$`,
);

/** The sentinel a console line is, if any (the markers are spelled once, in SENTINEL). */
export function matchSentinel(text: string): SentinelLine | undefined {
  const m = SENTINEL_RE.exec(text);
  if (!m) return undefined;
  return { kind: BY_MARKER.get(m[1]!)!, rest: m[2] ?? '' };
}
