import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isHmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { run as exec } from '../common/exec.js';
import { buildKernel, kbuildCommand, type KbuildCommand } from '../build/index.js';
import { BuildError } from '../build/errors.js';
import { GuestError, testKernel } from '../guest/index.js';
import { buildHmmTests } from '../guest/hmm-tests-binary.js';
import { configure, resolveConfigInputs } from '../kconfig/configure.js';
import { currentConfigStamp } from '../kconfig/current.js';
import { ConfigError } from '../kconfig/errors.js';
import { defaultFragments } from '../kconfig/key.js';
import { applySeries, resolveBase } from '../series/index.js';
import { loadSeries } from '../series/load.js';
import type { Series } from '../series/types.js';
import { resolveTree } from '../tree/resolve.js';
import { acquireSlot, resetWorktree } from '../tree/slots.js';
import type {
  BuildOutcome,
  ConfigureOutcome,
  ConfigVariant,
  LoadedSeries,
  StageContext,
  StageFailure,
  Stages,
  TestOutcome,
} from './types.js';
import { seriesMbox } from '../series/am-mail.js';

/** Builds run under `nice -n 10`: a run in the background leaves the machine usable. */
export const BUILD_NICE = 10;

/** The exact make command `hmmci run` builds with (the benchmark's floor runs the same). */
export function runMakeCommand(srcDir: string, buildDir: string, jobs: number): KbuildCommand {
  return kbuildCommand({ srcDir, buildDir, jobs, nice: BUILD_NICE });
}

/** hmmci's default config fragments (kernel-configs/base-x86_64-qemu.config, hmm.config), full paths. */
export const DEFAULT_FRAGMENTS: readonly string[] = defaultFragments();

/** The series as an mboxrd that reads back as the same series (series/am-mail.ts seriesMbox). */
export function mboxOf(s: Series): string {
  return seriesMbox(s);
}

