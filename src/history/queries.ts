import picomatch from 'picomatch';
import type { HistoryDb } from './db.js';
import { baselineFailures, outcomeOf, testStats, type Observation, type TestStats } from './stats.js';

/** Change labels that mean the series itself changed the test's result (not evidence of flakiness). */
const SERIES_CHANGED = new Set(['REGRESSION', 'FIXED', 'ADDED']);

interface ResultJoin {
  job_id: string;
  run_id: string;
  created_at: string;
  series_title: string;
  base: string;
  config_hash: string;
  config_desc: string;
  side: 'baseline' | 'patched';
  attempt: number;
  status: string;
  duration_ms: number | null;
  repeat_pass: number | null;
  repeat_total: number | null;
  baseline_cached: number;
  label: string | null;
}

/** One job's results of one test: a line of `hmmci history`. */
export interface HistoryRow {
  job: string;
  createdAt: string;
  series: string;
  base: string;
  configHash: string;
  config: string;
  /** Baseline status (null: no baseline; `cached` says it was reused from an earlier run). */
  baseline: string | null;
  baselineCached: boolean;
  /** Patched attempts, first run first. */
  patched: string[];
  /** Passes out of runs on the patched side (reruns, or `repeat` counts when hmm-tests repeated). */
  pass: number;
  total: number;
  durationMs: number | null;
  /** The run's change label for this test (REGRESSION, FLAKY, FIXED…), when it had one. */
  label: string | null;
}

export interface TestHistory {
  test: string;
  stats: TestStats;
  /** Newest last. */
  rows: HistoryRow[];
}

const RESULTS_SQL = `
  SELECT r.job_id, j.run_id, j.created_at, j.series_title, j.base, j.config_hash, j.config_desc, r.side, r.attempt, r.status, r.duration_ms,
         r.repeat_pass, r.repeat_total, j.baseline_cached, c.label
  FROM results r JOIN jobs j ON j.id = r.job_id
  LEFT JOIN changes c ON c.job_id = r.job_id AND c.test = r.test
  WHERE r.test = ? ORDER BY j.created_at, j.id, r.side, r.attempt`;

/** What the statistics need, without the strings a history listing shows (faster over many runs). */
const STATS_SQL = `
  SELECT r.job_id, j.run_id, j.created_at, j.base, j.config_hash, r.side, r.status, j.baseline_cached, c.label
  FROM results r JOIN jobs j ON j.id = r.job_id
  LEFT JOIN changes c ON c.job_id = r.job_id AND c.test = r.test
  WHERE r.test = ? ORDER BY j.created_at, j.id, r.side, r.attempt`;

function resultsOf(db: HistoryDb, test: string, lean = false): ResultJoin[] {
  return db.prepare(lean ? STATS_SQL : RESULTS_SQL).all(test) as ResultJoin[];
}

/**
 * The observations the statistics count. A cached baseline is a copy of an earlier run's, and the
 * jobs of one `hmmci run` on the same base and config share one baseline: each is counted once.
 */
export function observationsOf(rows: readonly ResultJoin[]): Observation[] {
  const out: Observation[] = [];
  const baselines = new Set<string>();
  for (const r of rows) {
    if (r.side === 'baseline') {
      const key = `${r.run_id}\0${r.base}\0${r.config_hash}`;
      if (r.baseline_cached || baselines.has(key)) continue;
      baselines.add(key);
    }
    const outcome = outcomeOf(r.status);
    if (!outcome) continue;
    out.push({
      job: r.job_id,
      group: `${r.base}\0${r.config_hash}`,
      outcome,
      evidence: r.side === 'baseline' || !SERIES_CHANGED.has(r.label ?? ''),
    });
  }
  return out;
}

