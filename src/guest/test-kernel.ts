import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { release } from 'node:os';
import type { CacheLayout } from '../common/cache.js';
import { HmmciError, InterruptedError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { requireTool } from '../common/exec.js';
import { silentReporter, type Reporter } from '../common/progress.js';
import { ConsoleParser, type ParseResult } from '../results/parser.js';
import { decodeEvents } from '../results/decode.js';
import { archConfig, type Accel } from './arch/index.js';
import { kvmDeviceUsable, planAccel, readMachineFacts, writeMachineFacts } from './accel.js';
import { buildHmmTests } from './hmm-tests-binary.js';
import { buildInitramfs } from './initramfs.js';
import { renderRunScript } from './init-script.js';
import { qemuArgs, kernelCmdline, testHmmParams } from './qemu-command.js';
import { vngArgs } from './vng-command.js';
import { assertVngConfig } from './vng-config.js';
import { DEFAULT_TIMEOUTS, runGuestProcess, type GuestProcessOutcome, type GuestTimeouts } from './guest-process.js';

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
  /** Per-step timings (ms): hmm-tests compile, initramfs, KVM probe, boot-and-test. */
  timings: { hmmTestsMs: number; initramfsMs: number; kvmProbeMs?: number; guestMs: number };
  accelReason: string;
  killed?: GuestProcessOutcome['killed'];
  exitCode?: number;
}

