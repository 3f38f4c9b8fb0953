import { BadInputError, HmmciError, type HmmciErrorOptions } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import type { ApplyFailure } from './types.js';
import { visible } from './visible.js';

/** The series does not apply to the base (exit 4). Carries which patch, files and hunks. */
export class ApplyError extends HmmciError {
  readonly failure: ApplyFailure;
  constructor(message: string, failure: ApplyFailure, options: Omit<HmmciErrorOptions, 'exitCode'> = {}) {
    super(visible(message), { ...options, details: options.details?.map(visible), exitCode: ExitCode.APPLY_FAILED });
    this.name = 'ApplyError';
    this.failure = failure;
  }
}

/** A patch that would write outside the worktree (exit 3: the input is refused, nothing ran). */
export class UnsafePatchError extends BadInputError {
  readonly problems: readonly string[];
  constructor(message: string, problems: readonly string[]) {
    super(visible(message), { details: problems.map(visible) });
    this.name = 'UnsafePatchError';
    this.problems = problems;
  }
}
