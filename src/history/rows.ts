import { changeRows } from '../report/changes.js';
import type { RunRecord } from '../report/record.js';
import type { KernelEvent, TestResult, TestRunResult } from '../results/types.js';

/** `repeat: {pass, total}` per test once `hmm-tests --repeat` lands (issue 16); absent before. */
export interface RepeatCount {
  pass: number;
  total: number;
}
export const repeatOf = (t: TestResult): RepeatCount | undefined => (t as TestResult & { repeat?: RepeatCount }).repeat;

export interface JobRow {
  id: string;
  run_id: string;
  created_at: string;
  finished_at: string | null;
  status: string;
  exit_code: number | null;
  regressed: number;
  summary: string;
  series_input: string;
  series_title: string;
  author: string | null;
  message_id: string | null;
  patch_count: number;
  patchset_hash: string | null;
  base: string;
  config_hash: string;
  variant: string | null;
  config_desc: string;
  baseline_cached: number;
  baseline_from: string | null;
  run_dir: string;
  error: string | null;
}

export interface ResultRow {
  side: 'baseline' | 'patched';
  attempt: number;
  seq: number;
  test: string;
  status: string;
  duration_ms: number | null;
  reason: string | null;
  repeat_pass: number | null;
  repeat_total: number | null;
}

export interface EventRow {
  side: 'baseline' | 'patched';
  attempt: number;
  kind: string;
  test: string | null;
  function: string | null;
  summary: string;
  text: string;
  decoded: string | null;
}

export interface RecordRows {
  job: JobRow;
  env: { kernel: string; gcc: string; qemu: string; accel: string; runner: string };
  results: ResultRow[];
  events: EventRow[];
  stages: Array<{ seq: number; name: string; side: string; ms: number }>;
  builds: Array<{ side: string; ok: number; ms: number | null; log_path: string | null }>;
  changes: Array<{ label: string; test: string; baseline: string | null; patched: string | null; runs: string }>;
}

export function configDesc(r: RunRecord): string {
  return [...r.config.fragments, ...r.config.extra].join(' + ') + (r.config.variant ? ` [${r.config.variant}]` : '');
}

function resultRows(side: ResultRow['side'], attempt: number, run: TestRunResult): ResultRow[] {
  return run.tests.map((t, seq) => {
    const rep = repeatOf(t);
    return {
      side,
      attempt,
      seq,
      test: t.name,
      status: t.status,
      duration_ms: t.durationMs ?? null,
      reason: t.reason ?? null,
      repeat_pass: rep?.pass ?? null,
      repeat_total: rep?.total ?? null,
    };
  });
}

function eventRows(side: EventRow['side'], attempt: number, events: readonly KernelEvent[]): EventRow[] {
  return events.map((e) => ({
    side,
    attempt,
    kind: e.kind,
    test: e.test,
    function: e.function ?? null,
    summary: e.text.split('\n')[0] ?? '',
    text: e.text,
    decoded: e.decoded ?? null,
  }));
}

function buildRows(r: RunRecord): RecordRows['builds'] {
  const out: RecordRows['builds'] = [];
  for (const side of ['baseline', 'patched'] as const) {
    const st = r.stages.find((s) => s.name === 'build' && s.side === side);
    const log = side === 'baseline' ? r.artifacts.baselineBuildLog : r.artifacts.patchedBuildLog;
    if (!st && !log) continue;
    const failed =
      r.error?.exitCode === (side === 'baseline' ? 6 : 5) && !(side === 'patched' ? r.patched : r.baseline);
    out.push({ side, ok: failed ? 0 : 1, ms: st?.ms ?? null, log_path: log ?? null });
  }
  return out;
}

/** A run record as the rows of the history tables (pure). */
export function recordRows(r: RunRecord): RecordRows {
  const results: ResultRow[] = [];
  const events: EventRow[] = [];
  if (r.baseline) {
    results.push(...resultRows('baseline', 0, r.baseline));
    events.push(...eventRows('baseline', 0, r.baseline.events));
  }
  [r.patched, ...r.reruns].forEach((run, attempt) => {
    if (!run) return;
    results.push(...resultRows('patched', attempt, run));
    events.push(...eventRows('patched', attempt, run.events));
  });
  const changes = r.comparison
    ? changeRows(r.comparison).map((c) => ({
        label: c.label,
        test: c.name,
        baseline: c.baseline,
        patched: c.patched,
        runs: c.patched,
      }))
    : [];
  return {
    job: {
      id: r.id,
      run_id: r.batch ?? r.id,
      created_at: r.createdAt,
      finished_at: r.finishedAt ?? null,
      status: r.status,
      exit_code: r.exitCode ?? null,
      regressed: r.comparison?.regressed ? 1 : 0,
      summary: r.error ? (r.error.message.split('\n')[0] ?? '') : (r.comparison?.summary ?? r.status),
      series_input: r.series.input,
      series_title: r.series.title,
      author: r.series.author ?? null,
      message_id: r.series.messageId ?? null,
      patch_count: r.series.patches.length,
      patchset_hash: r.series.patchsetHash ?? null,
      base: r.series.base,
      config_hash: r.config.configHash || r.env.configHash,
      variant: r.config.variant ?? null,
      config_desc: configDesc(r),
      baseline_cached: r.baseline?.cached ? 1 : 0,
      baseline_from: r.baseline?.fromRun ?? null,
      run_dir: r.runDir,
      error: r.error?.message ?? null,
    },
    env: { kernel: r.env.kernel, gcc: r.env.gcc, qemu: r.env.qemu, accel: r.env.accel, runner: r.env.runner },
    results,
    events,
    stages: r.stages.map((s, seq) => ({ seq, name: s.name, side: s.side, ms: s.ms })),
    builds: buildRows(r),
    changes,
  };
}
