import type { TestChange } from '../compare/types.js';
import type { TestRunResult } from '../results/types.js';
import type { RunRecord } from './record.js';

const side = (s: TestRunResult | null) => ({ tests: s?.tests ?? [], counts: s?.counts ?? {}, events: s?.events ?? [] });
const pairs = (list: readonly TestChange[] | undefined) =>
  (list ?? []).map((t) => ({
    name: t.name,
    baseline: t.baseline,
    patched: t.patched,
    runs: t.runs,
    ...(t.reason ? { reason: t.reason } : {}),
    ...(t.rate ? { rate: t.rate } : {}),
  }));

/**
 * `--json`: the contract keys first, exactly as the issue names them — {series, baseline: {tests,
 * counts, events}, patched: {…}, regressions: [{name, baseline, patched}], fixed, flaky, stages:
 * [{name, side, ms}], env: {kernel, gcc, qemu, accel, runner, configHash}} — then the rest of
 * the comparison and where the artifacts are.
 */
export function toJsonReport(r: RunRecord) {
  const c = r.comparison;
  return {
    series: r.series,
    baseline: side(r.baseline),
    patched: side(r.patched),
    regressions: pairs(c?.regressions),
    fixed: pairs(c?.fixed),
    flaky: pairs(c?.flaky),
    stages: r.stages.map(({ name, side: s, ms }) => ({ name, side: s, ms })),
    env: {
      kernel: r.env.kernel,
      gcc: r.env.gcc,
      qemu: r.env.qemu,
      accel: r.env.accel,
      runner: r.env.runner,
      configHash: r.env.configHash,
    },
    id: r.id,
    status: r.status,
    exitCode: r.exitCode ?? null,
    regressed: c?.regressed ?? null,
    summary: c?.summary ?? null,
    stillFailing: pairs(c?.stillFailing),
    newSkips: pairs(c?.newSkips),
    added: pairs(c?.added),
    removed: pairs(c?.removed),
    notRun: pairs(c?.notRun),
    otherChanges: pairs(c?.otherChanges),
    newEvents: c?.newEvents ?? [],
    goneEvents: c?.goneEvents ?? [],
    patchedRuns: c?.patchedRuns ?? (r.patched ? 1 + r.reruns.length : 0),
    baselineCached: r.baseline?.cached ?? false,
    config: r.config,
    artifacts: r.artifacts,
    ...(r.knownFlaky?.length ? { knownFlaky: r.knownFlaky } : {}),
    ...(r.error ? { error: r.error } : {}),
  };
}

export type JsonReport = ReturnType<typeof toJsonReport>;

export function renderJson(records: readonly RunRecord[]): string {
  const body = records.length === 1 ? toJsonReport(records[0] as RunRecord) : records.map(toJsonReport);
  return `${JSON.stringify(body, null, 2)}\n`;
}
