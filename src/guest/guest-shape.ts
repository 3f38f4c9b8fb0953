import type { Shard } from './shards.js';

/** How a test run was shaped beyond one boot of all cases (recorded in results and reports). */
export interface GuestShape {
  /** `--repeat N` as asked. */
  repeat?: number;
  /** Runs of hmm-tests that gave verdicts, and boots, per shard. */
  runs: number[];
  boots: number[];
  /** Cases per shard when split across guests. */
  shards?: number[];
  smp?: number;
  memoryPressure?: boolean;
}

/** The shape, or undefined for the plain case (one boot, one run, arch defaults). */
export function guestShape(s: {
  repeat?: number;
  runs: number[];
  boots: number[];
  shards: readonly Shard[];
  smp?: number;
  memoryPressure?: boolean;
}): GuestShape | undefined {
  if (s.repeat === undefined && s.shards.length <= 1 && !s.smp && !s.memoryPressure && s.boots.every((b) => b <= 1))
    return undefined;
  return {
    ...(s.repeat !== undefined ? { repeat: s.repeat } : {}),
    runs: s.runs,
    boots: s.boots,
    ...(s.shards.length > 1 ? { shards: s.shards.map((x) => x.cases.length) } : {}),
    ...(s.smp ? { smp: s.smp } : {}),
    ...(s.memoryPressure ? { memoryPressure: true } : {}),
  };
}
