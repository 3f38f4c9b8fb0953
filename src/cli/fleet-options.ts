import { wholeNumber } from './context.js';
import type { OptionSpec } from './option-table.js';

/** Seconds `--fleet` waits for a live worker per queue by default: a worker started alongside, or restarting. */
export const DEFAULT_WAIT_WORKERS_S = 10;

/** `--wait-workers <s>` as data: run, bisect and watch take it with --fleet. */
export const WAIT_WORKERS_OPTION: OptionSpec = {
  flags: '--wait-workers <s>',
  description:
    'with --fleet: seconds to wait for a live worker that can serve each queue before failing (exit 12; 0 fails at once)',
  parse: wholeNumber('--wait-workers', 0),
  default: DEFAULT_WAIT_WORKERS_S,
};
