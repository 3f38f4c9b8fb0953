import { existsSync, lstatSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A build killed without a chance to clean up (SIGKILL of its process group: a fleet worker
 * killed with -9, an OOM kill, a machine reset) leaves files make was writing half written, with
 * a fresh timestamp. kbuild writes many outputs in place (`vmlinux.bin.xz` through a shell
 * redirection, the bzImage, modules), and its `.DELETE_ON_ERROR` only runs when make itself gets
 * the signal; the next make then finds them newer than their inputs and keeps them: a kernel that
 * dies at "Booting from ROM" and builds "up to date". Seen here on 2026-11-29 after the fleet's
 * kill -9 fault test: a 1.5 MB bzImage (2.0 MB when whole) over a truncated vmlinux.bin.xz.
 *
 * So a marker is written before make starts and removed when make has exited, whatever its
 * status. A marker found at the start of a build means the last one was killed: every file it
 * wrote (newer than the marker) is removed, so make makes each again from its inputs. Files older
 * than the marker are whole (make finished them in an earlier build), so the rebuild stays
 * incremental.
 */
export const MARKER = join('.hmmci', 'build-running');

/**
 * Kept whatever their age: hmmci's own files, and the configuration — written by `hmmci config`
 * (possibly after the killed build), an input of make, never made by it.
 */
const KEEP = new Set(['.hmmci', '.config', '.config.old']);

/** Files under `dir` (not KEEP at its top) modified after `sinceMs`. */
function newerThan(dir: string, sinceMs: number, top = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (dir === top && KEEP.has(e.name)) continue;
    if (e.isDirectory()) out.push(...newerThan(p, sinceMs, top));
    else if (lstatSync(p).mtimeMs >= sinceMs) out.push(p);
  }
  return out;
}

/**
 * Before make: if the previous build of `buildDir` was killed, remove what it wrote and say how
 * many files (0 when it was not), then mark this build as running.
 */
export function beginBuild(buildDir: string): { discarded: number } {
  const marker = join(buildDir, MARKER);
  let discarded = 0;
  if (existsSync(marker)) {
    const since = statSync(marker).mtimeMs;
    for (const f of newerThan(buildDir, since)) {
      rmSync(f, { force: true });
      discarded++;
    }
  }
  writeFileSync(marker, `${process.pid}\n`);
  return { discarded };
}

/** After make has exited (any status, or an interrupt it saw): its outputs are whole or removed by make. */
export function endBuild(buildDir: string): void {
  rmSync(join(buildDir, MARKER), { force: true });
}
