/**
 * `npm run bench`: how long `hmmci run` takes to answer, against the floor of what any harness
 * must do. In one process, on the default tree (Debian's linux-source-6.12):
 *
 *  1. cold: a fresh temporary cache directory (ccache is kept as it is: the point is hmmci's own
 *     cold path — tarball unpack, baseline commit, first configure/build/boot — not the compiler
 *     cache), `hmmci run fixtures/series/one-patch.mbox` from the tarball to results;
 *  2. warm: the same run again on that cache (baseline cached, slot warm), with the per-stage
 *     breakdown;
 *  3. floor, on the same slot and artifacts: the raw incremental `make` for that patch (worktree
 *     back at the base, then at the patched commit: the files the patch touches are rewritten, as
 *     in the warm run) and one raw QEMU boot-and-test of the same bzImage and initramfs.
 *
 * Prints harness/floor and writes bench/results.json. Not a test: minutes of CPU.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheLayout, type CacheLayout } from '../common/cache.js';
import { installSignalHandlers, interruptSignal, runCleanup } from '../common/cleanup.js';
import { run as exec, runOk } from '../common/exec.js';
import { createReporter, formatMs } from '../common/progress.js';
import { x86_64 } from '../guest/arch/x86_64.js';
import { qemuArgs } from '../guest/qemu-command.js';
import type { RunRecord } from '../report/record.js';
import { parseConsole } from '../results/parser.js';
import { runSeries } from '../run/pipeline.js';
import { realStages, DEFAULT_FRAGMENTS, runMakeCommand } from '../stages/real-stages.js';
import { acquireSlot } from '../tree/slots.js';
import { resolveTree } from '../tree/resolve.js';
import { runScript } from './script.js';

const root = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const SERIES = join(root, 'fixtures', 'series', 'one-patch.mbox');
const TARGET = 1.2;
const REPEAT = Math.max(1, Number.parseInt(process.env.HMMCI_BENCH_REPEAT ?? '3', 10) || 3);

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

interface Timed {
  ms: number;
  record: RunRecord;
}

/** `HMMCI_BENCH_SHARDS=N`: each pair also measures a warm run with `--shards N` (0: not measured). */
const SHARDS = Math.max(0, Number.parseInt(process.env.HMMCI_BENCH_SHARDS ?? '2', 10) || 0);

async function harness(cache: CacheLayout, label: string, guest?: { shards: number }): Promise<Timed> {
  const reporter = createReporter({ throttleMs: 10_000 });
  reporter.info(`\n### bench: ${label} run of hmmci run ${SERIES}`);
  const started = Date.now();
  const out = await runSeries(
    {
      inputs: [SERIES],
      variants: [{ fragments: [...DEFAULT_FRAGMENTS], extra: [] }],
      runner: 'qemu',
      reruns: 1,
      cache,
      reporter,
      signal: interruptSignal(),
      ...(guest ? { guest } : {}),
    },
    realStages(),
  );
  const ms = Date.now() - started;
  const record = out.records[0];
  if (!record || record.status !== 'complete')
    throw new Error(`the ${label} run did not complete: ${record?.error?.message ?? record?.status}`);
  return { ms, record };
}

function newestInitramfs(cache: CacheLayout): string {
  let best: { path: string; mtime: number } | undefined;
  for (const d of readdirSync(cache.initramfs)) {
    const p = join(cache.initramfs, d, 'initramfs.cpio');
    try {
      const m = statSync(p).mtimeMs;
      if (!best || m > best.mtime) best = { path: p, mtime: m };
    } catch {
      /* not an image dir */
    }
  }
  if (!best) throw new Error(`no initramfs under ${cache.initramfs}`);
  return best.path;
}

async function floor(cache: CacheLayout, warm: RunRecord): Promise<{ makeMs: number; bootMs: number; tests: number }> {
  const reporter = createReporter();
  const tree = await resolveTree({ cache, reporter });
  const patched = warm.series.commits?.at(-1)?.sha;
  if (!patched) throw new Error('the warm run recorded no applied commit');
  const slot = await acquireSlot({
    tree,
    rev: warm.series.base,
    configKey: realStages().configKey({ fragments: [...DEFAULT_FRAGMENTS], extra: [] }),
    cache,
    reporter,
  });
  try {
    // The worktree is at the base now (the patch's files rewritten); go to the patched commit.
    await runOk('git', ['-C', slot.worktree, 'checkout', '--detach', '-f', patched]);
    reporter.info('### bench: floor — raw incremental make for the patch');
    const t0 = Date.now();
    const cmd = runMakeCommand(slot.worktree, slot.buildDir, availableParallelism());
    reporter.info(`    ${cmd.file} ${cmd.args.join(' ')}`);
    const make = await exec(cmd.file, cmd.args, { env: { ...process.env, ...cmd.env }, signal: interruptSignal() });
    const makeMs = Date.now() - t0;
    if (make.exitCode !== 0) throw new Error(`raw make failed (${make.exitCode}): ${make.stderr.slice(-2000)}`);
    reporter.info(`    raw make ${formatMs(makeMs)}`);
    reporter.info('### bench: floor — one raw QEMU boot-and-test of the same artifacts');
    const accel = warm.env.accel === 'kvm' ? 'kvm' : 'tcg';
    const args = qemuArgs(x86_64, { buildDir: slot.buildDir, initrd: newestInitramfs(cache), accel });
    const t1 = Date.now();
    const boot = await exec(x86_64.qemuBinary, args, { timeoutMs: 10 * 60_000, signal: interruptSignal() });
    const bootMs = Date.now() - t1;
    const parsed = parseConsole(boot.stdout);
    reporter.info(`    raw boot-and-test ${formatMs(bootMs)}: ${parsed.tests.length} tests`);
    if (parsed.tests.length === 0)
      throw new Error(
        `the raw boot produced no test results (exit ${boot.exitCode}); tail: ${boot.stdout.slice(-1500)}`,
      );
    return { makeMs, bootMs, tests: parsed.tests.length };
  } finally {
    await runOk('git', ['-C', slot.worktree, 'checkout', '--detach', '-f', warm.series.base]).catch(() => undefined);
    await slot.release();
  }
}

