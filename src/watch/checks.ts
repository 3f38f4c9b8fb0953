/**
 * Patchwork-style check records, one per patch of a tested series, in the shape of patchwork's
 * checks API (`context`, `state` success / warning / fail, `description`, `target_url`), appended
 * as JSON Lines for an operator to post with pwclient or git-pw. Keyed by Message-ID, since the
 * watcher does not know patchwork's ids; a record is never appended twice for one run.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { RunRecord } from '../report/record.js';
import { ExitCode } from '../common/exit-codes.js';
import type { SeriesEntry } from './types.js';

export interface CheckRecord {
  msgid: string;
  series: string;
  patch: string;
  run: string;
  context: 'hmmci';
  state: 'success' | 'warning' | 'fail';
  description: string;
  target_url: string;
}

export function checkState(r: RunRecord): { state: CheckRecord['state']; description: string } {
  const c = r.comparison;
  if (r.status === 'complete' && c) {
    if (c.regressed)
      return {
        state: 'fail',
        description: `${c.regressions.length} regression(s) vs the base${c.regressions[0] ? `, first ${c.regressions[0].name}` : ''}`,
      };
    const passed = r.patched?.counts.pass ?? 0;
    if (c.flaky.length)
      return { state: 'warning', description: `no regressions; ${c.flaky.length} flaky test(s) (${passed} passed)` };
    return { state: 'success', description: `no regressions: ${passed} hmm-tests passed (${c.summary})`.slice(0, 200) };
  }
  const why = r.error?.message.split('. ')[0] ?? r.status;
  const theirs =
    r.exitCode === ExitCode.APPLY_FAILED ||
    r.exitCode === ExitCode.BUILD_FAILED ||
    r.exitCode === ExitCode.TESTS_FAILED;
  return { state: theirs ? 'fail' : 'warning', description: why.replace(/\s+/g, ' ').slice(0, 200) };
}

export function checkRecords(s: SeriesEntry, r: RunRecord, urlBase: string | undefined): CheckRecord[] {
  const { state, description } = checkState(r);
  const target = urlBase ? `${urlBase.replace(/\/+$/, '')}/runs/${r.id}` : `file://${r.runDir}`;
  return Array.from({ length: s.total }, (_, i) => s.parts[String(i + 1)])
    .filter((p) => p !== undefined)
    .map((p, i) => ({
      msgid: p.messageId,
      series: s.key,
      patch: `${i + 1}/${s.total}`,
      run: r.id,
      context: 'hmmci',
      state,
      description,
      target_url: target,
    }));
}

/** Append the records unless this run's records are already in the file (a restart after a crash). */
export function appendChecks(file: string, records: readonly CheckRecord[]): number {
  if (!records.length) return 0;
  const run = records[0]?.run as string;
  if (
    existsSync(file) &&
    readFileSync(file, 'utf8')
      .split('\n')
      .some((l) => l.includes(`"run":${JSON.stringify(run)}`))
  )
    return 0;
  appendFileSync(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return records.length;
}
