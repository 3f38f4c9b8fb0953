/**
 * `npm run bench:shards -- <build-dir>`: does splitting hmm-tests across guests change any result?
 * On one build (default: the newest slot of the default config), it runs
 *   1. all cases in one guest (the reference, and per-case durations for CASE_WEIGHT),
 *   2. each shard of planShards(cases, 2) alone, one after the other,
 *   3. the shards side by side (what `--shards 2` does),
 * and compares every case's status with the reference. A case whose status differs only when
 * split depends on another case's side effects: put it with that case in SHARD_GROUPS. Writes
 * bench/shards.json; exit 1 when a case differs. Not a test: real QEMU boots, minutes of CPU.
 */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheLayout, cacheRoot } from '../common/cache.js';
import { installSignalHandlers, interruptSignal, runCleanup } from '../common/cleanup.js';
import { createReporter, formatMs } from '../common/progress.js';
import { testKernel, type TestKernelResult } from '../guest/test-kernel.js';
import { planShards } from '../guest/shards.js';
import { runScript } from './script.js';

const root = resolve(fileURLToPath(new URL('../../', import.meta.url)));

function statuses(r: TestKernelResult): Map<string, string> {
  return new Map(r.result.tests.map((t) => [t.name, t.status]));
}

async function main(): Promise<number> {
  installSignalHandlers();
  const buildDir = resolve(process.argv[2] ?? '');
  if (!process.argv[2])
    throw new Error(
      'usage: npm run bench:shards -- <build-dir> (a kbuild O= directory with bzImage and lib/test_hmm.ko)',
    );
  const srcDir = realpathSync(join(buildDir, 'source'));
  const cache = cacheLayout(cacheRoot({}));
  const reporter = createReporter({ throttleMs: 10_000 });
  const signal = interruptSignal();
  const common = { srcDir, buildDir, cache, reporter, signal, accel: 'tcg' as const };
  try {
    const t0 = Date.now();
    const serial = await testKernel({ ...common });
    const serialMs = Date.now() - t0;
    const cases = serial.result.tests.map((t) => t.name);
    const shards = planShards(cases, 2);
    const alone: TestKernelResult[] = [];
    const aloneMs: number[] = [];
    for (const s of shards) {
      const t1 = Date.now();
      alone.push(await testKernel({ ...common, testArgs: s.testArgs }));
      aloneMs.push(Date.now() - t1);
    }
    const t2 = Date.now();
    const together = await testKernel({ ...common, shards: 2 });
    const togetherMs = Date.now() - t2;
    const ref = statuses(serial);
    const differs: Array<{ test: string; serial: string; alone?: string; sideBySide?: string }> = [];
    for (const name of cases) {
      const owner = shards.findIndex((s) => s.cases.includes(name));
      const a = statuses(alone[owner]!).get(name);
      const b = statuses(together).get(name);
      if (a !== ref.get(name) || b !== ref.get(name))
        differs.push({ test: name, serial: ref.get(name)!, alone: a, sideBySide: b });
    }
    const weights = Object.fromEntries(
      serial.result.tests.map((t) => [t.name, Number(((t.durationMs ?? 1000) / 1000).toFixed(2))]),
    );
    const out = {
      date: new Date().toISOString(),
      buildDir,
      kernel: serial.result.session.info.kernel,
      accel: serial.accel,
      serial: { ms: serialMs, counts: serial.result.counts },
      shards: shards.map((s, i) => ({ cases: s.cases.length, aloneMs: aloneMs[i], counts: alone[i]!.result.counts })),
      sideBySide: { ms: togetherMs, counts: together.result.counts, shape: together.shape },
      differs,
      caseSeconds: weights,
    };
    mkdirSync(join(root, 'bench'), { recursive: true });
    writeFileSync(join(root, 'bench', 'shards.json'), `${JSON.stringify(out, null, 2)}\n`);
    process.stdout.write(
      `serial ${formatMs(serialMs)}; shards alone ${aloneMs.map(formatMs).join(' + ')}; side by side ${formatMs(togetherMs)}\n`,
    );
    process.stdout.write(
      differs.length
        ? `${differs.length} cases differ when split:\n${differs.map((d) => `  ${d.test}: serial ${d.serial}, alone ${d.alone}, side by side ${d.sideBySide}`).join('\n')}\n`
        : `all ${cases.length} cases have the same status serial, alone and side by side\n`,
    );
    return differs.length ? 1 : 0;
  } finally {
    await runCleanup();
  }
}

runScript('bench:shards', main);
