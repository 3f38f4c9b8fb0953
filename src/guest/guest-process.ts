import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { onCleanup } from '../common/cleanup.js';
import { spawnStreaming } from '../common/exec.js';
import type { ResultPromise } from 'execa';
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
 * The guest's process group: spawned detached (its own group), killed whole with SIGKILL, and
 * registered with common/cleanup until unregistered, so hmmci exiting kills it too.
 */
class GuestGroup {
  readonly child: ResultPromise;
  readonly unregister: () => void;
  private readonly pid: number | undefined;

  constructor(file: string, args: readonly string[], env: GuestProcessRequest['env'], both: boolean) {
    this.child = spawnStreaming(file, args, {
      env,
      extra: {
        detached: true,
        stdout: 'pipe',
        stderr: 'pipe',
        all: both,
        cancelSignal: undefined,
        forceKillAfterDelay: false,
      },
    });
    this.pid = this.child.pid;
    this.unregister = onCleanup(`guest ${file} (pid ${this.pid ?? '?'})`, () => this.killGroup());
  }

  killGroup(): void {
    const pid = this.pid;
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
  }
}

/** The last of the guest's stderr (capped: a guest that floods it keeps its latest 500 kB). */
class StderrTail {
  text = '';
  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > 1_000_000) this.text = this.text.slice(-500_000);
  }
}

/** A watchdog that expired: why, and the one-line message the log and the outcome carry. */
interface Expiry {
  reason: KillReason;
  message: string;
}

/**
 * The console as the watchdogs see it: lines fed to the parser, the kernel banner, test progress,
 * the running test and its time budget, and the first stuck-CPU/task report since progress.
 */
class ConsoleWatch {
  bannerMs: number | undefined;
  private readonly split = new LineSplitter();
  private readonly norm = new LineNormalizer();
  private n = 0;
  private lastProgressAt: number;
  private sawStart = false;
  private lastCompleted = -1;
  private lastTest: string | undefined;
  private testSince: number;
  private testBudget: number;
  private lastOutputAt: number;
  /** The first stuck-CPU/task report since the last progress: when, and its header line. */
  private stuck: { at: number; header: string; test?: string } | undefined;

  constructor(
    private readonly req: GuestProcessRequest,
    private readonly started: number,
  ) {
    this.lastProgressAt = started;
    this.testSince = started;
    this.testBudget = req.timeouts.testMs;
    this.lastOutputAt = started;
  }

  /** A console chunk arrived (before it is logged and fed). */
  sawOutput(): void {
    this.lastOutputAt = Date.now();
  }

  push(chunk: string): void {
    for (const raw of this.split.push(chunk)) this.feed(raw);
  }

  /** The guest is gone: feed what is left of a last unterminated line. */
  end(): void {
    for (const raw of this.split.end()) this.feed(raw);
    for (const line of this.norm.end(this.n)) this.req.parser.feed(line);
  }