/** The guest produced no test results: boot failure, panic before tests, hang at boot. */
export class GuestError extends HmmciError {
  readonly outcome: TestKernelResult;
  constructor(message: string, outcome: TestKernelResult, stderr = '') {
    const details = [...outcome.result.events.slice(0, 3).map((e) => `${e.kind}: ${e.text.split('\n')[0]}`), ...stderr.trim().split('\n').filter(Boolean).slice(-5).map((l) => `${outcome.runner}: ${l}`)];
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
  const reporter = req.reporter ?? silentReporter;
  const runner: Runner = req.runner ?? 'qemu';
  const cfg = archConfig(req.arch);
  const coherent = req.coherent !== false;
  const timeouts: GuestTimeouts = { ...DEFAULT_TIMEOUTS, ...req.timeouts };
  const bzImage = join(req.buildDir, cfg.kernelImage);
  const ko = join(req.buildDir, 'lib/test_hmm.ko');
  for (const [path, what] of [[bzImage, 'kernel image'], [ko, 'test_hmm module']] as const) {
    if (!existsSync(path)) {
      throw new HmmciError(`The build directory ${req.buildDir} has no ${what} (${path}). Build it first (\`hmmci build\`), with CONFIG_TEST_HMM=m and the bzImage and modules targets.`, { exitCode: ExitCode.BAD_INPUT });
    }
  }
  if (runner === 'vng') assertVngConfig(req.buildDir);
  const binary = runner === 'vng' ? requireTool('vng', 'it is the virtme-ng backend (--runner vng)') : requireTool(cfg.qemuBinary);

  const stBin = reporter.stage('hmm-tests');
  const bin = await buildHmmTests({ srcDir: req.srcDir, dir: join(req.cache.initramfs, 'bin'), signal: req.signal }).catch((e) => {
    stBin.fail();
    throw e;
  });
  stBin.done(`${bin.cases.length} cases${bin.cached ? ' (cached)' : ''}`);

  const params = testHmmParams(cfg, coherent);
  let initrd: string | undefined;
  let initramfsMs = 0;
  if (runner === 'qemu') {
    const st = reporter.stage('initramfs');
    const img = buildInitramfs({ hmmTests: bin.path, testHmmKo: ko, cacheDir: req.cache.initramfs, hugepages: cfg.hugepages, testHmmParams: params, testArgs: req.testArgs });
    initramfsMs = img.ms;
    initrd = img.path;
    st.done(`${(img.bytes / 1048576).toFixed(1)} MiB${img.cached ? ' (cached)' : ''}`);
  }

  const logDir = req.logDir ?? join(req.cache.runs, `test-${stamp()}-${process.pid}`);
  mkdirSync(logDir, { recursive: true });
  const consoleLogPath = join(logDir, 'console.log');
  // vng: the guest reads the script from the host's root (see vngArgs), kept beside the log.
  const vngScript = join(logDir, 'vng-run.sh');
  if (runner === 'vng') writeFileSync(vngScript, renderRunScript({ mode: 'vng', hmmTests: bin.path, testHmmKo: ko, hugepages: cfg.hugepages, testHmmParams: params, testArgs: req.testArgs }));

  const device = kvmDeviceUsable();
  const facts = readMachineFacts(req.cache.machineFile);
  const plan = planAccel({ requested: req.accel, device, verdict: facts.kvm });
  const cmdline = kernelCmdline(cfg, { coherent, extraCmdline: req.extraCmdline });

  const boot = async (accel: Accel, logPath: string, probe: boolean) => {
    const parser = new ConsoleParser({ plan: bin.cases });
    const command: [string, ...string[]] =
      runner === 'qemu'
        ? [binary, ...qemuArgs(cfg, { buildDir: req.buildDir, initrd: initrd!, accel, coherent, extraCmdline: req.extraCmdline })]
        : [binary, ...vngArgs(cfg, { buildDir: req.buildDir, accel, coherent, extraCmdline: req.extraCmdline, scriptPath: vngScript })];
    writeFileSync(join(logDir, `command-${accel}.json`), `${JSON.stringify(command)}\n`);
    const st = reporter.stage(`boot + hmm-tests`, `${runner}/${accel}`);
    const outcome = await runGuestProcess({
      command,
      logPath,
      parser,
      timeouts: { ...timeouts, silentMs: probe ? timeouts.silentMs : 0 },
      onProgress: (t) => st.update(t),
      onOutput: req.onOutput,
      signal: req.signal,
      console: runner === 'vng' ? 'stdout+stderr' : 'stdout',
    });
    if (outcome.stderr.trim()) writeFileSync(join(logDir, `${runner}-${accel}.stderr`), outcome.stderr);
    const result = parser.finish();
    if (outcome.killed) st.fail(outcome.killed.message);
    else st.done(`${result.tests.filter((t) => t.status === 'pass').length}/${result.tests.length} pass`);
    return { outcome, result };
  };

  let accel = plan.accel;
  let accelReason = plan.reason;
  let kvmProbeMs: number | undefined;
  const guestStart = Date.now();
  let run = await boot(accel, consoleLogPath, plan.probe && accel === 'kvm');
  if (accel === 'kvm' && !req.accel) {
    const o = run.outcome;
    // vng exiting early is vng's own failure (Python, arguments), not a sign that KVM hangs.
    const silent = o.killed?.reason === 'silent' || (runner === 'qemu' && o.kernelBannerMs === undefined && !o.killed);
    if (silent) {
      kvmProbeMs = o.ms;
      const reason = o.killed ? `silent: ${o.killed.message}` : `qemu exited ${o.exitCode ?? o.signal} before the kernel banner: ${o.stderr.trim().split('\n').slice(-1)[0] ?? ''}`;
      writeMachineFacts(req.cache.machineFile, { kvm: { works: false, reason, hostKernel: release(), checkedAt: new Date().toISOString(), probeMs: o.ms } });
      reporter.warn(`KVM did not boot the guest (${reason}); falling back to TCG and remembering this in ${req.cache.machineFile}`);
      renameSync(consoleLogPath, join(logDir, 'console-kvm-probe.log'));
      accel = 'tcg';
      accelReason = `KVM fell back to TCG: ${reason}`;
      run = await boot('tcg', consoleLogPath, false);
    } else if (!facts.kvm?.works || facts.kvm.hostKernel !== release()) {
      writeMachineFacts(req.cache.machineFile, { kvm: { works: true, reason: `kernel banner after ${o.kernelBannerMs} ms`, hostKernel: release(), checkedAt: new Date().toISOString(), probeMs: o.kernelBannerMs } });
    }
  }
  const guestMs = Date.now() - guestStart - (kvmProbeMs ?? 0);

  // Best effort: without vmlinux or the tree's decode script the events stay as printed.
  if (run.result.events.length) {
    await decodeEvents(run.result.events, { vmlinux: join(req.buildDir, 'vmlinux'), srcDir: req.srcDir, modulesDir: req.buildDir, signal: req.signal });
  }

  const info = run.result.session.info;
  const out: TestKernelResult = {
    result: run.result,
    consoleLogPath,
    accel,
    runner,
    ms: Date.now() - started,
    coherent: {
      enabled: coherent,
      ...(coherent ? { memmap: cfg.coherent.memmap } : {}),
      testHmmParams: params,
      description: coherent ? cfg.coherent.description : 'no coherent memory reserved: the 29 device_coherent cases skip',
      ...(info.devices !== undefined ? { devices: Number(info.devices) } : {}),
    },
    cmdline,
    timings: { hmmTestsMs: bin.ms, initramfsMs, ...(kvmProbeMs !== undefined ? { kvmProbeMs } : {}), guestMs },
    accelReason,
    ...(run.outcome.killed ? { killed: run.outcome.killed } : {}),
    ...(run.outcome.exitCode !== undefined ? { exitCode: run.outcome.exitCode } : {}),
  };
  writeFileSync(join(logDir, 'result.json'), `${JSON.stringify(out, null, 2)}\n`);
  if (run.outcome.killed?.reason === 'interrupted') {
    throw new InterruptedError('SIGINT/SIGTERM');
  }
  if (!run.result.session.started) {
    const why = run.outcome.killed ? run.outcome.killed.message : run.result.events.find((e) => e.kind === 'panic')?.text.split('\n')[0] ?? `the guest stopped (exit ${run.outcome.exitCode ?? run.outcome.signal}) before hmm-tests started`;
    throw new GuestError(`The guest booted from ${req.buildDir} never ran hmm-tests: ${why}. The console log shows how far it got; a kernel that does not boot (or an init that cannot run) is the patch's or the config's problem, not a test failure.`, out, run.outcome.stderr);
  }
  return out;
}
