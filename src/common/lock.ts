import { mkdirSync, openSync, closeSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HmmciError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { onCleanup } from './cleanup.js';

/** Is a process with this pid alive (EPERM: alive, owned by someone else)? */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Lock {
  path: string;
  release(): void;
}

/**
 * Take an exclusive lock file (O_EXCL) holding our pid. A lock whose owner died is taken over.
 * Waits up to `waitMs` for a live owner, printing `onWait` once, then fails with INFRA.
 */
export async function acquireLock(
  path: string,
  opts: { waitMs?: number; what?: string; onWait?: (owner: number) => void } = {},
): Promise<Lock> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + (opts.waitMs ?? 30 * 60_000);
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      const unregister = onCleanup(`lock ${path}`, () => release());
      const release = () => {
        if (released) return;
        released = true;
        unregister();
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
      return { path, release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = NaN;
    try {
      owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      continue;
    }
    if (!Number.isFinite(owner) || !pidAlive(owner)) {
      try {
        unlinkSync(path);
      } catch {
        /* raced with another taker */
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new HmmciError(
        `${opts.what ?? path} is locked by another hmmci process (pid ${owner}) and it did not finish in time. Wait for it or stop it, then run again.`,
        { exitCode: ExitCode.INFRA },
      );
    }
    if (!told) {
      told = true;
      opts.onWait?.(owner);
    }
    await sleep(500);
  }
}

export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  opts: Parameters<typeof acquireLock>[1] = {},
): Promise<T> {
  const lock = await acquireLock(path, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
