import t from 'tap';
import { buildKey, queueNeeds, type BuildJobData } from '../../src/fleet/jobs.js';
import { isInfraFailure } from '../../src/fleet/test-job.js';
import { bounds, buildFor, type BisectJobData } from '../../src/fleet/bisect-job.js';
import { HmmciError } from '../../src/common/errors.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import { readFileSync } from 'node:fs';
import type { TestRunResult } from '../../src/results/types.js';

const build: BuildJobData = {
  kind: 'build',
  tree: { kind: 'default', id: 'linux-6.12.117', baseline: 'a'.repeat(40) },
  base: 'a'.repeat(40),
  series: { mbox: 'f'.repeat(64), patchsetHash: 'p1', title: 'x' },
  variant: { fragments: [{ name: 'hmm.config', text: 'CONFIG_HMM_MIRROR=y\n' }], extra: [], configKey: 'k1' },
  toolchain: 'gcc 12.2',
  arch: 'x86_64',
  store: '/s',
};

t.test('build job ids: one per (tree, base, patchset or baseline, config, toolchain, arch)', async (t) => {
  const k = buildKey(build);
  t.match(k, /^b-[0-9a-f]{32}$/);
  t.equal(
    buildKey({ ...build, series: { ...build.series!, mbox: 'e'.repeat(64), title: 'other mail, same patches' } }),
    k,
    'the same patches resent are the same build',
  );
  const baseline = buildKey({ ...build, series: null });
  t.not(baseline, k);
  t.equal(
    buildKey({ ...build, series: null, toolchain: 'gcc 12.2' }),
    baseline,
    'one baseline per base for every series',
  );
  for (const change of [
    { base: 'b'.repeat(40) },
    { toolchain: 'gcc 13' },
    { arch: 'aarch64' },
    { variant: { ...build.variant, configKey: 'k2' } },
  ]) {
    t.not(buildKey({ ...build, ...change }), k, `${Object.keys(change)[0]} changes the key`);
  }
  t.not(
    buildKey({ ...build, series: { ...build.series!, upTo: 2 } }),
    k,
    'a bisect step (first 2 patches) is its own build',
  );
});

t.test('queues in words', async (t) => {
  t.match(queueNeeds('build-aarch64'), /build kernels for aarch64 .*aarch64-linux-gnu-gcc/);
  t.match(queueNeeds('test-x86_64-vng'), /boot x86_64 kernels with virtme-ng/);
  t.match(queueNeeds('test-riscv64-qemu'), /qemu-system-riscv64/);
});

t.test('a hang or a lost guest is retried; a result is not', async (t) => {
  // The guest stage's own words for its watchdogs (src/guest/guest-process.ts, test-kernel.ts).
  const noResults = (why: string) => ({
    ok: false as const,
    kind: 'no-results' as const,
    details: [],
    message: `The guest booted from /b never ran hmm-tests: ${why}. The console log shows how far it got.`,
  });
  t.ok(isInfraFailure(noResults('the guest printed no kernel banner within 10 s')), 'no kernel banner');
  t.ok(isInfraFailure(noResults('hmm-tests did not start within 180 s of boot')), 'hang at boot');
  t.notOk(
    isInfraFailure(noResults('Kernel panic - not syncing: VFS: Unable to mount root fs')),
    "a panic at boot is the kernel's result",
  );
  t.notOk(isInfraFailure({ ok: false, kind: 'build', details: [], message: 'hmm-tests does not compile' }));
  t.ok(isInfraFailure(new HmmciError('qemu failed', { exitCode: ExitCode.INFRA })), 'QEMU would not start');
  t.notOk(isInfraFailure(new HmmciError('bad input', { exitCode: ExitCode.BAD_INPUT })));
  t.ok(isInfraFailure(new Error('ECONNRESET')));
});

t.test('bisect step data: build per commit, {good, bad, step}', async (t) => {
  const result = (n: string) =>
    JSON.parse(readFileSync(new URL(`../../fixtures/results/${n}.json`, import.meta.url), 'utf8')) as TestRunResult;
  const commits = [0, 1, 2, 3].map((index) => ({ index, sha: String(index).repeat(40), subject: `c${index}` }));
  const d: BisectJobData = {
    kind: 'bisect',
    build,
    runner: 'qemu',
    commits,
    patterns: [],
    buildFailureIsBad: false,
    redis: 'redis://x',
    outcomes: {},
    state: { good: 0, bad: 3, step: 0 },
  };
  t.equal(buildFor(d, 0).series, null, 'commit 0 is the baseline build');
  t.equal(buildFor(d, 2).series?.upTo, 2);
  t.equal(buildFor(d, 3).series?.upTo, undefined, "the tip is the whole series (the same job as run's)");
  const pass = { kind: 'results' as const, result: result('baseline-58-pass'), ms: 1, built: true };
  // The baseline with its snapshot case failing (constructed from the fixture).
  const broken = result('baseline-58-pass');
  broken.tests = broken.tests.map((x) =>
    x.name === 'hmm2.hmm2_device_coherent.snapshot' ? { ...x, status: 'fail' as const } : x,
  );
  const fail = { kind: 'results' as const, result: broken, ms: 1, built: true };
  d.outcomes = { '0:0': pass, '3:0': fail };
  t.same(bounds(d), { good: 0, bad: 3, step: 2 });
  d.outcomes['1:0'] = pass;
  d.outcomes['2:0'] = fail;
  t.same(bounds(d), { good: 1, bad: 2, step: 4 });
});