function historyRows(rows: readonly ResultJoin[]): HistoryRow[] {
  const byJob = new Map<string, HistoryRow>();
  for (const r of rows) {
    let h = byJob.get(r.job_id);
    if (!h) {
      h = {
        job: r.job_id,
        createdAt: r.created_at,
        series: r.series_title,
        base: r.base,
        configHash: r.config_hash,
        config: r.config_desc,
        baseline: null,
        baselineCached: false,
        patched: [],
        pass: 0,
        total: 0,
        durationMs: null,
        label: r.label,
      };
      byJob.set(r.job_id, h);
    }
    if (r.side === 'baseline') {
      h.baseline = r.status;
      h.baselineCached = Boolean(r.baseline_cached);
      continue;
    }
    h.patched.push(r.status);
    if (r.attempt === 0) h.durationMs = r.duration_ms;
    const total = r.repeat_total ?? 1;
    h.total += total;
    h.pass += r.repeat_total !== null ? (r.repeat_pass ?? 0) : outcomeOf(r.status) === 'pass' ? 1 : 0;
  }
  return [...byJob.values()];
}

/** Every test name the history knows, sorted. */
export function knownTests(db: HistoryDb): string[] {
  return db.prepare('SELECT name FROM tests ORDER BY name').pluck().all() as string[];
}

/** Tests matching a glob (`hmm2.*.snapshot`, `*coherent*`); a name without glob characters matches itself or as a substring. */
export function matchTests(db: HistoryDb, pattern: string): string[] {
  const all = knownTests(db);
  const isMatch = picomatch(pattern, { dot: true });
  const hits = all.filter((t) => isMatch(t));
  if (hits.length || picomatch.scan(pattern).isGlob) return hits;
  return all.filter((t) => t.includes(pattern));
}

/** `hmmci history <glob>`: each matching test's results over time and its statistics. */
export function testHistory(db: HistoryDb, pattern: string, opts: { limit?: number } = {}): TestHistory[] {
  return matchTests(db, pattern).map((test) => {
    const rows = resultsOf(db, test);
    const all = historyRows(rows);
    return { test, stats: testStats(observationsOf(rows)), rows: opts.limit ? all.slice(-opts.limit) : all };
  });
}

export interface FlakyEntry extends TestStats {
  test: string;
  /** When it last failed. */
  lastFailure: string | null;
}

/** `hmmci history --flaky`: tests that flipped, most flips first (then most failures). */
export function flakyRanking(db: HistoryDb, opts: { limit?: number } = {}): FlakyEntry[] {
  const out: FlakyEntry[] = [];
  for (const test of knownTests(db)) {
    const rows = resultsOf(db, test, true);
    const stats = testStats(observationsOf(rows));
    if (stats.flips === 0) continue;
    const fails = rows.filter((r) => outcomeOf(r.status) === 'fail');
    out.push({ test, ...stats, lastFailure: fails.at(-1)?.created_at ?? null });
  }
  out.sort((a, b) => b.flips - a.flips || b.failed - a.failed || a.test.localeCompare(b.test));
  return opts.limit ? out.slice(0, opts.limit) : out;
}

export interface KnownFlaky {
  test: string;
  /** Recent runs on this base and config in which the test failed, and how many there were. */
  failed: number;
  of: number;
  flips: number;
  /** "known flaky (k of n recent baseline runs failed)" */
  label: string;
}

/**
 * Which of `tests` flipped before on the same base and config (runs other than `excludeJob`):
 * a regression on such a test is still reported, labelled known flaky.
 */
export function knownFlaky(
  db: HistoryDb,
  q: { tests: readonly string[]; base: string; configHash: string; excludeJob?: string; window?: number },
): KnownFlaky[] {
  const out: KnownFlaky[] = [];
  for (const test of q.tests) {
    const rows = resultsOf(db, test, true).filter(
      (r) => r.base === q.base && r.config_hash === q.configHash && r.job_id !== q.excludeJob,
    );
    const f = baselineFailures(observationsOf(rows), q.window);
    if (f.flips === 0) continue;
    out.push({ test, ...f, label: `known flaky (${f.failed} of ${f.of} recent baseline runs failed)` });
  }
  return out;
}
