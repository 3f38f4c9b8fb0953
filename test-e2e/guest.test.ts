import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheLayout, cacheRoot } from '../src/common/cache.js';
import { createReporter, formatMs } from '../src/common/progress.js';
import { buildKernel } from '../src/build/build.js';
import { configure, resolveConfigInputs } from '../src/kconfig/configure.js';
import { prepareDefaultTree } from '../src/tree/default-tree.js';
import { acquireSlot } from '../src/tree/slots.js';
import { testKernel } from '../src/guest/test-kernel.js';
import { readMachineFacts } from '../src/guest/accel.js';

// End to end: the default tree (linux-source-6.12) at its baseline, the default config, a real
// kbuild build, then real QEMU boots running all 58 hmm-tests cases with device-coherent memory
// reserved. Figures for the report are printed as tap comments.
const root = fileURLToPath(new URL('../', import.meta.url));
const cache = cacheLayout(cacheRoot());
const reporter = createReporter({ throttleMs: 15_000 });
const nice = Number(process.env.HMMCI_E2E_NICE ?? 10);
const work = mkdtempSync(join(tmpdir(), 'hmmci-e2e-guest-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

function hmmci(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'bin', 'hmmci.js'), ...args],
      { cwd: root, env, maxBuffer: 64 * 1024 * 1024, timeout: 30 * 60_000 },
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
}

t.test('default tree → build → boot: 58 of 58 pass, none skipped', async (t) => {
  const tree = await prepareDefaultTree({ cache, reporter });
  const inputs = resolveConfigInputs();
  const slot = await acquireSlot({ tree, rev: tree.baseline, configKey: inputs.key, cache, reporter });
  t.teardown(() => slot.release());
  await configure({ srcDir: slot.worktree, buildDir: slot.buildDir, inputs, reporter });
  const build = await buildKernel({ srcDir: slot.worktree, buildDir: slot.buildDir, nice, reporter });
  t.comment(`build: ${formatMs(build.ms)}`);

  // A machine file of our own: the first run probes KVM like a fresh machine does.
  const fresh = { ...cache, machineFile: join(work, 'machine.json') };
  const first = await testKernel({
    srcDir: slot.worktree,
    buildDir: slot.buildDir,
    cache: fresh,
    reporter,
    logDir: join(work, 'first'),
  });
  const r = first.result;
  t.same(r.counts, { pass: 58 }, 'all 58 pass');
  t.equal(r.tests.length, 58);
  t.notOk(
    r.tests.some((x) => x.status === 'skip'),
    'no device_coherent case skipped',
  );
  t.same(r.events, []);
  t.equal(first.runner, 'qemu');
  t.ok(first.accel === 'tcg' || first.accel === 'kvm');
  t.match(first.coherent, {
    enabled: true,
    memmap: 'memmap=512M$0x40000000',
    testHmmParams: ['spm_addr_dev0=0x40000000', 'spm_addr_dev1=0x50000000'],
    devices: 4,
  });
  t.ok(existsSync(first.consoleLogPath), 'console log saved');
  t.match(readFileSync(first.consoleLogPath, 'utf8'), /HMMCI-EXIT status=0/);
  const verdict = readMachineFacts(fresh.machineFile).kvm;
  t.ok(verdict, 'the KVM verdict is remembered');
  t.equal(verdict!.works, first.accel === 'kvm');
  t.comment(`accel ${first.accel} (${first.accelReason})`);
  t.comment(
    `KVM detection: ${first.timings.kvmProbeMs !== undefined ? formatMs(first.timings.kvmProbeMs) : 'no probe needed'}; hmm-tests compile ${formatMs(first.timings.hmmTestsMs)}; initramfs ${formatMs(first.timings.initramfsMs)}; boot-and-test ${formatMs(first.timings.guestMs)} (${first.accel})`,
  );
  t.comment(`coherent memory: ${first.coherent.description}`);
  const slowest = [...r.tests].sort((a, b) => (b.durationMs ?? 0) - (a.durationMs ?? 0)).slice(0, 3);
  t.comment(`slowest: ${slowest.map((x) => `${x.name} ${formatMs(x.durationMs ?? 0)}`).join(', ')}`);

  // Second run: the verdict is remembered (no probe), hmm-tests and the initramfs come from the cache.
  const second = await testKernel({
    srcDir: slot.worktree,
    buildDir: slot.buildDir,
    cache: fresh,
    reporter,
    logDir: join(work, 'second'),
  });
  t.same(second.result.counts, { pass: 58 });
  t.equal(second.timings.kvmProbeMs, undefined, 'no second KVM probe');
  t.equal(second.accel, first.accel);
  t.comment(
    `second run: boot-and-test ${formatMs(second.timings.guestMs)}, initramfs ${formatMs(second.timings.initramfsMs)} (cached), total ${formatMs(second.ms)}`,
  );

  // The CLI on the same build directory: JSON contract, exit 0, the log path printed.
  const cli = await hmmci(['test', slot.buildDir, '--json']);
  t.equal(cli.code, 0, cli.code === 0 ? 'hmmci test exits 0' : cli.stderr.slice(-2000));
  const j = JSON.parse(cli.stdout);
  t.same(j.counts, { pass: 58 });
  t.ok(Array.isArray(j.tests) && Array.isArray(j.events));
  t.match(cli.stderr, /console log: \S+console\.log/);
  // The vng backend boots the real virtme-ng on a vng build: test-e2e/vng.test.ts (its argv is
  // checked against a stand-in in the unit tests, test/guest).
});

t.test('hmmci parse --vmlinux decodes a trace (scripts/decode_stacktrace.sh of the default tree)', async (t) => {
  const tree = await prepareDefaultTree({ cache, reporter });
  const inputs = resolveConfigInputs();
  const slot = await acquireSlot({ tree, rev: tree.baseline, configKey: inputs.key, cache, reporter });
  t.teardown(() => slot.release());
  const vmlinux = join(slot.buildDir, 'vmlinux');
  t.ok(existsSync(vmlinux), 'the slot was built by the test above');
  const r = await hmmci([
    'parse',
    join(root, 'fixtures/logs/oops-no-panic.log'),
    '--vmlinux',
    vmlinux,
    '--tree',
    slot.worktree,
    '--json',
  ]);
  t.equal(r.code, 1, 'a crash fails the run');
  const j = JSON.parse(r.stdout);
  t.match(j.events[0].decoded, /trapping instruction/, 'the Code: bytes were disassembled');
});
