import type { RunRecord } from '../../src/report/index.js';
import { compareResults } from '../../src/compare/index.js';
import { record, result } from '../report/records.js';
import type { TestRunResult } from '../../src/results/types.js';

export const SNAPSHOT = 'hmm2.hmm2_device_coherent.snapshot';
export const MULTIPLE = 'hmm.hmm_device_private.migrate_multiple';
export const BASE_A = 'a'.repeat(40);
export const BASE_B = 'b'.repeat(40);

/** A copy of a fixture result with some tests' statuses overridden. */
export function withStatuses(name: string, over: Record<string, string>): TestRunResult {
  const r = structuredClone(result(name));
  for (const t of r.tests) if (over[t.name]) t.status = over[t.name] as typeof t.status;
  return r;
}

/**
 * A constructed job record (labelled: built from the fixture results, not captured from a real
 * run): job `n` of a history, at minute `n`, on `base`, with the given baseline and patched runs.
 */
export function job(
  n: number,
  opts: {
    base?: string;
    config?: string;
    baseline: TestRunResult;
    patched: TestRunResult[];
    cached?: boolean;
    title?: string;
  },
): RunRecord {
  const id = `20261101-${String(n).padStart(6, '0')}-series-${n}-0000`;
  const base = record('baseline-58-pass', ['baseline-58-pass']);
  const comparison = compareResults(opts.baseline, opts.patched);
  const at = new Date(Date.UTC(2026, 10, 1) + n * 60_000).toISOString();
  return {
    ...base,
    id,
    createdAt: at,
    finishedAt: at,
    runDir: `/nonexistent/runs/${id}`,
    series: { ...base.series, title: opts.title ?? `[PATCH] series ${n}`, base: opts.base ?? BASE_A },
    config: { ...base.config, configHash: opts.config ?? 'cfg1' },
    env: { ...base.env, configHash: opts.config ?? 'cfg1' },
    baseline: { ...opts.baseline, ...(opts.cached ? { cached: true, fromRun: 'earlier' } : {}) },
    patched: opts.patched[0] ?? null,
    reruns: opts.patched.slice(1),
    comparison,
    exitCode: comparison.regressed ? 1 : 0,
    artifacts: { dir: `/nonexistent/runs/${id}`, patchedConsoles: [] },
  };
}
