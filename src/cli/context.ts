import { Command } from 'commander';
import { cacheLayout, cacheRoot, type CacheLayout } from '../common/cache.js';
import { UsageError } from '../common/errors.js';
import { createReporter, type Reporter } from '../common/progress.js';

/** What every command gets: where the cache is, how to report progress, where to print. */
export interface CliContext {
  cache: CacheLayout;
  reporter: Reporter;
  /** Results (tables, JSON) go to stdout; progress and errors to stderr. */
  out: (text: string) => void;
}

export function contextFrom(cmd: Command): CliContext {
  const opts = cmd.optsWithGlobals<{ cacheDir?: string; quiet?: boolean }>();
  return {
    cache: cacheLayout(cacheRoot({ cacheDir: opts.cacheDir })),
    reporter: createReporter({ quiet: Boolean(opts.quiet) }),
    out: (text: string) => {
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
  };
}

/** Commander collector for repeatable options (`--kconfig a --kconfig b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Commander parser for a whole-number option (`--jobs 4`): UsageError below `min` or for anything but digits. */
export function wholeNumber(name: string, min: number): (v: string) => number {
  return (v: string) => {
    const n = Number.parseInt(v, 10);
    if (!Number.isInteger(n) || n < min || String(n) !== v.trim())
      throw new UsageError(`${name} wants a whole number ≥ ${min}, got "${v}".`);
    return n;
  };
}

/** Each command module exports one of these; main.ts registers them in order. */
export type RegisterCommand = (program: Command) => void;
