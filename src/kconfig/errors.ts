import { HmmciError, type HmmciErrorOptions } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';

/** Requested config options did not land, or a fragment is unusable (exit 10). */
export class ConfigError extends HmmciError {
  constructor(message: string, options: Omit<HmmciErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: ExitCode.CONFIG });
    this.name = 'ConfigError';
  }
}
