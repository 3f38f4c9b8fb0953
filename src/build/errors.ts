import { HmmciError, type HmmciErrorOptions } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';

/** The kernel did not build (exit 5): carries the first errors and the log path. */
export class BuildError extends HmmciError {
  constructor(message: string, options: Omit<HmmciErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: ExitCode.BUILD_FAILED });
    this.name = 'BuildError';
  }
}
