import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root and the CLI the e2e tests run (bin/hmmci.js over dist/). */
export const root = fileURLToPath(new URL('../', import.meta.url));
export const bin = join(root, 'bin', 'hmmci.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `hmmci ARGS` in the repository root as a user would; never rejects (the exit status is `code`). */
export function hmmci(args: string[], opts: { timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: root, maxBuffer: 256 * 1024 * 1024, timeout: opts.timeoutMs ?? 50 * 60_000 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