type Previous = Record<string, unknown> & { cold?: unknown };

/** bench/results.json as it is before this run ({} when there is none). */
function readPrevious(): Previous {
  try {
    return JSON.parse(readFileSync(join(root, 'bench', 'results.json'), 'utf8')) as Previous;
  } catch {
    return {};
  }
}

/** One back-to-back pair: a warm run (and a sharded one) and the floor, with the load average. */
interface Sample {
  warmMs: number;
  makeMs: number;
  bootMs: number;
  floorMs: number;
  ratio: number;
  loadavg: number;
  shardedMs?: number;
  shardedRatio?: number;
}

interface Pairs {
  samples: Sample[];
  /** The last warm run and floor. */
  warm: Timed;
  f: Awaited<ReturnType<typeof floor>>;
}

/**
 * Warm run and floor alternate REPEAT times (default 3): on a shared machine a single pair is at
 * the mercy of whatever else runs; medians of back-to-back pairs are what is compared.
 */
async function measurePairs(cache: CacheLayout): Promise<Pairs> {
  const samples: Sample[] = [];
  let warm: Timed | undefined;
  let f: Awaited<ReturnType<typeof floor>> | undefined;
  for (let i = 1; i <= REPEAT; i++) {
    warm = await harness(cache, `warm ${i}/${REPEAT}`);
    // The sharded warm run follows the serial one: same cache, baseline cached; like every warm
    // run it resets the slot to the base and applies the patch again, so it builds the same.
    const sharded =
      SHARDS > 1 ? await harness(cache, `warm ${i}/${REPEAT} with --shards ${SHARDS}`, { shards: SHARDS }) : undefined;
    f = await floor(cache, warm.record);
    const floorMs = f.makeMs + f.bootMs;
    samples.push({
      warmMs: warm.ms,
      makeMs: f.makeMs,
      bootMs: f.bootMs,
      floorMs,
      ratio: Number((warm.ms / floorMs).toFixed(3)),
      loadavg: Number(loadavg()[0]?.toFixed(2) ?? 0),
      ...(sharded ? { shardedMs: sharded.ms, shardedRatio: Number((sharded.ms / floorMs).toFixed(3)) } : {}),
    });
  }
  if (!warm || !f) throw new Error('no warm sample');
  return { samples, warm, f };
}

/** The medians the verdict is made of. */
interface Figures {
  cold: Timed;
  /** HMMCI_BENCH_CACHE was given: the cold run was a warm-up, its figures are not written. */
  given: boolean;
  previous: Previous;
  pairs: Pairs;
  warmMs: number;
  floorMs: number;
  ratio: number;
}

const stageTimes = (r: RunRecord) => r.stages.map((s) => ({ name: s.name, side: s.side, ms: s.ms }));
const shardedMedian = (samples: readonly Sample[]) => median(samples.map((x) => x.shardedMs ?? 0));

