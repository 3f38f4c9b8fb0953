import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { beginBuild, endBuild } from './interrupted.js';
import { interruptedSignalName } from '../common/cleanup.js';
import { InterruptedError } from '../common/errors.js';
import { requireTool, spawnStreaming, which } from '../common/exec.js';
import { ExitCode } from '../common/exit-codes.js';
import { HmmciError } from '../common/errors.js';
import { silentReporter, type Reporter, type StageHandle } from '../common/progress.js';
import { DiskFullError, isDiskFull } from '../tree/errors.js';
import { BuildError } from './errors.js';
import { createBuildLogParser, formatDiagnostic, progressFromLine, type BuildLogParser } from './log-parse.js';
import type { BuildArtifacts, BuildResult } from './types.js';

export const DEFAULT_TARGETS = ['bzImage', 'modules'] as const;

export interface BuildRequest {
  srcDir: string;
  buildDir: string;
  targets?: readonly string[];
  /** make -j; default: the number of CPUs. */
  jobs?: number;
  /** Run make under `nice -n <n>` (shared machines). */
  nice?: number;
  /** Use ccache when installed (default true). */
  ccache?: boolean;
  /** Extra make variables (`W=1`, `LLVM=1`). */
  makeVars?: readonly string[];
  reporter?: Reporter;
  signal?: AbortSignal;
  /** Return {ok:false} instead of throwing BuildError. */
  throwOnError?: boolean;
  /** Label for progress (`baseline`, `patched`). */
  side?: string;
}

export interface KbuildCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * The make command line of a build, as data: `make -C SRC O=BUILD -jN [CC=ccache gcc] targets`,
 * with CCACHE_BASEDIR=SRC so absolute paths under the worktree hash the same in every worktree.
 */
export function kbuildCommand(
  req: Pick<BuildRequest, 'srcDir' | 'buildDir' | 'targets' | 'jobs' | 'nice' | 'ccache' | 'makeVars'>,
  hasCcache = Boolean(which('ccache')),
): KbuildCommand {
  const srcDir = resolve(req.srcDir);
  const buildDir = resolve(req.buildDir);
  const jobs = Math.max(1, req.jobs ?? availableParallelism());
  const useCcache = (req.ccache ?? true) && hasCcache;
  const make = [
    'make',
    '-C',
    srcDir,
    `O=${buildDir}`,
    `-j${jobs}`,
    ...(useCcache ? ['CC=ccache gcc'] : []),
    ...(req.makeVars ?? []),
    ...(req.targets ?? DEFAULT_TARGETS),
  ];
  const env: Record<string, string> = { LC_ALL: 'C', LANG: 'C' };
  if (useCcache) env.CCACHE_BASEDIR = srcDir;
  if (req.nice !== undefined) return { file: 'nice', args: ['-n', String(req.nice), ...make], env };
  return { file: make[0]!, args: make.slice(1), env };
}

/** Built artifacts present in the build dir. Modules come from modules.order, else a walk. */
export function findArtifacts(buildDir: string): BuildArtifacts {
  const bz = join(buildDir, 'arch', 'x86', 'boot', 'bzImage');
  const vm = join(buildDir, 'vmlinux');
  let modules: string[] = [];
  const order = join(buildDir, 'modules.order');
  if (existsSync(order)) {
    modules = readFileSync(order, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => join(buildDir, l.replace(/\.o$/, '.ko')));
  } else {
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory() && !e.name.startsWith('.')) walk(join(dir, e.name));
        else if (e.isFile() && e.name.endsWith('.ko')) modules.push(join(dir, e.name));
      }
    };
    if (existsSync(buildDir)) walk(buildDir);
  }
  modules = modules.filter((m) => existsSync(m)).sort();
  return { bzImage: existsSync(bz) ? bz : undefined, vmlinux: existsSync(vm) ? vm : undefined, modules };
}

function requireConfig(buildDir: string): void {
  if (!existsSync(join(buildDir, '.config'))) {
    throw new HmmciError(
      `There is no kernel configuration in ${buildDir} (.config missing), so nothing can be built. Run \`hmmci config\` for this tree first (or \`hmmci run\`, which configures before building).`,
      { exitCode: ExitCode.CONFIG },
    );
  }
}

/** The build's files in `<buildDir>/.hmmci`: the log (previous one kept as .1) and last-build.json. */
interface BuildFiles {
  logPath: string;
  lastPath: string;
  /** Objects the last full build compiled (0 when unknown): the progress denominator. */
  lastFull: number;
}

function prepareBuildFiles(buildDir: string): BuildFiles {
  const meta = join(buildDir, '.hmmci');
  mkdirSync(meta, { recursive: true });
  const logPath = join(meta, 'build.log');
  if (existsSync(logPath)) renameSync(logPath, `${logPath}.1`);
  const lastPath = join(meta, 'last-build.json');
  let lastFull = 0;
  try {
    lastFull = (JSON.parse(readFileSync(lastPath, 'utf8')) as { fullCompiled?: number }).fullCompiled ?? 0;
  } catch {
    /* first build */
  }
  return { logPath, lastPath, lastFull };
}

/** Follows make's output line by line: the log parser, objects compiled/linked, disk-full, progress. */
class BuildProgress {
  readonly parser: BuildLogParser;
  compiled = 0;
  linked = 0;
  diskFull = false;
  private dir = '';
  private lastUpdate = 0;

