import { execa, type Options as ExecaOptions, type ResultPromise } from 'execa';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { HmmciError, MissingToolError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { aptInstallCommand, toolSpec } from './tools.js';

export interface ExecResult {
  command: readonly string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Set when the process was killed by a signal. */
  signal?: string;
  ms: number;
}

export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Text fed to standard input. */
  input?: string;
  /** Kill after this many milliseconds. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Find an executable on PATH; undefined when absent. Pure lookup, no spawn. */
export function which(bin: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  if (bin.includes('/')) return canExec(bin) ? bin : undefined;
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, bin);
    if (canExec(p)) return p;
  }
  return undefined;
}

function canExec(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Throw MissingToolError (exit 8) when a tool is absent, naming the package to install. */
export function requireTool(bin: string, why?: string): string {
  const found = which(bin);
  if (found) return found;
  const spec = toolSpec(bin);
  throw new MissingToolError(
    bin,
    spec ? aptInstallCommand([spec.pkg]) : `your distribution's package for ${bin}`,
    why ?? spec?.why ?? 'hmmci needs it',
  );
}

/**
 * Run a command given as an argument array (never through a shell). Does not throw on a non-zero
 * exit: callers decide what a failure means. A missing executable becomes MissingToolError.
 */
export async function run(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const started = Date.now();
  const command = [file, ...args];
  try {
    const r = await execa(file, args, {
      cwd: opts.cwd,
      env: opts.env,
      input: opts.input,
      timeout: opts.timeoutMs,
      cancelSignal: opts.signal,
      reject: false,
      stripFinalNewline: false,
      shell: false,
      maxBuffer: 512 * 1024 * 1024,
    });
    if (
      (r as { code?: string }).code === 'ENOENT' ||
      /ENOENT/.test(String((r as { originalMessage?: string }).originalMessage ?? ''))
    ) {
      requireTool(file);
    }
    return {
      command,
      exitCode: r.exitCode ?? (r.signal ? 128 : -1),
      stdout: String(r.stdout ?? ''),
      stderr: String(r.stderr ?? ''),
      signal: r.signal ?? undefined,
      ms: Date.now() - started,
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') requireTool(file);
    throw err;
  }
}

/** Like run() but a non-zero exit is an HmmciError (INFRA unless given) carrying the command. */
export async function runOk(
  file: string,
  args: readonly string[],
  opts: ExecOptions & { what?: string; exitCode?: (typeof ExitCode)[keyof typeof ExitCode] } = {},
): Promise<ExecResult> {
  const r = await run(file, args, opts);
  if (r.exitCode !== 0) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-8);
    throw new HmmciError(
      `${opts.what ?? `\`${file}\``} failed with exit status ${r.exitCode}${opts.cwd ? ` in ${opts.cwd}` : ''}.`,
      {
        exitCode: opts.exitCode ?? ExitCode.INFRA,
        command: r.command,
        commandExitCode: r.exitCode,
        details: tail,
      },
    );
  }
  return r;
}

/** Start a long-running process (make, qemu) whose output the caller streams. */
export function spawnStreaming(
  file: string,
  args: readonly string[],
  opts: ExecOptions & { extra?: ExecaOptions } = {},
): ResultPromise {
  return execa(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    timeout: opts.timeoutMs,
    cancelSignal: opts.signal,
    reject: false,
    shell: false,
    buffer: false,
    stdin: 'ignore',
    ...(opts.extra ?? {}),
  } as ExecaOptions) as ResultPromise;
}