/** The object bench/results.json holds (the cold-build figures are added by writeResults). */
function benchResults(x: Figures) {
  const { cold, given, previous, warmMs, floorMs, ratio } = x;
  const { samples, warm, f } = x.pairs;
  return {
    date: new Date().toISOString(),
    machine: {
      cores: availableParallelism(),
      cpu: cpus()[0]?.model ?? '',
      memGiB: Math.round(totalmem() / 1024 ** 3),
    },
    kernel: warm.record.env.kernel,
    gcc: warm.record.env.gcc,
    qemu: warm.record.env.qemu,
    accel: warm.record.env.accel,
    series: 'fixtures/series/one-patch.mbox',
    notes:
      'warm and floor: medians of back-to-back pairs (HMMCI_BENCH_REPEAT, default 3) on a machine shared with other builds, load average per pair in samples. cold: fresh temporary cache directory (tarball unpack, baseline commit, configure, build, boot for baseline and patched); ccache kept as it is. warm: same run again on that cache (baseline cached, slot reused). floor: raw incremental make for the patch in the same slot + one raw QEMU boot-and-test of the same bzImage/initramfs.',
    cold: given ? (previous.cold ?? null) : { ms: cold.ms, stages: stageTimes(cold.record) },
    warm: {
      ms: warmMs,
      stages: stageTimes(warm.record),
      stagesTotalMs: warm.record.stages.reduce((a, s) => a + s.ms, 0),
    },
    floor: {
      makeMs: median(samples.map((x) => x.makeMs)),
      bootMs: median(samples.map((x) => x.bootMs)),
      ms: floorMs,
      tests: f.tests,
    },
    samples,
    // Figures measured by other scripts (hang verdict, shard check) are kept as they are.
    ...Object.fromEntries(
      Object.entries(previous).filter(([k]) => k === 'hangVerdict' || k === 'shardCheck' || k === 'repeat'),
    ),
    ratio: Number(ratio.toFixed(3)),
    ...(SHARDS > 1
      ? {
          sharding: {
            shards: SHARDS,
            warmMs: shardedMedian(samples),
            ratio: Number((shardedMedian(samples) / floorMs).toFixed(3)),
            note: 'warm run with --shards N right after each serial warm run of the pair (same cache, baseline cached); ratio against the same floor',
          },
        }
      : {}),
    target: TARGET,
    meetsTarget: ratio <= TARGET,
  };
}

/**
 * Writes bench/results.json: this benchmark's keys replaced, every other section kept (the cold
 * build of `npm run bench:cold`, the fleet's of `npm run bench:fleet`, hand-measured figures).
 */
function writeResults(results: ReturnType<typeof benchResults>): void {
  mkdirSync(join(root, 'bench'), { recursive: true });
  const file = join(root, 'bench', 'results.json');
  const before = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(file, `${JSON.stringify({ ...before, ...results }, null, 2)}\n`);
}

/** The summary printed at the end: cold, warm (with stages), floor and the ratios. */
function summaryLines(x: Figures): string[] {
  const { cold, warmMs, floorMs, ratio } = x;
  const { samples, warm } = x.pairs;
  return [
    '',
    `cold  (tarball → results): ${formatMs(cold.ms)}`,
    `warm  (time to result):    ${formatMs(warmMs)}  (median of ${samples.length}: ${samples.map((x) => formatMs(x.warmMs)).join(', ')}; stages of the last:)`,
    ...warm.record.stages.map(
      (s) => `    ${`${s.name}${s.side === 'run' ? '' : ` [${s.side}]`}`.padEnd(20)} ${formatMs(s.ms)}`,
    ),
    `floor (raw make + boot):   ${formatMs(floorMs)}  (median; samples ${samples.map((x) => `${formatMs(x.makeMs)} + ${formatMs(x.bootMs)}`).join(', ')})`,
    ...(SHARDS > 1
      ? [
          `harness/floor (--shards ${SHARDS}): ${(shardedMedian(samples) / floorMs).toFixed(2)}  (per pair ${samples.map((x) => x.shardedRatio?.toFixed(2)).join(', ')})`,
        ]
      : []),
    `harness/floor (warm):      ${ratio.toFixed(2)}  (target ≤ ${TARGET}; per pair ${samples.map((x) => x.ratio.toFixed(2)).join(', ')}; load average ${samples.map((x) => x.loadavg).join(', ')})`,
    `wrote ${join(root, 'bench', 'results.json')}`,
  ];
}

async function main(): Promise<number> {
  installSignalHandlers();
  const keep = process.env.HMMCI_BENCH_KEEP === '1';
  // HMMCI_BENCH_CACHE=DIR: warm pairs only, on an existing cache (its baseline computed first if
  // needed); the cold figures of bench/results.json are kept as they are.
  const given = process.env.HMMCI_BENCH_CACHE;
  const dir = given ? resolve(given) : mkdtempSync(join(process.env.HMMCI_BENCH_TMP ?? tmpdir(), 'hmmci-bench-'));
  const cache = cacheLayout(dir);
  try {
    const previous = readPrevious();
    const cold = given
      ? await harness(cache, 'warm-up (existing cache; not a cold figure)')
      : await harness(cache, 'cold (fresh cache dir, ccache kept)');
    const pairs = await measurePairs(cache);
    const warmMs = median(pairs.samples.map((x) => x.warmMs));
    const floorMs = median(pairs.samples.map((x) => x.floorMs));
    const figures: Figures = { cold, given: Boolean(given), previous, pairs, warmMs, floorMs, ratio: warmMs / floorMs };
    writeResults(benchResults(figures));
    process.stdout.write(`${summaryLines(figures).join('\n')}\n`);
    return 0;
  } finally {
    await runCleanup();
    if (!keep && !given) rmSync(dir, { recursive: true, force: true });
  }
}

runScript('bench', main);
