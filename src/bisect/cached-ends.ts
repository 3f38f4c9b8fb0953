import { basename } from 'node:path';
import type { CacheLayout } from '../common/cache.js';
import type { RunRecord } from '../report/record.js';
import { listRuns, readRecord } from '../run/run-dir.js';
import { BaselineStore, type BaselineEntry, type BaselineKey } from '../stages/baseline-store.js';
import type { ConfigVariant } from '../stages/types.js';
import type { CommitOutcome } from './types.js';

/**
 * Results of a bisect's two ends that earlier work already produced, so the bisect spends its
 * builds on the commits in between: a prior `hmmci run` of the same series (same patches, base,
 * config and runner) has both, the run stage's baseline cache has the base.
 */

export interface CachedEnds {
  base?: CommitOutcome;
  tip?: CommitOutcome;
  /** Where they came from, for the report ("run 2026…-break-test-at-2-ab12"). */
  from: string[];
}

const cached = (record: RunRecord['baseline']): CommitOutcome | undefined =>
  record
    ? {
        kind: 'results',
        result: { tests: record.tests, counts: record.counts, events: record.events },
        ms: 0,
        built: false,
      }
    : undefined;

/** Does a run record describe the same job as this bisect's series? Pure. */
export function sameJob(
  record: RunRecord,
  want: { patchsetHash: string; base: string; variant: ConfigVariant; runner: string; gcc?: string },
): boolean {
  const sameList = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && a.every((x, i) => x === b[i]);
  return (
    record.status === 'complete' &&
    record.series.patchsetHash === want.patchsetHash &&
    want.patchsetHash !== '' &&
    record.series.base === want.base &&
    sameList(
      record.config.fragments,
      want.variant.fragments.map((f) => basename(f)),
    ) &&
    sameList(record.config.extra, want.variant.extra) &&
    record.env.runner === want.runner &&
    (want.gcc === undefined || record.env.gcc === want.gcc)
  );
}

/** The newest complete run of the same series: its baseline and first patched results. */
export function endsFromRuns(cache: CacheLayout, want: Parameters<typeof sameJob>[1]): CachedEnds {
  for (const listing of listRuns(cache)) {
    if (listing.status !== 'complete') continue;
    let record: RunRecord;
    try {
      record = readRecord(listing.dir);
    } catch {
      continue;
    }
    if (!sameJob(record, want)) continue;
    const base = cached(record.baseline);
    const tip = cached(record.patched);
    if (base || tip) return { base, tip, from: [`run ${record.id}`] };
  }
  return { from: [] };
}

/** The base's results from the baseline cache (same commit, config hash, gcc and runner). */
export function baseFromBaselineCache(cache: CacheLayout, key: BaselineKey): CachedEnds {
  const hit = new BaselineStore(cache).lookup(key);
  if (!hit) return { from: [] };
  return {
    base: { kind: 'results', result: hit.result, ms: 0, built: false },
    from: [`baseline cache (run ${hit.fromRun})`],
  };
}

/**
 * Baseline-cache entries of any of these commits (e.g. the `refs/bisect/good-*` of a `git bisect`
 * in progress) for this runner and gcc, newest first. The config hash is not known before the
 * commit under test is configured, so it is not part of the match; callers say which it was.
 */
export function baselinesOf(
  cache: CacheLayout,
  shas: readonly string[],
  want: { runner: string; toolchain: string },
): BaselineEntry[] {
  return new BaselineStore(cache)
    .list()
    .filter((e) => shas.includes(e.key.base) && e.key.runner === want.runner && e.key.toolchain === want.toolchain)
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
}
