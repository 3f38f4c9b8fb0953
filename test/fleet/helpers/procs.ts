/** /proc helpers for the fault tests: process groups and processes of a worker. */
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { processesUnder, type WorkerProc } from './fleet.js';

/** Processes in a process group (from /proc/<pid>/stat field 5). */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

export function pgidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

export async function waitForProcess(w: WorkerProc, what: RegExp, ms = 60_000): Promise<number> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const hit = processesUnder(w.cache).find((l) => what.test(l));
    if (hit) return Number(hit.split(' ')[0]);
    await sleep(50);
  }
  throw new Error(`no ${what} under ${w.cache}`);
}
