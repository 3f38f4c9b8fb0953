/**
 * Exit statuses of every hmmci command. Documented in README.md ("Exit status"); scripts and CI
 * systems depend on them, so a number never changes meaning.
 */
export const ExitCode = {
  /** Everything passed (or nothing regressed). */
  OK: 0,
  /** Tests failed (`parse`, `test`) or the series regressed something (`run`). */
  TESTS_FAILED: 1,
  /** The command line itself is wrong (unknown flag, missing argument). */
  USAGE: 2,
  /** An input file is unusable: garbled mbox, empty log, HTML page, unknown format. */
  BAD_INPUT: 3,
  /** The series does not apply to the base. */
  APPLY_FAILED: 4,
  /** The kernel (patched, or the one asked for) does not build. */
  BUILD_FAILED: 5,
  /** The unpatched baseline is broken: it does not build or boot, so nothing can be compared. */
  BASELINE_BROKEN: 6,
  /** The harness or the machine failed: QEMU would not start, git failed, disk full. */
  INFRA: 7,
  /** A required tool or package is missing (`hmmci doctor` names the install command). */
  MISSING_TOOL: 8,
  /** The kernel tree is unusable: tarball missing, not a git repository, unknown revision. */
  TREE: 9,
  /** Requested kernel config options did not land (unmet dependency, unknown option). */
  CONFIG: 10,
  /** The guest did not produce results: boot failure, panic before tests, hang at boot. */
  GUEST: 11,
  /** The fleet is unusable: Redis down or too old, or no live worker can serve a job (`--fleet`, `hmmci worker`). */
  FLEET: 12,
  /** Interrupted by SIGINT/SIGTERM; everything started was cleaned up. */
  INTERRUPTED: 130,
} as const;

export type ExitCodeName = keyof typeof ExitCode;
export type ExitCodeValue = (typeof ExitCode)[ExitCodeName];