  private feed(raw: string): void {
    this.n++;
    const now = Date.now();
    for (const line of this.norm.push(raw, this.n, now - this.started)) {
      if (this.bannerMs === undefined && BANNER_RE.test(line.text)) this.bannerMs = now - this.started;
      if (!this.stuck) {
        const ev = matchEvent(line.text);
        if (ev && STUCK_KINDS.has(ev.kind))
          this.stuck = { at: now, header: line.text.trim(), test: this.req.parser.current };
      }
      const m = /^(?:# )*# timeout set to (\d+)\s*$/.exec(line.text);
      if (m) this.testBudget = Math.max(this.req.timeouts.testMs, Number(m[1]) * 1000 + 30_000);
      this.req.parser.feed(line);
    }
    this.progress(now);
  }

  private progress(now: number): void {
    const p = this.req.parser;
    // The no-progress clock starts when the tests do: a boot slower than progressMs (vng's
    // virtme-init under TCG on a loaded machine: ~110 s) is the boot watchdog's business.
    if (!this.sawStart && p.session.started) {
      this.sawStart = true;
      this.lastProgressAt = now;
    }
    if (p.completed !== this.lastCompleted || p.current !== this.lastTest) {
      if (p.current !== this.lastTest) this.testSince = now;
      this.stuck = undefined;
      this.lastCompleted = p.completed;
      this.lastTest = p.current;
      this.lastProgressAt = now;
      const planned = p.plannedCount;
      this.req.onProgress?.(
        `${p.completed}${planned ? `/${planned}` : ''} done${p.current ? `, running ${p.current}` : ''}`,
      );
    }
  }

  /** Time without progress since the stuck report: test progress, or (at boot) any console output. */
  private stuckFor(now: number): number {
    return now - Math.max(this.stuck!.at, this.req.parser.session.started ? this.lastProgressAt : this.lastOutputAt);
  }

  /** The first watchdog (in this order) that expired at `now`, if any. */
  expired(now: number): Expiry | undefined {
    const t = this.req.timeouts;
    const s = this.req.parser.session;
    const current = this.req.parser.current;
    if (t.silentMs && this.bannerMs === undefined && now - this.started > t.silentMs) {
      return { reason: 'silent', message: `the guest printed no kernel banner within ${t.silentMs / 1000} s` };
    }
    if (
      t.stallGraceMs &&
      this.stuck &&
      this.stuckFor(now) > t.stallGraceMs &&
      (!current || now - this.testSince >= t.stallMinTestMs)
    ) {
      const where = current ?? (s.started ? 'hmm-tests' : 'the boot');
      return {
        reason: 'stall',
        message: `the kernel reported "${this.stuck.header}" ${((this.stuck.at - this.started) / 1000).toFixed(0)} s into the run and ${where} made no progress for ${t.stallGraceMs / 1000} s after`,
      };
    }
    if (t.bootQuietMs && !s.started && this.bannerMs !== undefined && now - this.lastOutputAt > t.bootQuietMs) {
      return {
        reason: 'boot-quiet',
        message: `the boot stopped printing: no console output for ${t.bootQuietMs / 1000} s before hmm-tests started`,
      };
    }
    if (t.bootMs && !s.started && now - this.started > t.bootMs) {
      return { reason: 'boot', message: `hmm-tests did not start within ${t.bootMs / 1000} s of boot` };
    }
    if (this.testBudget && current && now - this.testSince > this.testBudget) {
      return { reason: 'test', message: `${current} ran for more than ${Math.round(this.testBudget / 1000)} s` };
    }
    if (t.progressMs && s.started && now - this.lastProgressAt > t.progressMs) {
      return {
        reason: 'progress',
        message: `no test progress for ${t.progressMs / 1000} s${current ? ` while ${current} ran` : ''}`,
      };
    }
    if (t.runMs && now - this.started > t.runMs) {
      return { reason: 'run', message: `the whole run took more than ${t.runMs / 1000} s` };
    }
    return undefined;
  }
}

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
  const group = new GuestGroup(file, args, req.env, both);
  const { child } = group;
  const watch = new ConsoleWatch(req, started);
  const stderr = new StderrTail();
  let killed: GuestProcessOutcome['killed'];

  const consoleStream = both ? child.all : child.stdout;
  consoleStream?.setEncoding('utf8');
  consoleStream?.on('data', (chunk: string) => {
    watch.sawOutput();
    log.write(chunk);
    req.onOutput?.(chunk);
    watch.push(chunk);
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => stderr.push(chunk));

  const kill = (reason: KillReason, message: string) => {
    if (killed) return;
    const test = req.parser.current;
    killed = { reason, test, afterMs: Date.now() - started, message };
    req.parser.markKilled(message);
    group.killGroup();
    // Say so in the saved log (a line of hmmci's own, after whatever the guest printed last).
    log.write(`\n${SENTINEL.killed} ${message}\n`);
  };
  const timer = setInterval(() => {
    const expiry = watch.expired(Date.now());
    if (expiry) kill(expiry.reason, expiry.message);
  }, 200);
  const onAbort = () => kill('interrupted', 'interrupted');
  req.signal?.addEventListener('abort', onAbort, { once: true });

  let result: Awaited<typeof child>;
  try {
    result = await child;
  } catch (err) {
    group.unregister();
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
  group.killGroup();
  group.unregister();
  watch.end();
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
    kernelBannerMs: watch.bannerMs,
    ms: Date.now() - started,
    stderr: stderr.text,
  };
}
