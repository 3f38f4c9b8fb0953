import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/**
 * Run the hmmci CLI in this process exactly as bin/hmmci.js does (main() with its exit status),
 * capturing stdout and stderr. `cacheDir` is passed as --cache-dir before the command.
 */
export async function runCli(args: readonly string[], opts: { cacheDir?: string } = {}): Promise<CliResult> {
  let out = '';
  let err = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => ((out += String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((err += String(s)), true)) as typeof process.stderr.write;
  const saved = process.exitCode;
  process.exitCode = undefined;
  try {
    const code = await main(['node', 'hmmci', ...(opts.cacheDir ? ['--cache-dir', opts.cacheDir] : []), ...args]);
    return { code, out, err };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
    process.exitCode = saved;
  }
}
