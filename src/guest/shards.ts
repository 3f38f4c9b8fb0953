import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParseResult } from '../results/parser.js';
import { countStatuses, type TestResult } from '../results/types.js';

/**
 * Cases that must run in the same guest, in this order, because one depends on what another
 * left behind. Found by running each shard alone and comparing with one serial run
 * (`npm run bench:shards`, docs/ARCHITECTURE.md "Sharding"): none of the 58 cases of 6.12 does,
 * since each case runs in its own fork with its own fixture (a fresh /dev/hmm_dmirror open).
 * A group named here is never split; add one when the check finds a dependency.
 */
export const SHARD_GROUPS: readonly (readonly string[])[] = [];

/**
 * Relative cost of a case under TCG (seconds, median of the serial runs measured for sharding on
 * 6.12); unknown cases weigh 1. Only the balance between shards depends on it, never a result.
 */
export const CASE_WEIGHT: Readonly<Record<string, number>> = {};

export interface Shard {
  index: number;
  /** Case names in listing order. */
  cases: string[];
  /** hmm-tests arguments selecting exactly these cases (`-r fixture.variant.test`, repeatable). */
  testArgs: string[];
}

/** kselftest_harness.h of the tree selects a single case with `-r` (6.10 and later). */
export function harnessSelectsCases(srcDir: string): boolean {
  try {
    return /case 'r':/.test(readFileSync(join(srcDir, 'tools/testing/selftests/kselftest_harness.h'), 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Split the cases into `n` shards of about equal cost, keeping each SHARD_GROUPS group whole and
 * every shard in listing order. Greedy: units (groups and single cases) heaviest first, each to
 * the lightest shard. Pure.
 */
export function planShards(
  cases: readonly string[],
  n: number,
  groups: readonly (readonly string[])[] = SHARD_GROUPS,
  weight: Readonly<Record<string, number>> = CASE_WEIGHT,
): Shard[] {
  const k = Math.max(1, Math.min(n, cases.length));
  const inGroup = new Map<string, number>();
  groups.forEach((g, i) => g.forEach((c) => inGroup.set(c, i)));
  const units: string[][] = [];
  const groupUnit = new Map<number, string[]>();
  for (const c of cases) {
    const g = inGroup.get(c);
    if (g === undefined) units.push([c]);
    else if (groupUnit.has(g)) groupUnit.get(g)!.push(c);
    else {
      const u = [c];
      groupUnit.set(g, u);
      units.push(u);
    }
  }
  const cost = (u: readonly string[]) => u.reduce((a, c) => a + (weight[c] ?? 1), 0);
  const load = Array.from({ length: k }, () => 0);
  const members: Set<string>[] = Array.from({ length: k }, () => new Set<string>());
  for (const u of [...units].sort((a, b) => cost(b) - cost(a))) {
    const i = load.indexOf(Math.min(...load));
    load[i]! += cost(u);
    for (const c of u) members[i]!.add(c);
  }
  return members
    .map((m) => cases.filter((c) => m.has(c)))
    .filter((cs) => cs.length > 0)
    .map((cs, index) => ({ index, cases: cs, testArgs: cs.flatMap((c) => ['-r', c]) }));
}

/**
 * The results of the shards as one run, identical in shape to a serial run: each case from the
 * shard that ran it, in listing order; events and diagnostics of every shard (diagnostics say
 * which). The session is the first shard's, marked killed when any shard was.
 */
export function mergeShards(
  shards: readonly Shard[],
  results: readonly ParseResult[],
  order: readonly string[],
): ParseResult {
  const first = results[0];
  if (!first) throw new Error('mergeShards: no results');
  const owner = new Map<string, number>();
  shards.forEach((s, i) => s.cases.forEach((c) => owner.set(c, i)));
  const byShard = results.map((r) => new Map(r.tests.map((t) => [t.name, t])));
  const tests: TestResult[] = [];
  const names = [...order, ...results.flatMap((r) => r.tests.map((t) => t.name)).filter((n) => !order.includes(n))];
  const done = new Set<string>();
  for (const name of names) {
    if (done.has(name)) continue;
    done.add(name);
    const i = owner.get(name);
    const t =
      i === undefined ? byShard.map((m) => m.get(name)).find((x) => x && x.status !== 'notrun') : byShard[i]?.get(name);
    if (t) tests.push(t);
  }
  const killed = results.find((r) => r.session.killed)?.session.killed;
  return {
    tests,
    counts: countStatuses(tests),
    events: results.flatMap((r) => r.events),
    diagnostics: results.flatMap((r, i) =>
      r.diagnostics.map((d) => ({ ...d, message: `shard ${i + 1}: ${d.message}` })),
    ),
    session: { ...first.session, ...(killed ? { killed } : {}) },
  };
}
