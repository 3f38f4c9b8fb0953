/**
 * `npm run bench:cold -- [--variant NAME] [--cache DIR] [--label L] [--out FILE]`: what a kernel config costs
 * on a fresh machine. Runs `hmmci tree prepare` and `hmmci build --nice 10 [--variant NAME]` as
 * child processes with an empty compiler cache (a fresh CCACHE_DIR: every object is compiled),
 * and records for each step the wall time and the CPU-seconds of everything it ran (user + sys
 * of the waited-for children, from /proc/self/stat), then the objects in the build dir (`*.o`,
 * `*.ko`). Without --cache the cache directory is a fresh temporary one (so the tree unpack,
 * baseline commit and first worktree are measured too); with --cache an existing cache is used
 * (the tree is already there: prepare is a no-op, the config's slot is new when it never ran).
 * Writes the figures under `coldBuild[label]` of bench/results.json (other keys kept). Not a
 * test: up to an hour of CPU on 2 cores.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnStreaming } from '../common/exec.js';
import { stageTimes } from './cold-figures.js';

const root = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const TICK = 100; // USER_HZ on Linux

/** user + sys seconds of every waited-for child of this process so far (fields 16, 17). */
function childCpuSeconds(): { user: number; sys: number } {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[13]) / TICK, sys: Number(f[14]) / TICK };
}

interface Step {
  wallMs: number;
  userS: number;
  sysS: number;
  cpuS: number;
  stages: Record<string, number>;
  stdout: string;
}

async function step(args: string[], env: NodeJS.ProcessEnv): Promise<Step> {
  const before = childCpuSeconds();
  const started = Date.now();
  let stderr = '';
  let stdout = '';
  const p = spawnStreaming(process.execPath, [join(root, 'bin', 'hmmci.js'), ...args], { env });
  p.stdout?.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  p.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
    process.stderr.write(b);
  });
  const r = await p;
  if (r.exitCode !== 0) throw new Error(`hmmci ${args.join(' ')} failed (exit ${r.exitCode})`);
  const after = childCpuSeconds();
  const userS = Number((after.user - before.user).toFixed(1));
  const sysS = Number((after.sys - before.sys).toFixed(1));
  return {
    wallMs: Date.now() - started,
    userS,
    sysS,
    cpuS: Number((userS + sysS).toFixed(1)),
    stages: stageTimes(stderr),
    stdout,
  };
}

function countObjects(dir: string): { objects: number; modules: number } {
  let objects = 0;
  let modules = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    if (e.name.endsWith('.o')) objects++;
    else if (e.name.endsWith('.ko')) modules++;
  }
  return { objects, modules };
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const variant = flag('--variant');
  const given = flag('--cache');
  const label = flag('--label') ?? variant ?? 'default';
  const cache = given ? resolve(given) : mkdtempSync(join(tmpdir(), 'hmmci-cold-'));
  const ccache = mkdtempSync(join(tmpdir(), 'hmmci-cold-ccache-'));
  const env = { ...process.env, CCACHE_DIR: ccache };
  try {
    const prepare = await step(['--cache-dir', cache, 'tree', 'prepare'], env);
    const { stdout: _p, ...prepareFigures } = prepare;
    const { stdout, ...build } = await step(
      ['--cache-dir', cache, 'build', '--nice', '10', '--json', ...(variant ? ['--variant', variant] : [])],
      env,
    );
    const buildDir = (JSON.parse(stdout) as { buildDir?: string }).buildDir ?? '';
    const counts = existsSync(buildDir) ? countObjects(buildDir) : { objects: 0, modules: 0 };
    const figures = {
      date: new Date().toISOString(),
      variant: variant ?? null,
      freshCache: !given,
      ccache: 'empty (fresh CCACHE_DIR)',
      cores: availableParallelism(),
      loadavgAtEnd: Number(loadavg()[0]?.toFixed(2) ?? 0),
      prepare: prepareFigures,
      build,
      ...counts,
    };
    const file = resolve(flag('--out') ?? join(root, 'bench', 'results.json'));
    const all = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
    all.coldBuild = { ...((all.coldBuild as Record<string, unknown> | undefined) ?? {}), [label]: figures };
    writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\nwrote coldBuild.${label} in ${file}\n`);
    return 0;
  } finally {
    rmSync(ccache, { recursive: true, force: true });
    if (!given && !process.env.HMMCI_BENCH_KEEP) rmSync(cache, { recursive: true, force: true });
  }
}

process.exitCode = await main();
