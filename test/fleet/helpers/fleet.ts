/** Real worker processes, fake-kernel series and a shared setup for the fleet's fault tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fakeKernelRepo, fakeKernelTarball, gitSync, tempDir } from '../../../tools/fake-kernel/fixture.js';
import { LOADER_ARGS, siblingModule } from '../../helpers/child-node.js';

export const CLI = siblingModule('./cli.ts', import.meta.url);
export const FAKE_STAGES = siblingModule('./fake-guest-stages.ts', import.meta.url);

/**
 * A one-patch series for the fake kernel (constructed: git format-patch of a commit on a fake
 * kernel repo) whose kernel boots into the console capture `consoleName`.
 */
export function fakeSeries(dir: string, name: string, consoleName: string): string {
  const repo = fakeKernelRepo(join(dir, `repo-${name}`));
  appendFileSync(
    join(repo, 'mm/hmm.c'),
    `\nconst char hmmci_fake_console_${name.replace(/\W/g, '_')}[] = "HMMCI_FAKE_CONSOLE=${consoleName}";\n`,
  );
  gitSync(repo, [
    'commit',
    '-q',
    '-a',
    '-m',
    `mm/hmm: ${name}`,
    '-m',
    'Constructed for hmmci fleet tests.',
    '-m',
    'Signed-off-by: Test Developer <dev@example.org>',
  ]);
  const mbox = join(dir, `${name}.mbox`);
  writeFileSync(mbox, gitSync(repo, ['format-patch', '-1', '--stdout']));
  return mbox;
}

/**
 * A series of several patches for the fake kernel (constructed the same way): patch i appends a
 * line to mm/hmm.c; the patch whose entry names a console capture makes every kernel from it on
 * boot into that capture.
 */
export function fakeSeriesOf(dir: string, name: string, patches: Array<string | null>): string {
  const repo = fakeKernelRepo(join(dir, `repo-${name}`));
  const base = gitSync(repo, ['rev-parse', 'HEAD']).trim();
  patches.forEach((consoleName, i) => {
    const line = consoleName
      ? `const char hmmci_fake_console_${i}[] = "HMMCI_FAKE_CONSOLE=${consoleName}";`
      : `/* ${name}: harmless change ${i + 1} */`;
    appendFileSync(join(repo, 'mm/hmm.c'), `\n${line}\n`);
    gitSync(repo, [
      'commit',
      '-q',
      '-a',
      '-m',
      `mm/hmm: ${name} step ${i + 1}`,
      '-m',
      'Signed-off-by: Test Developer <dev@example.org>',
    ]);
  });
  const mbox = join(dir, `${name}.mbox`);
  writeFileSync(
    mbox,
    gitSync(repo, ['format-patch', '--cover-letter', '--stdout', `${base}..HEAD`]).replace(
      '*** SUBJECT HERE ***',
      `${name}`,
    ),
  );
  return mbox;
}

export interface Env {
  dir: string;
  tarball: string;
  store: string;
  env: (cache: string, extra?: Record<string, string>) => NodeJS.ProcessEnv;
}

export function fleetEnv(): Env {
  const dir = tempDir('hmmci-fleet-');
  const tarball = fakeKernelTarball(join(dir, 'linux-source-6.12.tar.xz'));
  const store = join(dir, 'store');
  mkdirSync(store);
  return {
    dir,
    tarball,
    store,
    env: (cache, extra = {}) => ({
      ...process.env,
      HMMCI_CACHE: cache,
      HMMCI_TARBALL: tarball,
      HMMCI_STORE: store,
      HMMCI_FLEET_STAGES: FAKE_STAGES,
      ...extra,
    }),
  };
}

export interface WorkerProc {
  id: string;
  cache: string;
  proc: ChildProcess;
  output: () => string;
  waitFor: (re: RegExp, ms?: number) => Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

/** Start `hmmci worker` as its own process (from source with tsx, or compiled), with its own cache. */
export function startWorkerProc(
  e: Env,
  redisUrl: string,
  id: string,
  opts: { lease?: number; env?: Record<string, string>; args?: string[] } = {},
): WorkerProc {
  const cache = join(e.dir, `cache-${id}`);
  const proc = spawn(
    process.execPath,
    [
      ...LOADER_ARGS,
      CLI,
      'worker',
      '--redis',
      redisUrl,
      '--id',
      id,
      '--lease',
      String(opts.lease ?? 2),
      ...(opts.args ?? []),
    ],
    { env: e.env(cache, opts.env), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout?.on('data', (b) => (out += b));
  proc.stderr?.on('data', (b) => (out += b));
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  return {
    id,
    cache,
    proc,
    exited,
    output: () => out,
    async waitFor(re, ms = 60_000) {
      const end = Date.now() + ms;
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (Date.now() > end) throw new Error(`worker ${id}: no ${re} within ${ms} ms; output:\n${out}`);
        await sleep(50);
      }
    },
  };
}

/** Processes whose command line or working directory mentions `path` (the dead worker's make, QEMU). */
export function processesUnder(path: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(path)) found.push(`${pid} ${cmd.slice(0, 160)}`);
    } catch {
      /* gone */
    }
  }
  return found;
}

/** Run the CLI (from source with tsx, or compiled) to completion: exit code, stdout, stderr. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 240_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [...LOADER_ARGS, CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b) => (stdout += b));
    p.stderr.on('data', (b) => (stderr += b));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}
