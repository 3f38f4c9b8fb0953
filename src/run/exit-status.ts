import { ExitCode, type ExitCodeValue } from '../common/exit-codes.js';
import type { Comparison } from '../compare/types.js';
import type { FailureKind } from '../stages/types.js';

/** Exit status of a job a stage failure ended: options that did not land 10, no kernel 5, no results 11. */
export function exitForFailure(kind: FailureKind): ExitCodeValue {
  return kind === 'config' ? ExitCode.CONFIG : kind === 'build' ? ExitCode.BUILD_FAILED : ExitCode.GUEST;
}

/** Exit status of a job that produced a comparison: 1 when anything regressed, else 0. */
export function exitForComparison(c: Comparison): number {
  return c.regressed ? ExitCode.TESTS_FAILED : ExitCode.OK;
}

/**
 * Exit status of `hmmci run` over several jobs: a job that could not be judged (bad input, does
 * not apply, does not build, broken baseline, infrastructure) wins over a verdict, the first such
 * job in command-line order; otherwise 1 if any job regressed, else 0.
 */
export function aggregateExit(codes: readonly number[]): number {
  const failure = codes.find((c) => c !== ExitCode.OK && c !== ExitCode.TESTS_FAILED);
  if (failure !== undefined) return failure;
  return codes.includes(ExitCode.TESTS_FAILED) ? ExitCode.TESTS_FAILED : ExitCode.OK;
}