/** The cover letter's subject with the series' bracket prefix (`[PATCH v2 0/4] …`), for replies. */
function coverTitle(s: Series): string | undefined {
  if (!s.cover) return undefined;
  if (/^\[/.test(s.cover.subject)) return s.cover.subject;
  const m = /^\[([^\]]*?)\s*\d+\/(\d+)\]/.exec(s.patches[0]?.rawSubject ?? '');
  return m ? `[${m[1]} 0/${m[2]}] ${s.cover.subject}`.replace('[ ', '[') : s.cover.subject;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

async function firstLine(bin: string, args: string[]): Promise<string> {
  const r = await exec(bin, args).catch(() => undefined);
  return (r?.stdout || r?.stderr || '').split('\n')[0]?.trim() || `${bin} (unknown version)`;
}

/**
 * The stage modules report a kernel that does not configure, build or boot with their own error
 * classes (ConfigError, BuildError, GuestError; hmm-tests that does not compile is exit 5 from the
 * guest module): here, at the boundary, those become outcome values. Anything else (a missing
 * tool, disk full, QEMU that will not start, an interrupt) is rethrown.
 */
function failure<K extends StageFailure['kind']>(kind: K, err: unknown, signal: AbortSignal): StageFailure<K> {
  if (!isHmmciError(err) || signal.aborted) throw err;
  return {
    ok: false,
    kind,
    message: err.message,
    ...(err.logPath ? { logPath: err.logPath } : {}),
    details: [...err.details],
  };
}

/** Loaded series by their mbox text: the series stage's own objects, for chooseBase and applySeries. */
class SeriesMemo {
  private readonly byMbox = new Map<string, Series>();

  remember(loaded: LoadedSeries, s: Series): void {
    this.byMbox.set(loaded.mbox, s);
  }

  /** The Series of a LoadedSeries; one that came as data (another process) is parsed again from its mbox. */
  async of(loaded: LoadedSeries, signal: AbortSignal): Promise<Series> {
    const known = this.byMbox.get(loaded.mbox);
    if (known) return known;
    const dir = mkdtempSync(join(tmpdir(), 'hmmci-series-'));
    try {
      writeFileSync(join(dir, 'series.mbox'), loaded.mbox);
      const s = await loadSeries(join(dir, 'series.mbox'), { signal });
      this.byMbox.set(loaded.mbox, s);
      return s;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

function loadedFrom(input: string, s: Series): LoadedSeries {
  const first = s.patches[0];
  return {
    input,
    title: coverTitle(s) ?? first?.rawSubject ?? basename(input),
    patches: s.patches.map((p) => p.rawSubject),
    ...(first?.author ? { author: first.author } : {}),
    ...((s.cover?.messageId ?? first?.messageId) ? { messageId: s.cover?.messageId ?? first?.messageId } : {}),
    ...(s.baseCommit ? { base: s.baseCommit } : {}),
    mbox: isFile(input) ? readFileSync(input, 'utf8') : mboxOf(s),
    patchTexts: s.patches.map((p) => p.diff),
  };
}

async function realConfigure(
  req: { srcDir: string; buildDir: string; variant: ConfigVariant },
  ctx: StageContext,
): Promise<ConfigureOutcome> {
  let inputs;
  try {
    inputs = resolveConfigInputs({ fragments: req.variant.fragments, extra: req.variant.extra });
    // Same inputs and no Kconfig file changed since the slot was configured (the usual case for
    // a series that only touches C files): the .config is current, skip the ~15 s configure.
    const stamp = await currentConfigStamp({ buildDir: req.buildDir, srcDir: req.srcDir, key: inputs.key });
    if (stamp)
      return { ok: true, configPath: join(req.buildDir, '.config'), configHash: stamp.configHash, reused: true };
    const r = await configure({
      srcDir: req.srcDir,
      buildDir: req.buildDir,
      inputs,
      reporter: ctx.reporter,
      signal: ctx.signal,
    });
    return { ok: true, configPath: r.configPath, configHash: r.configHash };
  } catch (err) {
    if (err instanceof ConfigError) return failure('config', err, ctx.signal);
    throw err;
  }
}

async function realBuild(
  req: { srcDir: string; buildDir: string; jobs: number },
  ctx: StageContext,
): Promise<BuildOutcome> {
  try {
    const r = await buildKernel({
      srcDir: req.srcDir,
      buildDir: req.buildDir,
      jobs: req.jobs,
      nice: BUILD_NICE,
      reporter: ctx.reporter,
      signal: ctx.signal,
    });
    const artifacts = {
      bzImage: r.artifacts.bzImage ?? join(req.buildDir, 'arch', 'x86', 'boot', 'bzImage'),
      testHmmKo: join(req.buildDir, 'lib', 'test_hmm.ko'),
      config: join(req.buildDir, '.config'),
      ...(r.artifacts.vmlinux ? { vmlinux: r.artifacts.vmlinux } : {}),
    };
    return { ok: true, logPath: r.logPath, artifacts };
  } catch (err) {
    if (err instanceof BuildError) return failure('build', err, ctx.signal);
    throw err;
  }
}

async function realTest(req: Parameters<Stages['test']>[0], ctx: StageContext): Promise<TestOutcome> {
  try {
    const r = await testKernel({
      srcDir: req.srcDir,
      buildDir: req.buildDir,
      runner: req.runner,
      cache: ctx.cache,
      reporter: ctx.reporter,
      signal: ctx.signal,
      logDir: req.logDir,
      ...req.guest,
    });
    return {
      ok: true,
      result: r.result,
      consoleLogPath: r.consoleLogPath,
      accel: r.accel,
      runner: r.runner,
      hmmTests: r.hmmTests,
      ...(r.consoleLogs.length > 1 ? { consoleLogs: r.consoleLogs } : {}),
      ...(r.shape ? { shape: r.shape } : {}),
    };
  } catch (err) {
    if (err instanceof GuestError) return failure('no-results', err, ctx.signal);
    // hmm-tests from the tree under test does not compile: that tree's test program does not build.
    if (isHmmciError(err) && err.exitCode === ExitCode.BUILD_FAILED) return failure('build', err, ctx.signal);
    throw err;
  }
}

/** The real stages: the tree, series, kconfig, build and guest modules. */
export function realStages(): Stages {
  const keys = new Map<string, string>();
  const memo = new SeriesMemo();
  return {
    resolveTree: (req, ctx) =>
      resolveTree({ tree: req.tree, cache: ctx.cache, reporter: ctx.reporter, signal: ctx.signal }),
    async loadSeries(input, tree, ctx): Promise<LoadedSeries> {
      const s = await loadSeries(input, {
        tree: tree.kind === 'user' ? tree.path : undefined,
        reporter: ctx.reporter,
        signal: ctx.signal,
      });
      const loaded = loadedFrom(input, s);
      memo.remember(loaded, s);
      return loaded;
    },
    async chooseBase(req, ctx) {
      const s = await memo.of(req.series, ctx.signal);
      const b = await resolveBase({
        repo: req.tree.path,
        baseCommit: s.baseCommit,
        option: req.option,
        baseline: req.tree.baseline,
        baselineName:
          req.tree.kind === 'default' ? `(Debian linux-source ${req.tree.version ?? ''})`.replace(' )', ')') : 'HEAD',
        signal: ctx.signal,
      });
      return { base: b.base, reason: b.reason };
    },
    configKey(v) {
      const id = JSON.stringify(v);
      let k = keys.get(id);
      if (!k) {
        k = resolveConfigInputs({ fragments: v.fragments, extra: v.extra }).key;
        keys.set(id, k);
      }
      return k;
    },
    acquireSlot: (req, ctx) =>
      acquireSlot({
        tree: req.tree,
        rev: req.rev,
        configKey: req.configKey,
        cache: ctx.cache,
        reporter: ctx.reporter,
        signal: ctx.signal,
      }),
    resetSlot: (slot, rev) => resetWorktree(slot.worktree, rev),
    async applySeries(req, ctx) {
      const series = await memo.of(req.series, ctx.signal);
      const r = await applySeries({
        series,
        worktree: req.worktree,
        base: req.base,
        reporter: ctx.reporter,
        signal: ctx.signal,
      });
      return {
        base: r.base,
        baseReason: r.baseReason,
        commits: r.commits.map((c) => ({ sha: c.sha, index: c.index, subject: c.subject })),
      };
    },
    configure: realConfigure,
    build: realBuild,
    test: realTest,
    async prepareTest(req, ctx) {
      await buildHmmTests({ srcDir: req.srcDir, dir: join(ctx.cache.initramfs, 'bin'), signal: ctx.signal }).catch(
        () => undefined,
      );
    },
    async toolchain() {
      return { gcc: await firstLine('gcc', ['--version']), qemu: await firstLine('qemu-system-x86_64', ['--version']) };
    },
  };
}
