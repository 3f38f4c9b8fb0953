import { HmmciError, type HmmciErrorOptions } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';

/** The kernel tree is unusable: tarball missing, not a git repository, unknown revision (exit 9). */
export class TreeError extends HmmciError {
  constructor(message: string, options: Omit<HmmciErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: ExitCode.TREE });
    this.name = 'TreeError';
  }
}

/** The disk filled up while hmmci was writing (exit 7, infrastructure). */
export class DiskFullError extends HmmciError {
  constructor(where: string, what: string, options: Omit<HmmciErrorOptions, 'exitCode'> = {}) {
    super(
      `The disk holding ${where} is full (ENOSPC) while ${what}. Free some space (\`hmmci tree status\` shows what hmmci keeps; \`hmmci tree clean\` removes worktrees and build directories), or point --cache-dir / HMMCI_CACHE at a bigger disk, then run again.`,
      { ...options, exitCode: ExitCode.INFRA },
    );
    this.name = 'DiskFullError';
  }
}

/** True when an error or a command's output says the disk is full. */
export function isDiskFull(errOrText: unknown): boolean {
  if (typeof errOrText === 'string') return /No space left on device|ENOSPC/.test(errOrText);
  const e = errOrText as NodeJS.ErrnoException | undefined;
  if (e?.code === 'ENOSPC') return true;
  return typeof e?.message === 'string' && /No space left on device|ENOSPC/.test(e.message);
}
