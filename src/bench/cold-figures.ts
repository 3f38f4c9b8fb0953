/** Pure helpers of the cold-build benchmark (src/bench/cold-build.ts). */

/** `1m05s`, `13.2s`, `495ms` as printed by the reporter → ms. */
export function parseDuration(s: string): number {
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g))
    ms += Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[m[2] as 'h' | 'm' | 's' | 'ms'];
  return Math.round(ms);
}

/** Stage durations from the reporter's `  ok NAME [what] 13.2s — …` lines. */
export function stageTimes(stderr: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of stderr.matchAll(/^\s+ok ([a-z: ]+?) \[.*?\] ((?:\d+(?:\.\d+)?(?:h|ms|m|s))+)/gm))
    out[m[1]!.trim()] = parseDuration(m[2]!);
  return out;
}
