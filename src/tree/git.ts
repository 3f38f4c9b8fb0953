import { simpleGit, GitError, type SimpleGit, type outputHandler } from 'simple-git';
import { HmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { which } from '../common/exec.js';
import { requireTool } from '../common/exec.js';
import { DiskFullError, isDiskFull } from './errors.js';

export interface GitOptions {
  /** Extra environment (GIT_AUTHOR_DATE…), added to the isolated environment below. */
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Called with each line git writes to stdout (progress counting). */
  onLine?: (line: string) => void;
}

/**
 * Environment every git command of the tree stage runs with: the user's global and system git
 * config are ignored (no hooks path, fsmonitor, autocrlf or signing from ~/.gitconfig leaks in),
 * output is in English so it can be parsed, and git never prompts.
 */
export function isolatedGitEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/',
    LANG: 'C',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    // Reflog entries (checkout, am --abort) need an identity even when the user has none set.
    GIT_AUTHOR_NAME: 'hmmci',
    GIT_AUTHOR_EMAIL: 'hmmci@localhost',
    GIT_COMMITTER_NAME: 'hmmci',
    GIT_COMMITTER_EMAIL: 'hmmci@localhost',
    ...extra,
  };
  return env;
}

/** A simple-git instance rooted at `dir` with the isolated environment. */
export function gitAt(dir: string, opts: GitOptions = {}): SimpleGit {
  requireTool('git');
  const g = simpleGit({
    baseDir: dir,
    abort: opts.signal,
    unsafe: { allowUnsafeConfigPaths: true },
    config: ['core.fsync=none', 'gc.auto=0', 'advice.detachedHead=false', 'core.quotePath=false'],
  }).env(isolatedGitEnv(opts.env));
  if (opts.onLine) {
    const onLine = opts.onLine;
    const handler: outputHandler = (_cmd, stdout) => {
      let rest = '';
      stdout.on('data', (chunk: Buffer) => {
        const text = rest + chunk.toString('utf8');
        const lines = text.split('\n');
        rest = lines.pop() ?? '';
        for (const l of lines) onLine(l);
      });
    };
    g.outputHandler(handler);
  }
  return g;
}

/**
 * Run `git <args>` in `dir` and return stdout. A failure becomes an HmmciError naming the command
 * (INFRA unless `exitCode` says otherwise); a full disk becomes DiskFullError.
 */
export async function git(
  dir: string,
  args: readonly string[],
  opts: GitOptions & { what?: string; exitCode?: (typeof ExitCode)[keyof typeof ExitCode] } = {},
): Promise<string> {
  try {
    return await gitAt(dir, opts).raw([...args]);
  } catch (err) {
    throw gitFailure(dir, args, err, opts);
  }
}

/** Like git() but resolves to undefined instead of throwing (probing: rev-parse, show). */
export async function gitMaybe(
  dir: string,
  args: readonly string[],
  opts: GitOptions = {},
): Promise<string | undefined> {
  try {
    return await gitAt(dir, opts).raw([...args]);
  } catch (err) {
    if (err instanceof HmmciError) throw err;
    return undefined;
  }
}

/** Full sha of `rev` as a commit (`rev-parse --verify -q REV^{commit}`), undefined when there is none. */
export async function commitSha(dir: string, rev: string, opts: GitOptions = {}): Promise<string | undefined> {
  return (await gitMaybe(dir, ['rev-parse', '--verify', '-q', `${rev}^{commit}`], opts))?.trim() || undefined;
}

export function gitFailure(
  dir: string,
  args: readonly string[],
  err: unknown,
  opts: { what?: string; exitCode?: (typeof ExitCode)[keyof typeof ExitCode] } = {},
): HmmciError {
  if (err instanceof HmmciError) return err;
  const message = err instanceof GitError || err instanceof Error ? err.message : String(err);
  const command = ['git', '-C', dir, ...args];
  if (isDiskFull(message))
    return new DiskFullError(dir, opts.what ?? `running git ${args[0] ?? ''}`, { command, cause: err });
  if (!which('git')) requireTool('git');
  const lines = message.trim().split('\n').filter(Boolean).slice(-6);
  return new HmmciError(
    `${opts.what ? `${opts.what[0]?.toUpperCase()}${opts.what.slice(1)}` : `git ${args[0]}`} failed in ${dir}.`,
    {
      exitCode: opts.exitCode ?? ExitCode.INFRA,
      command,
      details: lines,
      cause: err,
    },
  );
}
