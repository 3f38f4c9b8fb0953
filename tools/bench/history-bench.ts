// Figures for issue 14: page size and render time of a run with 58 cases and a 50 MB console log,
// and how long `hmmci history` takes on 10,000 runs. Constructed data (fixture results of the 58
// real hmm-tests cases; the console padded with a repeated console line). Run:
//   npx tsx tools/bench/history-bench.ts [runs=10000]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareResults } from '../../src/compare/index.js';
import { cacheLayout } from '../../src/common/cache.js';
import { openCacheHistory, storeRecords } from '../../src/history/index.js';
import type { RunRecord } from '../../src/report/record.js';
import type { TestRunResult } from '../../src/results/types.js';
import { loadRunPageData, renderRunReport } from '../../src/web/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (n: string) =>
  JSON.parse(readFileSync(join(root, 'fixtures/results', `${n}.json`), 'utf8')) as TestRunResult;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

function recordOf(id: string, dir: string, at: Date, baseline: TestRunResult, patched: TestRunResult[]): RunRecord {
  const timed = (r: TestRunResult) => ({
    ...r,
    tests: r.tests.map((t, i) => ({ ...t, durationMs: t.durationMs ?? 40 + ((i * 37) % 200) })),
  });
  return {
    schema: 1,
    id,
    createdAt: at.toISOString(),
    finishedAt: at.toISOString(),
    status: 'complete',
    exitCode: 0,
    runDir: dir,
    series: {
      input: 'fixtures/series/break-test-at-2.mbox',
      title: `[PATCH] series ${id}`,
      patches: ['[PATCH] one'],
      base: 'a'.repeat(40),
    },
    config: { fragments: ['base-x86_64-qemu.config', 'hmm.config'], extra: [], configHash: 'cfg1' },
    baseline: timed(baseline),
    patched: timed(patched[0] as TestRunResult),
    reruns: patched.slice(1).map(timed),
    comparison: compareResults(baseline, patched),
    stages: [
      { name: 'build', side: 'patched', ms: 81_000 },
      { name: 'test', side: 'patched', ms: 94_000 },
    ],
    env: {
      kernel: '6.12.117',
      gcc: 'gcc (Debian 12.2.0-14) 12.2.0',
      qemu: 'QEMU emulator version 7.2.19',
      accel: 'tcg',
      runner: 'qemu',
      configHash: 'cfg1',
    },
    artifacts: { dir, patchedConsoles: [join(dir, 'patched.console.log')], config: join(dir, 'config') },
  };
}

async function pageFigures(base: string): Promise<Record<string, number>> {
  const dir = join(base, 'page-run');
  mkdirSync(dir, { recursive: true });
  const line = '[  123.456789] hmm-tests: # a console line of the size the guest prints, padding the log\n';
  writeFileSync(join(dir, 'patched.console.log'), line.repeat(Math.ceil((50 * 1024 * 1024) / line.length)));
  writeFileSync(join(dir, 'config'), 'CONFIG_HMM_MIRROR=y\n'.repeat(3000));
  const r = recordOf('page', dir, new Date(), fixture('baseline-58-pass'), [
    fixture('patched-coherent-remote-snapshot-fails'),
    fixture('patched-coherent-remote-snapshot-fails'),
  ]);
  const t0 = process.hrtime.bigint();
  const page = renderRunReport(await loadRunPageData(r));
  const renderMs = ms(t0);
  return {
    consoleBytes: 50 * 1024 * 1024,
    cases: r.baseline?.tests.length ?? 0,
    pageBytes: Buffer.byteLength(page),
    renderMs: Math.round(renderMs),
  };
}

function historyFigures(base: string, runs: number): Record<string, number> {
  const cache = cacheLayout(join(base, 'cache'));
  const db = openCacheHistory(cache);
  const pass = fixture('baseline-58-pass');
  const snap = fixture('patched-coherent-remote-snapshot-fails');
  const t0 = process.hrtime.bigint();
  for (let start = 0; start < runs; start += 500) {
    const batch: RunRecord[] = [];
    for (let n = start; n < Math.min(runs, start + 500); n++) {
      const flaky = n % 13 === 0; // the snapshot test fails now and then at the baseline
      batch.push(
        recordOf(
          `run-${String(n).padStart(6, '0')}`,
          join(base, 'runs', String(n)),
          new Date(Date.UTC(2026, 0, 1) + n * 60_000),
          flaky ? snap : pass,
          [pass],
        ),
      );
    }
    storeRecords(db, batch);
  }
  const writeMs = ms(t0);
  db.close();
  const cli = (args: string[]) => {
    const t = process.hrtime.bigint();
    execFileSync(process.execPath, [join(root, 'bin/hmmci.js'), '--cache-dir', cache.root, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 28,
    });
    return Math.round(ms(t));
  };
  return {
    runs,
    writeMs: Math.round(writeMs),
    historyOneTestMs: cli(['history', 'hmm2.hmm2_device_coherent.snapshot']),
    historyGlob58Ms: cli(['history', 'hmm*']),
    historyFlakyMs: cli(['history', '--flaky']),
    startupMs: cli(['--help']),
  };
}

const base = mkdtempSync(join(tmpdir(), 'hmmci-history-bench-'));
const runs = Number(process.argv[2] ?? 10_000);
const page = await pageFigures(base);
const history = historyFigures(base, runs);
process.stdout.write(
  `${JSON.stringify({ date: new Date().toISOString(), loadavg: loadavg().map((x) => Math.round(x * 10) / 10), page, history }, null, 2)}\n`,
);
