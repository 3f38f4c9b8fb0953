import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { onCleanup } from '../common/cleanup.js';
import { spawnStreaming } from '../common/exec.js';
import { HmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import type { SessionInfo } from '../results/parser.js';
import type { ConsoleLine } from '../results/line-stream.js';
import { matchEvent } from '../results/kernel-events.js';
import type { EventKind } from '../results/types.js';
import { LineNormalizer, LineSplitter } from '../results/line-stream.js';
import { SENTINEL } from '../results/sentinels.js';

/** Watchdogs of one guest run, in milliseconds (0 disables one). */
export interface GuestTimeouts {
  /**
   * The kernel must print its banner (`Linux version`) this soon, or the guest is taken for a
   * silent hang (KVM on some hosts hangs after "Booting from ROM"): only used to probe KVM.
   */
  silentMs: number;
  /** hmm-tests must start (sentinel or TAP header) this soon after QEMU starts. */
  bootMs: number;
  /**
   * One test may run this long. kselftest's own harness ends a test after its TIMEOUT (30 s for
   * every hmm-tests case) and says so; a case still without a result 15 s later is one the
   * harness could not end (a task spinning in the kernel cannot be killed): the kernel is stuck.
   * A `# timeout set to N` line from run_kselftest.sh raises it to N s plus 30 s.
   */
  testMs: number;
  /** No new user-space output (a TAP or test line) for this long while tests run. */
  progressMs: number;
  /** The whole guest run, boot to power-off. */
  runMs: number;
  /**
   * After the kernel reports a CPU or task stuck (RCU stall, soft/hard lockup, hung task), the
   * running test (or the boot) gets this long to make progress before the guest is taken for
   * livelocked and stopped: the report already says the guest's fate.
   */
  stallGraceMs: number;
  /**
   * …and the running test must have run this long: a stall report needs 21 s of a CPU not
   * passing a quiescent state, so a test younger than that did not cause it (a guest starved of
   * host CPU on a loaded machine can print one); it is then left to the per-test watchdog.
   * During the boot, any console output after the report counts as progress.
   */
  stallMinTestMs: number;
  /** Before hmm-tests starts: no console output at all for this long is a boot that stopped. */
  bootQuietMs: number;
}

export const DEFAULT_TIMEOUTS: GuestTimeouts = {
  silentMs: 10_000,
  bootMs: 180_000,
  testMs: 45_000,
  progressMs: 120_000,
  runMs: 30 * 60_000,
  stallGraceMs: 10_000,
  stallMinTestMs: 20_000,
  bootQuietMs: 45_000,
};

/** Kernel reports that mean a CPU or a task is stuck (see results/kernel-events.ts). */
const STUCK_KINDS: ReadonlySet<EventKind> = new Set<EventKind>(['rcu_stall', 'hung_task']);

export type KillReason = 'silent' | 'boot' | 'boot-quiet' | 'stall' | 'test' | 'progress' | 'run' | 'interrupted';

export interface GuestProcessOutcome {
  exitCode?: number;
  signal?: string;
  killed?: { reason: KillReason; test?: string; afterMs: number; message: string };
  /** ms from start to the kernel banner, when one came. */
  kernelBannerMs?: number;
  ms: number;
  stderr: string;
}

/** What the watchdogs need of a live parser (ConsoleParser, or RepeatParser over iterations). */
export interface LiveParser {
  feed(line: ConsoleLine): void;
  markKilled(reason: string): void;
  readonly current: string | undefined;
  readonly completed: number;
  readonly plannedCount: number | undefined;
  readonly session: Pick<SessionInfo, 'started'>;
}

export interface GuestProcessRequest {
  command: readonly [string, ...string[]];
  logPath: string;
  parser: LiveParser;
  timeouts: GuestTimeouts;
  /** Progress lines ("12/58 hmm.hmm_device_private.migrate"). */
  onProgress?: (text: string) => void;
  /** Raw console chunks as they arrive (`hmmci test --verbose`). */
  onOutput?: (chunk: string) => void;
  signal?: AbortSignal;
  env?: Record<string, string | undefined>;
  /**
   * Where the console is: the guest's stdout (QEMU's `-nographic` serial), or stdout and stderr
   * interleaved as they arrive (vng writes the serial console to its stderr). stderr is kept
   * apart in the outcome either way.
   */
  console?: 'stdout' | 'stdout+stderr';
}

const BANNER_RE = /Linux version \d/;

/**
 * Run one guest (QEMU or vng) in its own process group, stream its console into the log file
 * and the parser, and enforce the watchdogs. On any expiry, on interruption, or if hmmci itself
 * exits, the whole process group is killed (registered with common/cleanup): no QEMU outlives us.
 */
export async function runGuestProcess(req: GuestProcessRequest): Promise<GuestProcessOutcome> {
  mkdirSync(dirname(req.logPath), { recursive: true });
  const log = createWriteStream(req.logPath);
  const started = Date.now();
  const [file, ...args] = req.command;
  const both = req.console === 'stdout+stderr';
  const child = spawnStreaming(file, args, {
    env: req.env,
    extra: {
      detached: true,
      stdout: 'pipe',
      stderr: 'pipe',
      all: both,
      cancelSignal: undefined,
      forceKillAfterDelay: false,
    },
  });
  const pid = child.pid;
  const killGroup = () => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  const unregister = onCleanup(`guest ${file} (pid ${pid ?? '?'})`, killGroup);

  const split = new LineSplitter();
  const norm = new LineNormalizer();
  let n = 0;
  let stderr = '';
  let bannerMs: number | undefined;
  let lastProgressAt = started;
  let sawStart = false;
  let lastCompleted = -1;
  let lastTest: string | undefined;
  let testSince = started;
  let testBudget = req.timeouts.testMs;
  let killed: GuestProcessOutcome['killed'];
  let lastOutputAt = started;
  /** The first stuck-CPU/task report since the last progress: when, and its header line. */
  let stuck: { at: number; header: string; test?: string } | undefined;

  const feed = (raw: string) => {
    n++;
    const now = Date.now();
    for (const line of norm.push(raw, n, now - started)) {
      if (bannerMs === undefined && BANNER_RE.test(line.text)) bannerMs = now - started;
      if (!stuck) {
        const ev = matchEvent(line.text);
        if (ev && STUCK_KINDS.has(ev.kind)) stuck = { at: now, header: line.text.trim(), test: req.parser.current };
      }
      const m = /^(?:# )*# timeout set to (\d+)\s*$/.exec(line.text);
      if (m) testBudget = Math.max(req.timeouts.testMs, Number(m[1]) * 1000 + 30_000);
      req.parser.feed(line);
    }
    const p = req.parser;
    // The no-progress clock starts when the tests do: a boot slower than progressMs (vng's
    // virtme-init under TCG on a loaded machine: ~110 s) is the boot watchdog's business.
    if (!sawStart && p.session.started) {
      sawStart = true;
      lastProgressAt = now;
    }
    if (p.completed !== lastCompleted || p.current !== lastTest) {
      if (p.current !== lastTest) testSince = now;
      stuck = undefined;
      lastCompleted = p.completed;
      lastTest = p.current;
      lastProgressAt = now;
      const planned = p.plannedCount;
      req.onProgress?.(
        `${p.completed}${planned ? `/${planned}` : ''} done${p.current ? `, running ${p.current}` : ''}`,
      );
    }
  };
  const consoleStream = both ? child.all : child.stdout;
  consoleStream?.setEncoding('utf8');
  consoleStream?.on('data', (chunk: string) => {
    lastOutputAt = Date.now();
    log.write(chunk);
    req.onOutput?.(chunk);
    for (const raw of split.push(chunk)) feed(raw);
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
    if (stderr.length > 1_000_000) stderr = stderr.slice(-500_000);
  });

  const kill = (reason: KillReason, message: string) => {
    if (killed) return;
    const test = req.parser.current;
    killed = { reason, test, afterMs: Date.now() - started, message };
    req.parser.markKilled(message);
    killGroup();
    // Say so in the saved log (a line of hmmci's own, after whatever the guest printed last).
    log.write(`\n${SENTINEL.killed} ${message}\n`);
  };
  /** Time without progress since the stuck report: test progress, or (at boot) any console output. */
  const stuckFor = (now: number) =>
    now - Math.max(stuck!.at, req.parser.session.started ? lastProgressAt : lastOutputAt);
  const timer = setInterval(() => {
    const now = Date.now();
    const t = req.timeouts;
    const s = req.parser.session;
    if (t.silentMs && bannerMs === undefined && now - started > t.silentMs) {
      kill('silent', `the guest printed no kernel banner within ${t.silentMs / 1000} s`);
    } else if (
      t.stallGraceMs &&
      stuck &&
      stuckFor(now) > t.stallGraceMs &&
      (!req.parser.current || now - testSince >= t.stallMinTestMs)
    ) {
      const where = req.parser.current ?? (s.started ? 'hmm-tests' : 'the boot');
      kill(
        'stall',
        `the kernel reported "${stuck.header}" ${((stuck.at - started) / 1000).toFixed(0)} s into the run and ${where} made no progress for ${t.stallGraceMs / 1000} s after`,
      );
    } else if (t.bootQuietMs && !s.started && bannerMs !== undefined && now - lastOutputAt > t.bootQuietMs) {
      kill(
        'boot-quiet',
        `the boot stopped printing: no console output for ${t.bootQuietMs / 1000} s before hmm-tests started`,
      );
    } else if (t.bootMs && !s.started && now - started > t.bootMs) {
      kill('boot', `hmm-tests did not start within ${t.bootMs / 1000} s of boot`);
    } else if (testBudget && req.parser.current && now - testSince > testBudget) {
      kill('test', `${req.parser.current} ran for more than ${Math.round(testBudget / 1000)} s`);
    } else if (t.progressMs && s.started && now - lastProgressAt > t.progressMs) {
      kill(
        'progress',
        `no test progress for ${t.progressMs / 1000} s${req.parser.current ? ` while ${req.parser.current} ran` : ''}`,
      );
    } else if (t.runMs && now - started > t.runMs) {
      kill('run', `the whole run took more than ${t.runMs / 1000} s`);
    }
  }, 200);
  const onAbort = () => kill('interrupted', 'interrupted');
  req.signal?.addEventListener('abort', onAbort, { once: true });

  let result: Awaited<typeof child>;
  try {
    result = await child;
  } catch (err) {
    unregister();
    log.end();
    throw new HmmciError(`Could not start ${file}: ${(err as Error).message}`, {
      exitCode: ExitCode.INFRA,
      command: req.command,
      logPath: req.logPath,
    });
  } finally {
    clearInterval(timer);
    req.signal?.removeEventListener('abort', onAbort);
  }
  // The group may still hold helpers (vng's virtiofsd): make sure nothing is left.
  killGroup();
  unregister();
  for (const raw of split.end()) feed(raw);
  for (const line of norm.end(n)) req.parser.feed(line);
  await new Promise<void>((resolve) => log.end(resolve));
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new HmmciError(`${file} is not installed or not executable.`, {
      exitCode: ExitCode.MISSING_TOOL,
      command: req.command,
    });
  }
  return {
    exitCode: result.exitCode ?? undefined,
    signal: result.signal ?? undefined,
    killed,
    kernelBannerMs: bannerMs,
    ms: Date.now() - started,
    stderr,
  };
}
