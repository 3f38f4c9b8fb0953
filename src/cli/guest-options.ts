import { Option, type Command } from 'commander';
import { UsageError } from '../common/errors.js';
import type { GuestRunOptions } from '../guest/guest-options.js';
import { wholeNumber } from './context.js';

/** `--repeat N`, `--smp N`, `--memory-pressure`, `--shards N|auto` on `hmmci test` and `hmmci run`. */
export function addGuestOptions(cmd: Command): Command {
  return cmd
    .option(
      '--repeat <n>',
      "run hmm-tests N times (one boot while the kernel stays healthy, a new boot after a crash) and report each test as k/N; run compares failure rates (Barnard's exact test)",
      wholeNumber('--repeat', 1),
    )
    .option('--smp <n>', 'guest CPUs (default 2): more contention for races', wholeNumber('--smp', 1))
    .option(
      '--memory-pressure',
      'churn about two thirds of the free guest memory and ask for compaction every second while hmm-tests runs',
    )
    .addOption(
      new Option(
        '--shards <n>',
        'split the cases across N guests booted side by side ("auto", the default with --runner qemu: 2 when cores and memory allow; 1: one guest; results merged in listing order)',
      ),
    );
}

/** The guest options of a command's parsed flags. */
export function guestOptionsFrom(opts: {
  repeat?: number;
  smp?: number;
  memoryPressure?: boolean;
  shards?: string;
}): GuestRunOptions {
  let shards: number | 'auto' | undefined;
  if (opts.shards !== undefined) {
    if (opts.shards === 'auto') shards = 'auto';
    else {
      const n = Number(opts.shards);
      if (!Number.isInteger(n) || n < 1 || n > 8)
        throw new UsageError(`--shards wants "auto" or a whole number from 1 to 8, got "${opts.shards}".`);
      shards = n;
    }
  }
  return {
    ...(opts.repeat !== undefined ? { repeat: opts.repeat } : {}),
    ...(opts.smp !== undefined ? { smp: opts.smp } : {}),
    ...(opts.memoryPressure ? { memoryPressure: true } : {}),
    ...(shards !== undefined ? { shards } : {}),
  };
}
