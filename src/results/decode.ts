import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../common/exec.js';
import type { KernelEvent } from './types.js';

export interface DecodeOptions {
  vmlinux: string;
  /** Kernel source tree: its scripts/decode_stacktrace.sh is used, and it is the base path. */
  srcDir?: string;
  /** Where the modules' .ko files are (the build directory), for traces inside test_hmm. */
  modulesDir?: string;
  signal?: AbortSignal;
}

/** The decode script of the tree, when there is one. */
export function decodeScript(srcDir?: string): string | undefined {
  if (!srcDir) return undefined;
  const p = join(srcDir, 'scripts/decode_stacktrace.sh');
  return existsSync(p) ? p : undefined;
}

/**
 * Decode each event's trace with the tree's scripts/decode_stacktrace.sh (func+off → file:line,
 * needs CONFIG_DEBUG_INFO for line numbers) and store it in `event.decoded`. Best effort: a
 * missing script, vmlinux or addr2line leaves the events as they are, and a reason is returned.
 */
export async function decodeEvents(events: KernelEvent[], opts: DecodeOptions): Promise<string | undefined> {
  const script = decodeScript(opts.srcDir);
  if (!script) return 'no scripts/decode_stacktrace.sh in the tree (give --tree)';
  if (!existsSync(opts.vmlinux)) return `no vmlinux at ${opts.vmlinux}`;
  const args = [
    script,
    opts.vmlinux,
    ...(opts.srcDir ? [opts.srcDir] : []),
    ...(opts.modulesDir ? [opts.modulesDir] : []),
  ];
  for (const ev of events) {
    const r = await run('bash', args, {
      input: `${ev.text}\n`,
      timeoutMs: 60_000,
      signal: opts.signal,
      cwd: opts.srcDir,
    });
    if (r.exitCode === 0 && r.stdout.trim() && r.stdout.trim() !== ev.text.trim()) ev.decoded = r.stdout.trimEnd();
    else if (r.exitCode !== 0)
      return `decode_stacktrace.sh failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n')[0] ?? ''}`;
  }
  return undefined;
}
