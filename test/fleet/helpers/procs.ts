/** /proc helpers for the fault tests: process groups and processes of a worker. */
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { processesUnder, type WorkerProc } from './fleet.js';

/** A process's name, parent and process group (/proc/<pid>/stat), or undefined once it is gone. */
export function procStat(pid: number): { comm: string; ppid: number; pgid: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
  };
}

/** Every pid in /proc now. */
export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((x) => /^\d+$/.test(x))
    .map(Number);
}

/** Processes in a process group (from /proc/<pid>/stat field 5). */
export function groupMembers(pgid: number): number[] {
  return allPids().filter((p) => procStat(p)?.pgid === pgid);
}

function fieldOf(pid: number, f: 'ppid' | 'pgid'): number {
  const s = procStat(pid);
  if (!s) throw new Error(`process ${pid} is gone`);
  return s[f];
}

export const pgidOf = (pid: number): number => fieldOf(pid, 'pgid');
export const ppidOf = (pid: number): number => fieldOf(pid, 'ppid');

export async function waitForProcess(w: WorkerProc, what: RegExp, ms = 60_000): Promise<number> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const hit = processesUnder(w.cache).find((l) => what.test(l));
    if (hit) return Number(hit.split(' ')[0]);
    await sleep(50);
  }
  throw new Error(`no ${what} under ${w.cache}`);
}
