/**
 * `npm run bench`: how long `hmmci run` takes to answer, against the floor of what any harness
 * must do. In one process, on the default tree (Debian's linux-source-6.12):
 *
 *  1. cold: a fresh temporary cache directory (ccache is kept as it is: the point is hmmci's own
 *     cold path — tarball unpack, baseline commit, first configure/build/boot — not the compiler
 *     cache), `hmmci run fixtures/series/one-patch.mbox` from the tarball to results;
 *  2. warm: the same run again on that cache (baseline cached, slot warm), with the per-stage
 *     breakdown: with hmmci's defaults, serially (`--shards 1`) and sharded (the default run when
 *     it sharded, else `--shards HMMCI_BENCH_SHARDS`, default 2);
 *  3. floor, on the same slot and artifacts: the raw incremental `make` for that patch (worktree
 *     back at the base, then at the patched commit: the files the patch touches are rewritten, as
 *     in the warm run) and one raw QEMU boot-and-test of the same bzImage and initramfs (the
 *     serial warm run's: all cases in one guest).
 *
 * Prints harness/floor and writes bench/results.json. Not a test: minutes of CPU.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
const TARGET = 1.0;
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

async function harness(cache: CacheLayout, label: string, guest?: { shards: number | 'auto' }): Promise<Timed> {
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

/**
 * The initramfs the warm run's first patched boot used (its saved QEMU command): the floor boots
 * exactly that image. (The newest image of the cache is not it: a sharded run writes one image
 * per shard, each running only its share of the cases.)
 */
