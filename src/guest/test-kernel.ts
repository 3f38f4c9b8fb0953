import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { availableParallelism, freemem, release } from 'node:os';
import type { CacheLayout } from '../common/cache.js';
import { HmmciError, InterruptedError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { requireTool } from '../common/exec.js';
import { silentReporter, type Reporter } from '../common/progress.js';
import type { ParseResult } from '../results/parser.js';
import { decodeEvents } from '../results/decode.js';
import { archConfig, type Accel, type QemuArchConfig } from './arch/index.js';
import {
  kvmDeviceUsable,
  planAccel,
  readMachineFacts,
  writeMachineFacts,
  type AccelPlan,
  type MachineFacts,
} from './accel.js';
import { buildHmmTests, type HmmTestsBinary } from './hmm-tests-binary.js';
import { buildInitramfs } from './initramfs.js';
import { renderRunScript } from './init-script.js';
import { qemuArgs, kernelCmdline, testHmmParams } from './qemu-command.js';
import { vngArgs } from './vng-command.js';
import { assertVngConfig } from './vng-config.js';
import { DEFAULT_TIMEOUTS, runGuestProcess, type GuestProcessOutcome, type GuestTimeouts } from './guest-process.js';
import { GUEST_PARAM } from './init-script.js';
import { RepeatParser } from './repeat-parser.js';
import { aggregateRuns } from './repeat.js';
import { harnessSelectsCases, mergeShards, planShards, type Shard } from './shards.js';
import { guestShape, type GuestShape } from './guest-shape.js';

export type Runner = 'qemu' | 'vng';

export interface TestKernelRequest {
  /** Kernel source tree (hmm-tests and decode_stacktrace.sh come from it). */
  srcDir: string;
  /** kbuild output directory with bzImage and lib/test_hmm.ko. */
  buildDir: string;
  runner?: Runner;
  arch?: string;
  cache: CacheLayout;
  reporter?: Reporter;
  timeouts?: Partial<GuestTimeouts>;
  signal?: AbortSignal;
  /** Force an accelerator (default: KVM when it works here, else TCG). */
  accel?: Accel;
  /** Reserve device-coherent memory (default true; false skips the 29 device_coherent cases). */
  coherent?: boolean;
  /** Extra kernel parameters (`oops=panic`). */
  extraCmdline?: readonly string[];
  /** Arguments for hmm-tests (`-t anon_read`), default none (all 58 cases). */
  testArgs?: readonly string[];
  /** Where the console log goes (default cache.runs/test-<time>/console.log). */
  logDir?: string;
  /** Stream the raw console here as it arrives. */
  onOutput?: (chunk: string) => void;
  /**
   * Run hmm-tests this many times (`--repeat N`): in one boot while the kernel stays healthy, a
   * new boot for the remaining runs after a run that crashed it (oops taint, panic, a watchdog
   * kill). When set, every test result carries `repeat: {pass, total}`.
   */
  repeat?: number;
  /** Guest CPUs (`--smp N`, default the arch's). */
  smp?: number;
  /** Churn memory and ask for compaction beside hmm-tests (`--memory-pressure`). */
  memoryPressure?: boolean;
  /**
   * Split the cases across this many guests booted side by side (results merged in listing
   * order); 'auto' uses 2 when cores, memory and the tree's harness (`-r`) allow. Default 1.
   */
  shards?: number | 'auto';
}

export interface CoherentSetup {
  enabled: boolean;
  memmap?: string;
  testHmmParams: readonly string[];
  description: string;
  /** /dev/hmm_dmirror* devices the guest saw after insmod (4 when coherent memory is set up). */
  devices?: number;
}

export interface TestKernelResult {
  result: ParseResult;
  consoleLogPath: string;
  accel: Accel;
  runner: Runner;
  ms: number;
  coherent: CoherentSetup;
  cmdline: string;
  /** The static hmm-tests binary the guest ran (compiled from srcDir, cached by its sources). */
  hmmTests: string;
  /** Per-step timings (ms): hmm-tests compile, initramfs, KVM probe, boot-and-test. */
  timings: { hmmTestsMs: number; initramfsMs: number; kvmProbeMs?: number; guestMs: number };
  accelReason: string;
  killed?: GuestProcessOutcome['killed'];
  exitCode?: number;
  /** Console logs of every boot (shards, reboots after a crash during --repeat), first one first. */
  consoleLogs: string[];
  /** Guest shape when not the default: repeat count, runs and boots, shards, CPUs, memory pressure. */
  shape?: GuestShape;
}

/** The guest produced no test results: boot failure, panic before tests, hang at boot. */
export class GuestError extends HmmciError {
  readonly outcome: TestKernelResult;
  constructor(message: string, outcome: TestKernelResult, stderr = '') {
    const details = [
      ...outcome.result.events.slice(0, 3).map((e) => `${e.kind}: ${e.text.split('\n')[0]}`),
      ...stderr
        .trim()
        .split('\n')
        .filter(Boolean)
        .slice(-5)
        .map((l) => `${outcome.runner}: ${l}`),
    ];
    super(message, { exitCode: ExitCode.GUEST, logPath: outcome.consoleLogPath, details });
    this.name = 'GuestError';
    this.outcome = outcome;
  }
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');
}

/**
 * Boot the kernel in buildDir, run hmm-tests (all 58 cases by default), parse the console.
 * Builds a static hmm-tests from srcDir, caches the initramfs by content, picks KVM when it works
 * here (a silent KVM guest is killed and the run repeated under TCG; the verdict is kept in
 * machine.json), and always saves the console log.
 */
export async function testKernel(req: TestKernelRequest): Promise<TestKernelResult> {
  const started = Date.now();
  const setup = await setUp(req);
  const device = kvmDeviceUsable();
  const facts = readMachineFacts(req.cache.machineFile);
  const plan = planAccel({ requested: req.accel, device, verdict: facts.kvm });
  const cmdline = kernelCmdline(setup.cfg, { coherent: setup.coherent, extraCmdline: guestCmdline(req, setup.repeat) });
  // Shards boot side by side: not while KVM is still being probed (one boot decides it first).
  const shardCount =
    plan.probe && plan.accel === 'kvm' ? 1 : decideShards(req, setup.cfg.memoryMiB, setup.bin.cases.length);
  const shards: Shard[] =
    shardCount > 1
      ? planShards(setup.bin.cases, shardCount)
      : [{ index: 0, cases: setup.bin.cases, testArgs: [...(req.testArgs ?? [])] }];
  const booter = new Booter(setup, shards);
  const boots = await runBoots(setup, booter, plan, facts);
  return finishResult({
    ...setup,
    started,
    cmdline,
    shards,
    initramfsMs: booter.initramfsMs,
    ...boots,
  });
}

/** Everything the boots share, settled before the first: config, watchdogs, hmm-tests, log folder. */
interface TestSetup {
  req: TestKernelRequest;
  reporter: Reporter;
  runner: Runner;
  cfg: QemuArchConfig;
  coherent: boolean;
  repeat: number;
  timeouts: GuestTimeouts;
  /** The QEMU or vng executable. */
  binary: string;
  /** lib/test_hmm.ko in the build directory. */
  ko: string;
  bin: HmmTestsBinary;
  /** test_hmm's module parameters. */
  params: readonly string[];
  logDir: string;
  consoleLogPath: string;
}

/** Check the build and the tools, build hmm-tests, make the log folder. */
async function setUp(req: TestKernelRequest): Promise<TestSetup> {
  const reporter = req.reporter ?? silentReporter;
  const runner: Runner = req.runner ?? 'qemu';
  const baseCfg = archConfig(req.arch);
  const cfg = req.smp ? { ...baseCfg, smp: req.smp } : baseCfg;
  const coherent = req.coherent !== false;
  const repeat = req.repeat ?? 1;
  const timeouts: GuestTimeouts = { ...DEFAULT_TIMEOUTS, ...req.timeouts };
  // The whole-run watchdog is per run of hmm-tests: N runs in one boot get N times as long.
  if (!req.timeouts?.runMs) timeouts.runMs = DEFAULT_TIMEOUTS.runMs * repeat;
  const bzImage = join(req.buildDir, cfg.kernelImage);
  const ko = join(req.buildDir, 'lib/test_hmm.ko');
  checkBuildDir(req.buildDir, bzImage, ko);
  if (runner === 'vng') assertVngConfig(req.buildDir);
  const binary =
    runner === 'vng' ? requireTool('vng', 'it is the virtme-ng backend (--runner vng)') : requireTool(cfg.qemuBinary);

  const stBin = reporter.stage('hmm-tests');
  const bin = await buildHmmTests({
    srcDir: req.srcDir,
    dir: join(req.cache.initramfs, 'bin'),
    signal: req.signal,
  }).catch((e) => {
    stBin.fail();
    throw e;
  });
  stBin.done(`${bin.cases.length} cases${bin.cached ? ' (cached)' : ''}`);

  const params = testHmmParams(cfg, coherent);
  const logDir = req.logDir ?? join(req.cache.runs, `test-${stamp()}-${process.pid}`);
  mkdirSync(logDir, { recursive: true });
  const consoleLogPath = join(logDir, 'console.log');
  return { req, reporter, runner, cfg, coherent, repeat, timeouts, binary, ko, bin, params, logDir, consoleLogPath };
}

/**
 * Boots of the shards: each shard's initramfs (qemu) or run script (vng) is made once, up front;
 * a boot runs hmm-tests `runs` times and saves its command line, console log and stderr.
 */
class Booter {
  initramfsMs = 0;
  private readonly initrds: Array<string | undefined>;
  private readonly vngScripts: string[];

  constructor(
    private readonly s: TestSetup,
    readonly shards: Shard[],
  ) {
    this.initrds = shards.map((shard) => this.initrdOf(shard));
    this.vngScripts = s.runner === 'vng' ? shards.map((shard) => this.vngScriptOf(shard)) : [];
  }

  private initrdOf(shard: Shard): string | undefined {
    const { s } = this;
    if (s.runner !== 'qemu') return undefined;
    const st = s.reporter.stage('initramfs', this.shards.length > 1 ? `shard ${shard.index + 1}` : undefined);
    const img = buildInitramfs({
      hmmTests: s.bin.path,
      testHmmKo: s.ko,
      cacheDir: s.req.cache.initramfs,
      hugepages: s.cfg.hugepages,
      testHmmParams: s.params,
      testArgs: shard.testArgs,
    });
    this.initramfsMs += img.ms;
    st.done(`${(img.bytes / 1048576).toFixed(1)} MiB${img.cached ? ' (cached)' : ''}`);
    return img.path;
  }

  /** vng: the guest reads its script from the host's root (see vngArgs), kept beside the log. */
  private vngScriptOf(shard: Shard): string {
    const { s } = this;
    const path = join(s.logDir, `vng-run${this.shards.length > 1 ? `-shard${shard.index + 1}` : ''}.sh`);
    writeFileSync(
      path,
      renderRunScript({
        mode: 'vng',
        hmmTests: s.bin.path,
        testHmmKo: s.ko,
        hugepages: s.cfg.hugepages,
        testHmmParams: s.params,
        testArgs: shard.testArgs,
      }),
    );
    return path;
  }

  private command(shard: Shard, accel: Accel, runs: number): [string, ...string[]] {
    const { s } = this;
    const common = { buildDir: s.req.buildDir, accel, coherent: s.coherent, extraCmdline: guestCmdline(s.req, runs) };
    return s.runner === 'qemu'
      ? [s.binary, ...qemuArgs(s.cfg, { ...common, initrd: this.initrds[shard.index]! })]
      : [s.binary, ...vngArgs(s.cfg, { ...common, scriptPath: this.vngScripts[shard.index]! })];
  }

  /** The console log of boot `n` of a shard: console.log for the first boot of the first shard. */
  logOf(shard: Shard, n: number): string {
    if (shard.index === 0 && n === 0) return this.s.consoleLogPath;
    const sh = this.shards.length > 1 ? `-shard${shard.index + 1}` : '';
    return join(this.s.logDir, `console${sh}${n > 0 ? `-boot${n + 1}` : ''}.log`);
  }

  /** One boot of one shard, running hmm-tests `runs` times. */
  async boot(shard: Shard, accel: Accel, logPath: string, probe: boolean, runs: number): Promise<BootRun> {
    const { s } = this;
    const parser = new RepeatParser(s.bin.cases);
    const command = this.command(shard, accel, runs);
    const tag =
      logPath === s.consoleLogPath ? accel : `${accel}-${basename(logPath, '.log').replace(/^console-?/, '')}`;
    writeFileSync(join(s.logDir, `command-${tag}.json`), `${JSON.stringify(command)}\n`);
    const st = s.reporter.stage(
      `boot + hmm-tests`,
      [`${s.runner}/${accel}`, this.shards.length > 1 ? `shard ${shard.index + 1}/${this.shards.length}` : '']
        .filter(Boolean)
        .join(' '),
    );
    const outcome = await runGuestProcess({
      command,
      logPath,
      parser,
      timeouts: {
        ...s.timeouts,
        silentMs: probe ? s.timeouts.silentMs : 0,
        runMs: (s.timeouts.runMs / s.repeat) * runs,
      },
      onProgress: (t) => st.update(runs > 1 ? `${t} (${runs} runs this boot)` : t),
      onOutput: s.req.onOutput,
      signal: s.req.signal,
      console: s.runner === 'vng' ? 'stdout+stderr' : 'stdout',
    });
    if (outcome.stderr.trim()) writeFileSync(join(s.logDir, `${s.runner}-${tag}.stderr`), outcome.stderr);
    const results = parser.finish();
    const last = results.at(-1)!;
    if (outcome.killed) st.fail(outcome.killed.message);
    else
      st.done(
        `${last.tests.filter((t) => t.status === 'pass').length}/${last.tests.length} pass${results.length > 1 ? ` (run ${results.length})` : ''}`,
      );
    return { outcome, results, logPath };
  }
}

/** What the boots gave: every shard's runs, and the accelerator they ended up on. */
interface BootsOutcome {
  perShard: ShardRuns[];
  accel: Accel;
  accelReason: string;
  kvmProbeMs?: number;
  guestMs: number;
}

/**
 * Boot every shard until its runs are complete. One shard under KVM not yet proven here boots
 * first as the probe: a silent guest is retried under TCG (kvmVerdict), and later boots use TCG.
 */
async function runBoots(s: TestSetup, booter: Booter, plan: AccelPlan, facts: MachineFacts): Promise<BootsOutcome> {
  const { req, consoleLogPath } = s;
  const { shards } = booter;
  let accel = plan.accel;
  let accelReason = plan.reason;
  let kvmProbeMs: number | undefined;
  const guestStart = Date.now();
  const moreBoots = (shard: Shard, first: BootRun | undefined) =>
    completeRuns(
      s.repeat,
      first,
      (runs, n) => booter.boot(shard, accel, booter.logOf(shard, n), false, runs),
      req.signal,
    );
  let perShard: ShardRuns[];
  if (shards.length === 1) {
    const probe = plan.probe && accel === 'kvm';
    const first = await booter.boot(shards[0]!, accel, consoleLogPath, probe, s.repeat);
    const checked =
      accel === 'kvm' && !req.accel
        ? await kvmVerdict(first, {
            runner: s.runner,
            machineFile: req.cache.machineFile,
            facts,
            reporter: s.reporter,
            consoleLogPath,
            logDir: s.logDir,
            retry: () => booter.boot(shards[0]!, 'tcg', consoleLogPath, false, s.repeat),
          })
        : undefined;
    if (checked?.fellBack) ({ accel, accelReason, kvmProbeMs } = checked.fellBack);
    perShard = [await moreBoots(shards[0]!, checked?.run ?? first)];
  } else {
    perShard = await Promise.all(shards.map((sh) => moreBoots(sh, undefined)));
  }
  const guestMs = Date.now() - guestStart - (kvmProbeMs ?? 0);
  return { perShard, accel, accelReason, kvmProbeMs, guestMs };
}

function checkBuildDir(buildDir: string, bzImage: string, ko: string): void {
  for (const [path, what] of [
    [bzImage, 'kernel image'],
    [ko, 'test_hmm module'],
  ] as const) {
    if (!existsSync(path)) {
      throw new HmmciError(
        `The build directory ${buildDir} has no ${what} (${path}). Build it first (\`hmmci build\`), with CONFIG_TEST_HMM=m and the bzImage and modules targets.`,
        { exitCode: ExitCode.BAD_INPUT },
      );
    }
  }
}

/** Extra kernel parameters of a boot: the caller's, then the run-time knobs the guest's init reads. */
function guestCmdline(req: TestKernelRequest, runs: number): string[] {
  return [
    ...(req.extraCmdline ?? []),
    ...(runs > 1 || req.repeat !== undefined ? [`${GUEST_PARAM.repeat}=${runs}`] : []),
    ...(req.memoryPressure ? [`${GUEST_PARAM.memoryPressure}=1`] : []),
  ];
}

type BootRun = { outcome: GuestProcessOutcome; results: ParseResult[]; logPath: string };

/**
 * After a first boot under KVM: a guest that printed no kernel banner (KVM hangs silently on some
 * hosts) is retried under TCG and the verdict remembered in machine.json; a working KVM is
 * remembered too (per host kernel).
 */
async function kvmVerdict(
  run: BootRun,
  o: {
    runner: Runner;
    machineFile: string;
    facts: ReturnType<typeof readMachineFacts>;
    reporter: Reporter;
    consoleLogPath: string;
    logDir: string;
    retry: () => Promise<BootRun>;
  },
): Promise<{ run: BootRun; fellBack?: { accel: Accel; accelReason: string; kvmProbeMs: number } }> {
  const out = run.outcome;
  // vng exiting early is vng's own failure (Python, arguments), not a sign that KVM hangs.
  const silent =
    out.killed?.reason === 'silent' || (o.runner === 'qemu' && out.kernelBannerMs === undefined && !out.killed);
  if (silent) {
    const reason = out.killed
      ? `silent: ${out.killed.message}`
      : `qemu exited ${out.exitCode ?? out.signal} before the kernel banner: ${out.stderr.trim().split('\n').slice(-1)[0] ?? ''}`;
    writeMachineFacts(o.machineFile, {
      kvm: { works: false, reason, hostKernel: release(), checkedAt: new Date().toISOString(), probeMs: out.ms },
    });
    o.reporter.warn(
      `KVM did not boot the guest (${reason}); falling back to TCG and remembering this in ${o.machineFile}`,
    );
    renameSync(o.consoleLogPath, join(o.logDir, 'console-kvm-probe.log'));
    return {
      run: await o.retry(),
      fellBack: { accel: 'tcg', accelReason: `KVM fell back to TCG: ${reason}`, kvmProbeMs: out.ms },
    };
  }
  if (!o.facts.kvm?.works || o.facts.kvm.hostKernel !== release()) {
    writeMachineFacts(o.machineFile, {
      kvm: {
        works: true,
        reason: `kernel banner after ${out.kernelBannerMs} ms`,
        hostKernel: release(),
        checkedAt: new Date().toISOString(),
        probeMs: out.kernelBannerMs,
      },
    });
  }
  return { run };
}
type ShardRuns = { boots: BootRun[]; runs: ParseResult[] };

/**
 * Boot until `repeat` runs of hmm-tests have a verdict: a boot whose kernel became unusable
 * (oops taint, panic, watchdog kill) ends early and the next boot runs the rest. At most `repeat`
 * boots; a boot in which hmm-tests never started ends it (a kernel that stopped booting).
 */
export async function completeRuns(
  repeat: number,
  first: BootRun | undefined,
  bootFn: (runs: number, n: number) => Promise<BootRun>,
  signal?: AbortSignal,
): Promise<ShardRuns> {
  const boots: BootRun[] = [];
  const runs: ParseResult[] = [];
  let next = first ?? (await bootFn(repeat, 0));
  for (;;) {
    boots.push(next);
    const started = next.results.filter((r) => r.session.started);
    runs.push(...started);
    if (
      runs.length >= repeat ||
      boots.length >= repeat ||
      started.length === 0 ||
      signal?.aborted ||
      next.outcome.killed?.reason === 'interrupted'
    )
      break;
    next = await bootFn(repeat - runs.length, boots.length);
  }
  return { boots, runs };
}

/** A number of shards the caller asked for, or for 'auto': 2 when cores and memory allow. */
function decideShards(req: TestKernelRequest, guestMiB: number, cases: number): number {
  const want = req.shards ?? 1;
  if (want === 1 || cases < 2 || (req.testArgs?.length ?? 0) > 0) return 1;
  if (!harnessSelectsCases(req.srcDir)) return 1;
  if (want !== 'auto') return want;
  // TCG runs a vCPU per host thread: two guests need two cores; each guest needs its RAM free.
  const fits = Math.floor(freemem() / ((guestMiB + 512) * 1048576));
  return Math.max(1, Math.min(2, availableParallelism(), fits));
}

interface FinishInput extends TestSetup, BootsOutcome {
  started: number;
  cmdline: string;
  initramfsMs: number;
  shards: Shard[];
}

/** Merge runs and shards into one result, decode events, save result.json, throw when nothing ran. */
async function finishResult(f: FinishInput): Promise<TestKernelResult> {
  const { req, perShard, shards } = f;
  const repeated = f.req.repeat !== undefined;
  const shardResults = perShard.map((p) =>
    repeated && p.runs.length ? aggregateRuns(p.runs) : (p.runs[0] ?? p.boots[0]!.results[0]!),
  );
  const result = shards.length > 1 ? mergeShards(shards, shardResults, f.bin.cases) : shardResults[0]!;
  const boots = perShard.flatMap((p) => p.boots);
  // Best effort: without vmlinux or the tree's decode script the events stay as printed.
  if (result.events.length) {
    await decodeEvents(result.events, {
      vmlinux: join(req.buildDir, 'vmlinux'),
      srcDir: req.srcDir,
      modulesDir: req.buildDir,
      signal: req.signal,
    });
  }
  const killed = boots.find((b) => b.outcome.killed)?.outcome.killed;
  const firstOutcome = perShard[0]!.boots[0]!.outcome;
  const info = result.session.info;
  const shape = guestShape({
    repeat: req.repeat,
    runs: perShard.map((p) => p.runs.length),
    boots: perShard.map((p) => p.boots.length),
    shards,
    smp: req.smp,
    memoryPressure: req.memoryPressure,
  });
  const out: TestKernelResult = {
    result,
    consoleLogPath: f.consoleLogPath,
    accel: f.accel,
    runner: f.runner,
    ms: Date.now() - f.started,
    coherent: {
      enabled: f.coherent,
      ...(f.coherent ? { memmap: f.cfg.coherent.memmap } : {}),
      testHmmParams: f.params,
      description: f.coherent
        ? f.cfg.coherent.description
        : 'no coherent memory reserved: the 29 device_coherent cases skip',
      ...(info.devices !== undefined ? { devices: Number(info.devices) } : {}),
    },
    cmdline: f.cmdline,
    hmmTests: f.bin.path,
    timings: {
      hmmTestsMs: f.bin.ms,
      initramfsMs: f.initramfsMs,
      ...(f.kvmProbeMs !== undefined ? { kvmProbeMs: f.kvmProbeMs } : {}),
      guestMs: f.guestMs,
    },
    accelReason: f.accelReason,
    ...(killed ? { killed } : {}),
    ...(firstOutcome.exitCode !== undefined ? { exitCode: firstOutcome.exitCode } : {}),
    consoleLogs: boots.map((b) => b.logPath),
    ...(shape ? { shape } : {}),
  };
  writeFileSync(join(f.logDir, 'result.json'), `${JSON.stringify(out, null, 2)}\n`);
  if (boots.some((b) => b.outcome.killed?.reason === 'interrupted')) throw new InterruptedError('SIGINT/SIGTERM');
  const never = perShard.map((p) => p.boots[0]!).find((b) => !b.results[0]?.session.started);
  if (never) {
    const r0 = never.results[0]!;
    const why = never.outcome.killed
      ? never.outcome.killed.message
      : (r0.events.find((e) => e.kind === 'panic')?.text.split('\n')[0] ??
        `the guest stopped (exit ${never.outcome.exitCode ?? never.outcome.signal}) before hmm-tests started`);
    throw new GuestError(
      `The guest booted from ${req.buildDir} never ran hmm-tests: ${why}. The console log shows how far it got; a kernel that does not boot (or an init that cannot run) is the patch's or the config's problem, not a test failure.`,
      { ...out, consoleLogPath: never.logPath },
      never.outcome.stderr,
    );
  }
  return out;
}