  constructor(
    private readonly buildDir: string,
    private readonly lastFull: number,
    private readonly stage: StageHandle,
    srcDir: string,
  ) {
    this.parser = createBuildLogParser({ srcDir });
  }

  line(line: string): void {
    this.parser.push(line);
    if (!this.diskFull && isDiskFull(line)) this.diskFull = true;
    const step = progressFromLine(line);
    if (!step) return;
    if (step.kind === 'compile') this.compiled++;
    else if (step.kind === 'link') this.linked++;
    const buildDir = this.buildDir;
    this.dir = step.dir.startsWith(`${buildDir}/`) ? step.dir.slice(buildDir.length + 1) : step.dir; // objtool prints absolute paths
    const now = Date.now();
    if (now - this.lastUpdate >= 250) {
      this.lastUpdate = now;
      this.stage.update(
        `${this.compiled}${this.lastFull ? `/~${this.lastFull}` : ''} compiled, ${this.linked} linked — ${this.dir}`,
      );
    }
  }
}

/** Runs make, copying its output to the log at `logPath` and handing each line to `onLine`. */
async function runMake(cmd: KbuildCommand, req: BuildRequest, logPath: string, onLine: (line: string) => void) {
  const log = createWriteStream(logPath);
  log.write(
    `# ${[cmd.file, ...cmd.args].join(' ')}\n# env: ${Object.entries(cmd.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}\n`,
  );
  const proc = spawnStreaming(cmd.file, cmd.args, {
    env: { ...process.env, ...cmd.env },
    signal: req.signal,
    extra: { all: true },
  });
  let rest = '';
  proc.all?.on('data', (chunk: Buffer) => {
    log.write(chunk);
    const text = rest + chunk.toString('utf8');
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) onLine(l);
  });
  const r = await proc;
  if (rest) onLine(rest);
  await new Promise<void>((res) => log.end(res));
  return r;
}

/** The BuildError of a failed build: the first five errors, else the end of the log. */
function buildError(srcDir: string, result: BuildResult, makeSignal: string | undefined): BuildError {
  const { errors, exitCode, logPath, command } = result;
  const first = errors.slice(0, 5).map(formatDiagnostic);
  if (errors.length > 5) first.push(`… and ${errors.length - 5} more error(s)`);
  if (first.length === 0) {
    const tail = readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-8);
    first.push(...tail);
  }
  return new BuildError(
    `The kernel in ${srcDir} did not build (make exit ${exitCode}${makeSignal ? `, ${makeSignal}` : ''}); ${errors.length ? `the first error${errors.length > 1 ? 's are' : ' is'} below` : 'no compiler error was recognized, the end of the log is below'}. Fix the patch or the tree and build again.`,
    {
      command,
      commandExitCode: exitCode,
      logPath,
      details: first,
    },
  );
}

/**
 * Build the kernel out of tree (`O=`) with kbuild: make's output is streamed to
 * `<buildDir>/.hmmci/build.log` (the previous one kept as build.log.1), progress (objects
 * compiled/linked, current folder, elapsed) goes to the reporter, and the log is parsed as it
 * comes for errors and warnings. A failed build throws BuildError (exit 5) with the first errors
 * and the log path — not a wall of make output — unless `throwOnError: false`.
 */
export async function buildKernel(req: BuildRequest): Promise<BuildResult> {
  const reporter = req.reporter ?? silentReporter;
  const srcDir = resolve(req.srcDir);
  const buildDir = resolve(req.buildDir);
  requireTool('make');
  requireTool('gcc');
  requireConfig(buildDir);
  const { logPath, lastPath, lastFull } = prepareBuildFiles(buildDir);
  const cmd = kbuildCommand(req);
  const command = [cmd.file, ...cmd.args];
  const stage = reporter.stage('build', req.side ?? (req.targets ?? DEFAULT_TARGETS).join(' '));
  const started = Date.now();
  const progress = new BuildProgress(buildDir, lastFull, stage, srcDir);
  const { discarded } = beginBuild(buildDir);
  if (discarded)
    reporter.warn(
      `the last build in ${buildDir} was killed before it finished: the ${discarded} file(s) it wrote were removed and are made again`,
    );
  const r = await runMake(cmd, req, logPath, (l) => progress.line(l)).finally(() => endBuild(buildDir));
  const ms = Date.now() - started;
  const summary = progress.parser.result();
  const { compiled, linked } = progress;
  const exitCode = typeof r.exitCode === 'number' ? r.exitCode : -1;
  const ok = exitCode === 0;
  const result: BuildResult = {
    ok,
    ms,
    logPath,
    exitCode,
    errors: summary.errors,
    warnings: summary.warnings,
    artifacts: findArtifacts(buildDir),
    compiled,
    linked,
    noop: ok && compiled === 0 && linked === 0,
    command,
  };
  if (ok && compiled > lastFull) writeFileSync(lastPath, `${JSON.stringify({ fullCompiled: compiled })}\n`);
  if (ok) {
    stage.done(
      result.noop
        ? 'up to date'
        : `${compiled} compiled, ${linked} linked${summary.warnings.length ? `, ${summary.warnings.length} warning(s)` : ''}`,
    );
    return result;
  }
  stage.fail(`${summary.errors.length} error(s)`);
  if (req.signal?.aborted || r.isCanceled) throw new InterruptedError(interruptedSignalName() ?? 'a signal');
  if (progress.diskFull) throw new DiskFullError(buildDir, 'building the kernel', { command, logPath });
  if (req.throwOnError === false) return result;
  throw buildError(srcDir, result, r.signal ?? undefined);
}
