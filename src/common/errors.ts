import { ExitCode, type ExitCodeValue } from './exit-codes.js';

export interface HmmciErrorOptions {
  /** Exit status the CLI uses for this error. */
  exitCode: ExitCodeValue;
  /** The command that failed, as an argument array (never a shell string). */
  command?: readonly string[];
  /** Exit status of that command, when one ran. */
  commandExitCode?: number;
  /** Where the full log of the failing step is. */
  logPath?: string;
  /** Extra lines (first compiler errors, the failing hunk…) shown under the paragraph. */
  details?: readonly string[];
  cause?: unknown;
}

/**
 * An expected failure: the CLI prints `message` as one paragraph (what failed, on which input,
 * what to do), then `details`, and exits with `exitCode`. No stack trace.
 */
export class HmmciError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly command?: readonly string[];
  readonly commandExitCode?: number;
  readonly logPath?: string;
  readonly details: readonly string[];

  constructor(message: string, options: HmmciErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HmmciError';
    this.exitCode = options.exitCode;
    this.command = options.command;
    this.commandExitCode = options.commandExitCode;
    this.logPath = options.logPath;
    this.details = options.details ?? [];
  }
}

export class UsageError extends HmmciError {
  constructor(message: string) {
    super(message, { exitCode: ExitCode.USAGE });
    this.name = 'UsageError';
  }
}

export class BadInputError extends HmmciError {
  constructor(message: string, options: Omit<HmmciErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: ExitCode.BAD_INPUT });
    this.name = 'BadInputError';
  }
}

export class MissingToolError extends HmmciError {
  readonly tool: string;
  readonly installHint: string;
  constructor(tool: string, installHint: string, why: string) {
    super(
      `${tool} is not installed, and ${why}. Install it with: ${installHint} (or run \`hmmci doctor\` to see everything that is missing).`,
      {
        exitCode: ExitCode.MISSING_TOOL,
      },
    );
    this.name = 'MissingToolError';
    this.tool = tool;
    this.installHint = installHint;
  }
}

export class InterruptedError extends HmmciError {
  constructor(signal: string) {
    super(`Interrupted by ${signal}; every QEMU guest, worktree and lock this run made has been cleaned up.`, {
      exitCode: ExitCode.INTERRUPTED,
    });
    this.name = 'InterruptedError';
  }
}

export function isHmmciError(err: unknown): err is HmmciError {
  return err instanceof HmmciError;
}

/** Render an expected error the way the CLI prints it: one paragraph, details, log path. */
export function formatError(err: HmmciError): string {
  const lines = [`hmmci: ${err.message}`];
  for (const d of err.details) lines.push(`  ${d}`);
  if (err.command)
    lines.push(
      `  command: ${err.command.join(' ')}${err.commandExitCode === undefined ? '' : ` (exit ${err.commandExitCode})`}`,
    );
  if (err.logPath) lines.push(`  full log: ${err.logPath}`);
  return lines.join('\n');
}
