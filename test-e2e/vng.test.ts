import t from 'tap';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheLayout, cacheRoot } from '../src/common/cache.js';
import { which } from '../src/common/exec.js';
import { createReporter, formatMs } from '../src/common/progress.js';
import { buildKernel } from '../src/build/build.js';
import { configure, resolveConfigInputs } from '../src/kconfig/configure.js';
import { prepareDefaultTree } from '../src/tree/default-tree.js';
import { acquireSlot } from '../src/tree/slots.js';
import { testKernel } from '../src/guest/test-kernel.js';
import { runnerFragments } from '../src/guest/vng-config.js';

// End to end with the real virtme-ng: the default tree with the default config plus
// kernel-configs/vng.config (what `--runner vng` builds), booted by `vng`, all 58 cases with
// device-coherent memory; a watchdog kill leaves nothing behind; `hmmci run --runner vng` finds
// the planted regression. virtme-ng is not packaged in Debian 12 and CI machines have no network
// to fetch it, so this runs only where `vng` is on PATH (README "virtme-ng" says how).
const vng = which('vng');
if (!vng) {
  t.comment(
    'skipped: `vng` is not on PATH. virtme-ng is not packaged in Debian 12 or on npm, so CI cannot install it; README "virtme-ng" says how to put it on PATH (github arighi/virtme-ng run by /usr/bin/python3).',
  );
  t.plan(0, 'vng is not on PATH');
} else {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const cache = cacheLayout(cacheRoot());
  const reporter = createReporter({ throttleMs: 15_000 });
  const nice = Number(process.env.HMMCI_E2E_NICE ?? 10);
  const work = mkdtempSync(join(tmpdir(), 'hmmci-e2e-vng-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));

  const hmmci = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(root, 'bin', 'hmmci.js'), ...args],
        { cwd: root, maxBuffer: 256 * 1024 * 1024, timeout: 50 * 60_000 },
        (err, stdout, stderr) => {
          const code = err
            ? typeof (err as { code?: unknown }).code === 'number'
              ? (err as { code: number }).code
              : 1
            : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });

  /** Processes whose command line mentions `needle` (a run's own log directory). */
  const processesWith = (needle: string): string[] =>
    execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(needle) && !l.includes(' ps -eo'));

  t.test(
    'vng boots the vng build: 58 of 58 pass with coherent memory; a watchdog kill leaves no process',
    async (t) => {
      const tree = await prepareDefaultTree({ cache, reporter });
      const inputs = resolveConfigInputs({ kconfig: runnerFragments('vng') });
      const slot = await acquireSlot({ tree, rev: tree.baseline, configKey: inputs.key, cache, reporter });
      t.teardown(() => slot.release());
      await configure({ srcDir: slot.worktree, buildDir: slot.buildDir, inputs, reporter });
      const build = await buildKernel({ srcDir: slot.worktree, buildDir: slot.buildDir, nice, reporter });
      t.comment(`vng config build: ${formatMs(build.ms)} (${build.compiled} compiled)`);

      const r = await testKernel({
        srcDir: slot.worktree,
        buildDir: slot.buildDir,
        runner: 'vng',
        cache,
        reporter,
        logDir: join(work, 'clean'),
      });
      t.same(r.result.counts, { pass: 58 }, 'all 58 pass under vng');
      t.same(r.result.events, []);
      t.equal(r.runner, 'vng');
      t.equal(r.exitCode, 0, "vng returned the script's status (hmm-tests' 0)");
      t.match(r.coherent, { enabled: true, devices: 4 }, 'the four dmirror devices, two of them coherent');
      const log = readFileSync(r.consoleLogPath, 'utf8');
      t.match(log, /Linux version 6\.12\./, 'kernel console in the log');
      t.match(log, /HMMCI-EXIT status=0/);
      t.match(log, /Command line: .*root=\/dev\/root.*memmap=512M\$0x40000000/);
      t.comment(`vng boot + 58 cases: ${formatMs(r.timings.guestMs)} (${r.accel})`);

      // A watchdog kill: hmm-tests' first case may run 1 ms, the guest is killed with its group.
      const killed = await testKernel({
        srcDir: slot.worktree,
        buildDir: slot.buildDir,
        runner: 'vng',
        cache,
        reporter,
        logDir: join(work, 'killed'),
        timeouts: { testMs: 1 },
      });
      t.match(killed.killed, { reason: 'test' });
      t.ok(
        killed.result.tests.some((x) => x.status === 'timeout'),
        'the running case is a timeout',
      );
      t.same(processesWith(join(work, 'killed')), [], 'no vng, QEMU or virtiofsd left running');
    },
  );

  t.test('hmmci run --runner vng: exactly the planted regression, 58 cases on both sides', async (t) => {
    const r = await hmmci(['run', 'fixtures/series/break-test-at-2.mbox', '--runner', 'vng', '--json']);
    t.equal(r.code, 1, 'exit 1', { stderr: r.stderr.slice(-3000) });
    const report = JSON.parse(r.stdout) as {
      regressions: Array<{ name: string; baseline: string; patched: string }>;
      baseline: { counts: Record<string, number> };
      patched: { counts: Record<string, number> };
      env: Record<string, string>;
    };
    t.same(
      report.regressions.map(({ name, baseline, patched }) => ({ name, baseline, patched })),
      [{ name: 'hmm2.hmm2_device_coherent.snapshot', baseline: 'pass', patched: 'fail' }],
    );
    t.same(report.baseline.counts, { pass: 58 });
    t.same(report.patched.counts, { pass: 57, fail: 1 });
    t.match(report.env, { runner: 'vng' });
  });
}