function warmInitramfs(warm: RunRecord): string {
  const dir = join(warm.runDir, 'guest', 'patched');
  const file = join(dir, `command-${warm.env.accel === 'kvm' ? 'kvm' : 'tcg'}.json`);
  const command = JSON.parse(readFileSync(file, 'utf8')) as string[];
  const initrd = command[command.indexOf('-initrd') + 1];
  if (!command.includes('-initrd') || !initrd) throw new Error(`${file} has no -initrd`);
  if (readdirSync(dir).some((f) => /^command-.*shard/.test(f)))
    throw new Error(`the warm run ${warm.runDir} was sharded: its first image runs only part of the cases`);
  return initrd;
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
    const args = qemuArgs(x86_64, { buildDir: slot.buildDir, initrd: warmInitramfs(warm), accel });
    const t1 = Date.now();
    const boot = await exec(x86_64.qemuBinary, args, { timeoutMs: 10 * 60_000, signal: interruptSignal() });
    const bootMs = Date.now() - t1;
    const parsed = parseConsole(boot.stdout);
    const ran = parsed.tests.filter((t) => t.status !== 'notrun').length;
    reporter.info(`    raw boot-and-test ${formatMs(bootMs)}: ${ran} tests ran`);
    const want = warm.patched?.tests.filter((t) => t.status !== 'notrun').length;
    if (ran === 0 || ran !== want)
      throw new Error(
        `the raw boot ran ${ran} tests, the warm run ${want} (exit ${boot.exitCode}); tail: ${boot.stdout.slice(-1500)}`,
      );
    return { makeMs, bootMs, tests: ran };
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

/**
 * One round: a warm run with hmmci's defaults, a serial one (`--shards 1`) and a sharded one (the
 * default run when it sharded), each followed at once by its own floor, with the load average.
 */
interface Sample {
  /** The default run (what `hmmci run` does here) and the floor right after it. */
  warmMs: number;
  makeMs: number;
  bootMs: number;
  floorMs: number;
  ratio: number;
  serialMs: number;
  serialFloorMs: number;
  serialRatio: number;
  shardedMs?: number;
  shardedRatio?: number;
  /** Guests the sharded run booted. */
  shards?: number;
  /** Where the serial and default runs' time went: the patched build, its test, everything else. */
  parts: { serial: Parts; warm: Parts };
  loadavg: number;
}

interface Parts {
  buildMs: number;
  testMs: number;
  otherMs: number;
}

function partsOf(t: Timed): Parts {
  const stage = (name: string) =>
    t.record.stages.filter((s) => s.name === name && s.side === 'patched').reduce((a, s) => a + s.ms, 0);
  const buildMs = stage('build');
  const testMs = stage('test');
  return { buildMs, testMs, otherMs: t.ms - buildMs - testMs };
}

interface Pairs {
  samples: Sample[];
  /** The last default warm run and floor. */
  warm: Timed;
  f: Awaited<ReturnType<typeof floor>>;
}

/** Guests the first patched boot of a run used (one saved QEMU command per shard). */
function shardsOf(r: RunRecord): number {
  const dir = join(r.runDir, 'guest', 'patched');
  return existsSync(dir)
    ? Math.max(1, readdirSync(dir).filter((f) => /^command-\w+(-shard\d+)?\.json$/.test(f)).length)
    : 1;
}

const ratioOf = (ms: number, floorMs: number) => Number((ms / floorMs).toFixed(3));

type Floor = Awaited<ReturnType<typeof floor>>;
const floorMsOf = (f: Floor) => f.makeMs + f.bootMs;

/** A warm run and, right after it, the floor on the same slot and artifacts. */
async function runAndFloor(cache: CacheLayout, label: string, guest?: { shards: number }) {
  const run = await harness(cache, label, guest);
  // The floor boots the initramfs of a serial run (all cases in one guest).
  const f = await floor(cache, serialRecord(run));
  return { run, f, ratio: ratioOf(run.ms, floorMsOf(f)) };
}

/** The record of a serial run of the same series: this one, or (it sharded) the last serial one. */
let lastSerial: RunRecord | undefined;
function serialRecord(run: Timed): RunRecord {
  if (shardsOf(run.record) === 1) return run.record;
  if (!lastSerial) throw new Error('no serial warm run yet to take the floor initramfs from');
  return lastSerial;
}

/** One round: serial + floor, default + floor, and `--shards N` + floor when the default did not shard. */
async function measurePair(cache: CacheLayout, i: number): Promise<{ sample: Sample; warm: Timed; f: Floor }> {
  const serial = await runAndFloor(cache, `warm ${i}/${REPEAT} serial (--shards 1)`, { shards: 1 });
  lastSerial = serial.run.record;
  const warm = await runAndFloor(cache, `warm ${i}/${REPEAT} with the defaults`);
  const sharded =
    shardsOf(warm.run.record) > 1
      ? warm
      : SHARDS > 1
        ? await runAndFloor(cache, `warm ${i}/${REPEAT} with --shards ${SHARDS}`, { shards: SHARDS })
        : undefined;
  const sample: Sample = {
    warmMs: warm.run.ms,
    makeMs: warm.f.makeMs,
    bootMs: warm.f.bootMs,
    floorMs: floorMsOf(warm.f),
    ratio: warm.ratio,
    serialMs: serial.run.ms,
    serialFloorMs: floorMsOf(serial.f),
    serialRatio: serial.ratio,
    ...(sharded
      ? { shardedMs: sharded.run.ms, shardedRatio: sharded.ratio, shards: shardsOf(sharded.run.record) }
      : {}),
    parts: { serial: partsOf(serial.run), warm: partsOf(warm.run) },
    loadavg: Number(loadavg()[0]?.toFixed(2) ?? 0),
  };
  return { sample, warm: warm.run, f: warm.f };
}

/**
 * The pairs, REPEAT times (default 3): on a shared machine a single pair is at the mercy of
 * whatever else runs; medians of back-to-back pairs are what is compared. Every warm run resets
 * the slot to the base and applies the patch again, so each builds the same.
 */
async function measurePairs(cache: CacheLayout): Promise<Pairs> {
  const samples: Sample[] = [];
  let last: Awaited<ReturnType<typeof measurePair>> | undefined;
  for (let i = 1; i <= REPEAT; i++) {
    last = await measurePair(cache, i);
    samples.push(last.sample);
  }
  if (!last) throw new Error('no warm sample');
  return { samples, warm: last.warm, f: last.f };
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
const shardedSamples = (samples: readonly Sample[]) => samples.filter((x) => x.shardedMs !== undefined);
const shardedMedian = (samples: readonly Sample[]) => median(shardedSamples(samples).map((x) => x.shardedMs ?? 0));
const serialMedian = (samples: readonly Sample[]) => median(samples.map((x) => x.serialMs));
/** Each run is compared with the floor measured right after it; the verdict is the median of those ratios. */
const serialRatio = (samples: readonly Sample[]) => median(samples.map((x) => x.serialRatio));
const shardedRatio = (samples: readonly Sample[]) => median(shardedSamples(samples).map((x) => x.shardedRatio ?? 0));
const medianParts = (samples: readonly Sample[], k: 'serial' | 'warm'): Parts => ({
  buildMs: median(samples.map((x) => x.parts[k].buildMs)),
  testMs: median(samples.map((x) => x.parts[k].testMs)),
  otherMs: median(samples.map((x) => x.parts[k].otherMs)),
});
const partsLine = (p: Parts) => `build ${formatMs(p.buildMs)}, test ${formatMs(p.testMs)}, rest ${formatMs(p.otherMs)}`;

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
      'warm and floor: each warm run is followed at once by its floor; ratios are medians of those per-pair ratios over HMMCI_BENCH_REPEAT rounds (default 3) on a machine shared with other builds, load average per pair in samples. cold: fresh temporary cache directory (tarball unpack, baseline commit, configure, build, boot for baseline and patched); ccache kept as it is. warm: same run again on that cache (baseline cached, slot reused). floor: raw incremental make for the patch in the same slot + one raw QEMU boot-and-test of the same bzImage/initramfs.',
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
    parts: {
      serial: medianParts(samples, 'serial'),
      warm: medianParts(samples, 'warm'),
      note: 'medians per pair of the patched build stage, the patched test stage, and the rest of the run (slot, apply, config, toolchain, records, history)',
    },
    serial: {
      warmMs: serialMedian(samples),
      ratio: Number(serialRatio(samples).toFixed(3)),
      note: 'warm run with --shards 1 (one guest); ratio: median of each run against the floor measured right after it',
    },
    ...(shardedSamples(samples).length
      ? {
          sharding: {
            shards: shardedSamples(samples)[0]?.shards,
            warmMs: shardedMedian(samples),
            ratio: Number(shardedRatio(samples).toFixed(3)),
            note: 'warm run in several guests (the default run when it sharded, else --shards HMMCI_BENCH_SHARDS), same cache, baseline cached; ratio: median of each run against the floor measured right after it',
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
    `medians: serial run ${partsLine(medianParts(samples, 'serial'))}; default run ${partsLine(medianParts(samples, 'warm'))}`,
    `harness/floor (--shards 1): ${serialRatio(samples).toFixed(2)}  (per pair ${samples.map((x) => x.serialRatio.toFixed(2)).join(', ')})`,
    ...(shardedSamples(samples).length
      ? [
          `harness/floor (${shardedSamples(samples)[0]?.shards} guests): ${shardedRatio(samples).toFixed(2)}  (per pair ${samples.map((x) => x.shardedRatio?.toFixed(2)).join(', ')})`,
        ]
      : []),
    `harness/floor (defaults): ${ratio.toFixed(2)}  (target ≤ ${TARGET}; per pair ${samples.map((x) => x.ratio.toFixed(2)).join(', ')}; load average ${samples.map((x) => x.loadavg).join(', ')})`,
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
    const ratio = median(pairs.samples.map((x) => x.ratio));
    const figures: Figures = { cold, given: Boolean(given), previous, pairs, warmMs, floorMs, ratio };
    writeResults(benchResults(figures));
    process.stdout.write(`${summaryLines(figures).join('\n')}\n`);
    return 0;
  } finally {
    await runCleanup();
    if (!keep && !given) rmSync(dir, { recursive: true, force: true });
  }
}

runScript('bench', main);
