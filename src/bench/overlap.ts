/**
 * `npm run bench:overlap`: time to result of `hmmci run fixtures/series/one-patch.mbox` when the
 * baseline is not cached (`--no-baseline-cache`), on the warm default tree of the cache in use
 * (HMMCI_CACHE or ~/.cache/hmmci: tree prepared, default config built, ccache warm), two ways:
 *
 *  - serial: baseline build, baseline boot, then the patched build and boot (before issue 15);
 *  - overlap: the patched kernel builds while the baseline boots from a snapshot of its files.
 *
 * Back-to-back pairs (HMMCI_BENCH_REPEAT, default 3), the order alternating, after one warm-up
 * run that is not counted; medians and overlap/serial per pair. Writes bench/overlap.json.
 * Not a test: many minutes of CPU.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheLayout, cacheRoot, type CacheLayout } from '../common/cache.js';
import { installSignalHandlers, interruptSignal, runCleanup } from '../common/cleanup.js';
import { createReporter, formatMs } from '../common/progress.js';
import type { RunRecord } from '../report/record.js';
import { runSeries } from '../run/pipeline.js';
import { DEFAULT_FRAGMENTS, realStages } from '../stages/real-stages.js';
import { runScript } from './script.js';

const root = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const SERIES = join(root, 'fixtures', 'series', 'one-patch.mbox');
const REPEAT = Math.max(1, Number.parseInt(process.env.HMMCI_BENCH_REPEAT ?? '3', 10) || 3);

type Mode = 'serial' | 'overlap';
interface Sample {
  mode: Mode;
  ms: number;
  loadavg: number;
  summary: string;
  baseline: Record<string, number>;
  patched: Record<string, number>;
  stages: Array<{ name: string; side: string; ms: number }>;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function once(cache: CacheLayout, mode: Mode, label: string): Promise<Sample> {
  const reporter = createReporter({ throttleMs: 10_000 });
  reporter.info(`\n### bench:overlap ${label}: hmmci run --no-baseline-cache ${SERIES} (${mode})`);
  const started = Date.now();
  const out = await runSeries(
    {
      inputs: [SERIES],
      variants: [{ fragments: [...DEFAULT_FRAGMENTS], extra: [] }],
      runner: 'qemu',
      reruns: 1,
      useBaselineCache: false,
      overlapBaselineBoot: mode === 'overlap',
      cache,
      reporter,
      signal: interruptSignal(),
    },
    realStages(),
  );
  const ms = Date.now() - started;
  const record: RunRecord | undefined = out.records[0];
  if (!record || record.status !== 'complete')
    throw new Error(`the ${label} run did not complete: ${record?.error?.message ?? record?.status}`);
  const counts = (c: Record<string, number | undefined> | undefined) =>
    Object.fromEntries(Object.entries(c ?? {}).filter(([, n]) => n)) as Record<string, number>;
  return {
    mode,
    ms,
    loadavg: Number(loadavg()[0]?.toFixed(2) ?? 0),
    summary: record.comparison?.summary ?? '',
    baseline: counts(record.baseline?.counts),
    patched: counts(record.patched?.counts),
    stages: record.stages.map((s) => ({ name: s.name, side: s.side, ms: s.ms })),
  };
}

type Pair = { serial: Sample; overlap: Sample; ratio: number };

function summarize(pairs: Pair[]) {
  const serialMs = median(pairs.map((p) => p.serial.ms));
  const overlapMs = median(pairs.map((p) => p.overlap.ms));
  return {
    date: new Date().toISOString(),
    machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? '', memGiB: Math.round(totalmem() / 1024 ** 3) },
    series: 'fixtures/series/one-patch.mbox',
    notes:
      'time to result of hmmci run --no-baseline-cache on the warm default tree (slot and ccache warm), serial (baseline build, boot, then patched build, boot) vs overlap (patched build during the baseline boot, from a snapshot of the baseline kernel files); back-to-back pairs, order alternating, one uncounted warm-up; machine shared with other builds (load average per sample).',
    serial: { medianMs: serialMs },
    overlap: { medianMs: overlapMs },
    ratio: Number((overlapMs / serialMs).toFixed(3)),
    sameResults: pairs.every(
      (p) =>
        JSON.stringify([p.serial.summary, p.serial.baseline, p.serial.patched]) ===
        JSON.stringify([p.overlap.summary, p.overlap.baseline, p.overlap.patched]),
    ),
    medianPairRatio: median(pairs.map((p) => p.ratio)),
    pairs,
  };
}

async function main(): Promise<number> {
  installSignalHandlers();
  const cache = cacheLayout(cacheRoot());
  try {
    await once(cache, 'overlap', 'warm-up (not counted)');
    const pairs: Pair[] = [];
    for (let i = 1; i <= REPEAT; i++) {
      const order: Mode[] = i % 2 ? ['serial', 'overlap'] : ['overlap', 'serial'];
      const got: Partial<Record<Mode, Sample>> = {};
      for (const mode of order) got[mode] = await once(cache, mode, `pair ${i}/${REPEAT}`);
      const serial = got.serial as Sample;
      const overlap = got.overlap as Sample;
      pairs.push({ serial, overlap, ratio: Number((overlap.ms / serial.ms).toFixed(3)) });
      // Written after every pair: a bench stopped early still leaves its figures.
      mkdirSync(join(root, 'bench'), { recursive: true });
      writeFileSync(join(root, 'bench', 'overlap.json'), `${JSON.stringify(summarize(pairs), null, 2)}\n`);
    }
    const results = summarize(pairs);
    mkdirSync(join(root, 'bench'), { recursive: true });
    writeFileSync(join(root, 'bench', 'overlap.json'), `${JSON.stringify(results, null, 2)}\n`);
    const {
      serial: { medianMs: serialMs },
      overlap: { medianMs: overlapMs },
    } = results;
    process.stdout.write(
      `${[
        '',
        `serial  (time to result): ${formatMs(serialMs)}  (median; ${pairs.map((p) => formatMs(p.serial.ms)).join(', ')})`,
        `overlap (time to result): ${formatMs(overlapMs)}  (median; ${pairs.map((p) => formatMs(p.overlap.ms)).join(', ')})`,
        `overlap/serial: ${results.ratio.toFixed(2)}  (per pair ${pairs.map((p) => p.ratio.toFixed(2)).join(', ')}; load average ${pairs.map((p) => `${p.serial.loadavg}/${p.overlap.loadavg}`).join(', ')})`,
        `same results both ways: ${results.sameResults} (${pairs.map((p) => `${p.serial.summary} / ${p.overlap.summary}`).join('; ')})`,
        `wrote ${join(root, 'bench', 'overlap.json')}`,
      ].join('\n')}\n`,
    );
    return 0;
  } finally {
    await runCleanup();
  }
}

runScript('bench:overlap', main);
