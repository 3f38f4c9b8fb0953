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
import { interruptedSignalName } from '../common/cleanup.js';
import { InterruptedError } from '../common/errors.js';
import { requireTool, spawnStreaming, which } from '../common/exec.js';
import { ExitCode } from '../common/exit-codes.js';
import { HmmciError } from '../common/errors.js';
import { silentReporter, type Reporter } from '../common/progress.js';
import { DiskFullError, isDiskFull } from '../tree/errors.js';
import { BuildError } from './errors.js';
import { createBuildLogParser, formatDiagnostic, progressFromLine } from './log-parse.js';
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
  if (!existsSync(join(buildDir, '.config'))) {
    throw new HmmciError(
      `There is no kernel configuration in ${buildDir} (.config missing), so nothing can be built. Run \`hmmci config\` for this tree first (or \`hmmci run\`, which configures before building).`,
      { exitCode: ExitCode.CONFIG },
    );
  }
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
  const cmd = kbuildCommand(req);
  const command = [cmd.file, ...cmd.args];
  const log = createWriteStream(logPath);
  log.write(
    `# ${command.join(' ')}\n# env: ${Object.entries(cmd.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}\n`,
  );
  const parser = createBuildLogParser({ srcDir });
  const stage = reporter.stage('build', req.side ?? (req.targets ?? DEFAULT_TARGETS).join(' '));
  const started = Date.now();
  let compiled = 0;
  let linked = 0;
  let dir = '';
  let lastUpdate = 0;
  let diskFull = false;
  const onLine = (line: string) => {
    parser.push(line);
    if (!diskFull && isDiskFull(line)) diskFull = true;
    const step = progressFromLine(line);
    if (!step) return;
    if (step.kind === 'compile') compiled++;
    else if (step.kind === 'link') linked++;
    dir = step.dir.startsWith(`${buildDir}/`) ? step.dir.slice(buildDir.length + 1) : step.dir; // objtool prints absolute paths
    const now = Date.now();
    if (now - lastUpdate >= 250) {
      lastUpdate = now;
      stage.update(`${compiled}${lastFull ? `/~${lastFull}` : ''} compiled, ${linked} linked — ${dir}`);
    }
  };
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
  const ms = Date.now() - started;
  const summary = parser.result();
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
  if (diskFull) throw new DiskFullError(buildDir, 'building the kernel', { command, logPath });
  if (req.throwOnError === false) return result;
  const first = summary.errors.slice(0, 5).map(formatDiagnostic);
  if (summary.errors.length > 5) first.push(`… and ${summary.errors.length - 5} more error(s)`);
  if (first.length === 0) {
    const tail = readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-8);
    first.push(...tail);
  }
  throw new BuildError(
    `The kernel in ${srcDir} did not build (make exit ${exitCode}${r.signal ? `, ${r.signal}` : ''}); ${summary.errors.length ? `the first error${summary.errors.length > 1 ? 's are' : ' is'} below` : 'no compiler error was recognized, the end of the log is below'}. Fix the patch or the tree and build again.`,
    {
      command,
      commandExitCode: exitCode,
      logPath,
      details: first,
    },
  );
}
