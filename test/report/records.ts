import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compareResults } from '../../src/compare/index.js';
import type { RunRecord } from '../../src/report/index.js';
import type { TestRunResult } from '../../src/results/types.js';

const dir = fileURLToPath(new URL('../../fixtures/results/', import.meta.url));
export const result = (name: string): TestRunResult =>
  JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')) as TestRunResult;

const BASE = 'a3c5f2b0e1d4c6b8a9f7e5d3c1b0a2f4e6d8c0b1';

/** A finished run record over fixture results (what src/run writes after a real run). */
export function record(baseline: string, patched: string[], over: Partial<RunRecord> = {}): RunRecord {
  const b = result(baseline);
  const runs = patched.map(result);
  const dirPath = '/var/cache/hmmci/runs/20261121-102300-break-test-at-2-1a2b';
  const comparison = compareResults(b, runs);
  return {
    schema: 1,
    id: '20261121-102300-break-test-at-2-1a2b',
    createdAt: '2026-11-21T10:23:00.000Z',
    finishedAt: '2026-11-21T10:24:10.000Z',
    status: 'complete',
    exitCode: comparison.regressed ? 1 : 0,
    runDir: dirPath,
    series: {
      input: 'fixtures/series/break-test-at-2.mbox',
      title: '[PATCH mm-unstable 0/4] lib/test_hmm, mm/hmm: documentation and a coherent-page simplification',
      patches: [
        '[PATCH mm-unstable 1/4] lib/test_hmm: document dmirror_mkentry()',
        '[PATCH mm-unstable 2/4] lib/test_hmm: report device coherent pages as local',
        '[PATCH mm-unstable 3/4] mm/hmm: align the -EFAULT entry in the hmm_range_fault() comment',
        '[PATCH mm-unstable 4/4] lib/test_hmm: document dmirror_snapshot()',
      ],
      author: 'Dana Mirror <dana.mirror@example.org>',
      messageId: '<20261120093000.1-dana.mirror@example.org>',
      base: BASE,
      baseReason: 'the tree baseline',
      commits: [1, 2, 3, 4].map((i) => ({ sha: `${i}`.repeat(40), index: i, subject: `patch ${i}` })),
      patchsetHash: 'c'.repeat(64),
    },
    config: { fragments: ['base-x86_64-qemu.config', 'hmm.config'], extra: [], configHash: '5e1f0c2a9b7d' },
    baseline: { ...b, cached: true, fromRun: '20261121-101500-benign-3-9f9f' },
    patched: runs[0] ?? null,
    reruns: runs.slice(1),
    comparison,
    stages: [
      { name: 'tree', side: 'run', ms: 40 },
      { name: 'apply', side: 'patched', ms: 610 },
      { name: 'config', side: 'patched', ms: 1800 },
      { name: 'build', side: 'patched', ms: 8100 },
      { name: 'test', side: 'patched', ms: 9400 },
      { name: 'rerun', side: 'patched', ms: 9300 },
    ],
    env: {
      kernel: '6.12.117',
      gcc: 'gcc (Debian 12.2.0-14) 12.2.0',
      qemu: 'QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)',
      accel: 'tcg',
      runner: 'qemu',
      configHash: '5e1f0c2a9b7d',
    },
    artifacts: {
      dir: dirPath,
      series: `${dirPath}/series.mbox`,
      config: `${dirPath}/config`,
      patchedBuildLog: `${dirPath}/patched.build.log`,
      patchedConsoles: runs.map((_, i) => `${dirPath}/patched${i ? `.rerun${i}` : ''}.console.log`),
      baselineConsole: `${dirPath}/baseline.console.log`,
      patchedResults: `${dirPath}/patched.results.json`,
      baselineResults: `${dirPath}/baseline.results.json`,
    },
    ...over,
  };
}
