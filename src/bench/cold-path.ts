/**
 * `npm run bench:cold-path -- [--label L] [--tarball FILE] [--out FILE]`: where the cold path
 * outside the compile goes. In a fresh temporary cache directory, in this process: prepare the
 * default tree from the tarball (`tree: unpack` = xz + tar write, `tree: baseline commit` split into
 * its named steps), take the first slot of the default config (`tree: slot`: the first worktree of
 * the tree), configure it (`config / make tinyconfig`, `merge_config.sh`, `make olddefconfig` —
 * the last includes the check that every option landed), then take a second slot of the same key
 * while the first is held (what a concurrent run pays). Each stage and step gets its wall time and
 * CPU-seconds (children from /proc/self/stat, this process from process.cpuUsage()). For scale, xz
 * alone (`xz -dc` of the tarball to /dev/null) is measured first. Writes `coldPath[label]` of
 * bench/results.json (other keys kept). Not a test: minutes of I/O and CPU.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheLayout } from '../common/cache.js';
import { runCleanup } from '../common/cleanup.js';
import { configure, resolveConfigInputs } from '../kconfig/configure.js';
import { defaultTarball, prepareDefaultTree } from '../tree/default-tree.js';
import { acquireSlot } from '../tree/slots.js';
import { StepRecorder, type CpuSample } from './cold-figures.js';
import { runScript } from './script.js';

const root = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const TICK = 100; // USER_HZ on Linux

function cpuNow(): CpuSample {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const own = process.cpuUsage();
  return { self: (own.user + own.system) / 1e6, children: (Number(f[13]) + Number(f[14])) / TICK };
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** `xz -dc tarball > /dev/null` as one recorded step. */
async function xzAlone(rec: StepRecorder, tarball: string): Promise<void> {
  const stage = rec.reporter().stage('reference: xz -dc alone');
  await new Promise<void>((res, rej) => {
    const p = spawn('xz', ['-dc', tarball], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('error', rej);
    p.on('close', (code) => (code === 0 ? res() : rej(new Error(`xz -dc ${tarball}: exit ${code}`))));
  });
  stage.done();
}

async function measure(rec: StepRecorder, dir: string, tarball: string): Promise<void> {
  const cache = cacheLayout(dir);
  const reporter = rec.reporter();
  await xzAlone(rec, tarball);
  const tree = await prepareDefaultTree({ cache, reporter, tarball });
  const inputs = resolveConfigInputs({});
  const slot = await acquireSlot({ tree, rev: tree.baseline, configKey: inputs.key, cache, reporter });
  try {
    await configure({ srcDir: slot.worktree, buildDir: slot.buildDir, inputs, reporter });
    const second = await acquireSlot({ tree, rev: tree.baseline, configKey: inputs.key, cache, reporter });
    await second.release();
  } finally {
    await slot.release();
  }
}

async function main(): Promise<number> {
  const label = flag('--label') ?? 'current';
  const tarball = resolve(flag('--tarball') ?? defaultTarball());
  const dir = mkdtempSync(join(process.env.HMMCI_BENCH_TMP ?? tmpdir(), 'hmmci-cold-path-'));
  const rec = new StepRecorder(Date.now, cpuNow);
  const loadStart = loadavg().map((x) => Number(x.toFixed(2)));
  try {
    await measure(rec, dir, tarball);
  } finally {
    await runCleanup();
  }
  const figures = {
    date: new Date().toISOString(),
    tarball,
    cores: availableParallelism(),
    loadavgStart: loadStart,
    loadavgEnd: loadavg().map((x) => Number(x.toFixed(2))),
    steps: rec.steps,
  };
  const file = resolve(flag('--out') ?? join(root, 'bench', 'results.json'));
  const all = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  all.coldPath = { ...((all.coldPath as Record<string, unknown> | undefined) ?? {}), [label]: figures };
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  for (const s of rec.steps)
    process.stdout.write(
      `${s.name.padEnd(48)} ${(s.wallMs / 1000).toFixed(1).padStart(6)} s wall ${s.childCpuS.toFixed(1).padStart(6)} CPU-s children ${s.selfCpuS.toFixed(1).padStart(5)} CPU-s self\n`,
    );
  process.stdout.write(`wrote coldPath.${label} in ${file}\n`);
  // Removed after the figures are written (~260,000 files: minutes on a loaded machine).
  if (!process.env.HMMCI_BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  else process.stdout.write(`kept ${dir}\n`);
  return 0;
}

runScript('bench:cold-path', main);
