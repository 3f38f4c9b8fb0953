import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParseResult } from '../results/parser.js';
import { countStatuses, type KernelEvent, type TestResult } from '../results/types.js';

/**
 * Cases that must run in the same guest, in this order, because one depends on what another
 * left behind. Found by running each shard alone and comparing with one serial run
 * (`npm run bench:shards`, docs/ARCHITECTURE.md "Sharding"): none of the 58 cases of 6.12 does,
 * since each case runs in its own fork with its own fixture (a fresh /dev/hmm_dmirror open).
 * A group named here is never split; add one when the check finds a dependency.
 */
export const SHARD_GROUPS: readonly (readonly string[])[] = [];

/**
 * Cost of a case under TCG: seconds from its `#  RUN` line to its result (`durationMs`), median of
 * 5 serial boots of 6.12.117 with the trimmed base config (TCG, 2 vCPUs, load average 7-9 from
 * other builds, 2026-11-29). A case unknown here weighs the median of the table. Only the balance
 * between shards depends on it, never a result: by count alone, the 6 heavy cases (the
 * `*_multiple` and `anon_teardown` ones, 0.6-1.25 s each) split 62/38 by time, by weight 50/50.
 */
export const CASE_WEIGHT: Readonly<Record<string, number>> = {
  'hmm.hmm_device_private.open_close': 0.07,
  'hmm.hmm_device_private.anon_read': 0.11,
  'hmm.hmm_device_private.anon_read_prot': 0.14,
  'hmm.hmm_device_private.anon_write': 0.12,
  'hmm.hmm_device_private.anon_write_prot': 0.15,
  'hmm.hmm_device_private.anon_write_child': 0.18,
  'hmm.hmm_device_private.anon_write_child_shared': 0.14,
  'hmm.hmm_device_private.anon_write_huge': 0.12,
  'hmm.hmm_device_private.anon_write_hugetlbfs': 0.07,
  'hmm.hmm_device_private.file_read': 0.23,
  'hmm.hmm_device_private.file_write': 0.16,
  'hmm.hmm_device_private.migrate': 0.11,
  'hmm.hmm_device_private.migrate_file_private': 0.21,
  'hmm.hmm_device_private.migrate_fault': 0.22,
  'hmm.hmm_device_private.migrate_release': 0.26,
  'hmm.hmm_device_private.migrate_shared': 0.02,
  'hmm.hmm_device_private.migrate_multiple': 1.16,
  'hmm.hmm_device_private.anon_read_multiple': 0.6,
  'hmm.hmm_device_private.anon_teardown': 1.23,
  'hmm.hmm_device_private.mixedmap': 0.04,
  'hmm.hmm_device_private.compound': 0.05,
  'hmm.hmm_device_private.exclusive': 0.15,
  'hmm.hmm_device_private.exclusive_mprotect': 0.15,
  'hmm.hmm_device_private.exclusive_cow': 0.2,
  'hmm.hmm_device_private.hmm_gup_test': 0.08,
  'hmm.hmm_device_private.hmm_cow_in_device': 0.1,
  'hmm.hmm_device_coherent.open_close': 0.07,
  'hmm.hmm_device_coherent.anon_read': 0.16,
  'hmm.hmm_device_coherent.anon_read_prot': 0.1,
  'hmm.hmm_device_coherent.anon_write': 0.13,
  'hmm.hmm_device_coherent.anon_write_prot': 0.15,
  'hmm.hmm_device_coherent.anon_write_child': 0.23,
  'hmm.hmm_device_coherent.anon_write_child_shared': 0.19,
  'hmm.hmm_device_coherent.anon_write_huge': 0.09,
  'hmm.hmm_device_coherent.anon_write_hugetlbfs': 0.08,
  'hmm.hmm_device_coherent.file_read': 0.23,
  'hmm.hmm_device_coherent.file_write': 0.16,
  'hmm.hmm_device_coherent.migrate': 0.1,
  'hmm.hmm_device_coherent.migrate_file_private': 0.12,
  'hmm.hmm_device_coherent.migrate_fault': 0.28,
  'hmm.hmm_device_coherent.migrate_release': 0.32,
  'hmm.hmm_device_coherent.migrate_shared': 0.03,
  'hmm.hmm_device_coherent.migrate_multiple': 1.25,
  'hmm.hmm_device_coherent.anon_read_multiple': 0.81,
  'hmm.hmm_device_coherent.anon_teardown': 1.0,
  'hmm.hmm_device_coherent.mixedmap': 0.03,
  'hmm.hmm_device_coherent.compound': 0.05,
  'hmm.hmm_device_coherent.exclusive': 0.15,
  'hmm.hmm_device_coherent.exclusive_mprotect': 0.18,
  'hmm.hmm_device_coherent.exclusive_cow': 0.19,
  'hmm.hmm_device_coherent.hmm_gup_test': 0.06,
  'hmm.hmm_device_coherent.hmm_cow_in_device': 0.03,
  'hmm2.hmm2_device_private.migrate_mixed': 0.07,
  'hmm2.hmm2_device_private.snapshot': 0.05,
  'hmm2.hmm2_device_private.double_map': 0.05,
  'hmm2.hmm2_device_coherent.migrate_mixed': 0.07,
  'hmm2.hmm2_device_coherent.snapshot': 0.06,
  'hmm2.hmm2_device_coherent.double_map': 0.05,
};

/** The weight of a case the table does not know: the table's median (1 for an empty table). */
export function unknownWeight(weight: Readonly<Record<string, number>>): number {
  const xs = Object.values(weight).sort((a, b) => a - b);
  return xs.length ? (xs[Math.floor(xs.length / 2)] as number) : 1;
}

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
 * every shard in listing order. Greedy (longest processing time first): units (groups and single
 * cases) heaviest first, each to the lightest shard; equal weights alternate. Pure.
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
  const unknown = unknownWeight(weight);
  const cost = (u: readonly string[]) => u.reduce((a, c) => a + (weight[c] ?? unknown), 0);
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
 * Every shard's kernel events in the order a serial run would meet them: by the listing position
 * of the test they happened in (none, i.e. boot or teardown, first), each shard's own order kept
 * among equals. A one-shot report (lockdep prints its first inversion once per boot, WARN_ONCE)
 * fires in every guest that reaches the path; the copy from the case a serial run reaches first
 * comes first, so the event kept for a key names the same test as a serial run.
 */
function inSerialOrder(events: readonly KernelEvent[], names: readonly string[]): KernelEvent[] {
  const position = new Map(names.map((n, i) => [n, i]));
  const rank = (e: KernelEvent) => (e.test === null ? -1 : (position.get(e.test) ?? names.length));
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i)
    .map((x) => x.e);
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
    events: inSerialOrder(
      results.flatMap((r) => r.events),
      names,
    ),
    diagnostics: results.flatMap((r, i) =>
      r.diagnostics.map((d) => ({ ...d, message: `shard ${i + 1}: ${d.message}` })),
    ),
    session: { ...first.session, ...(killed ? { killed } : {}) },
  };
}
