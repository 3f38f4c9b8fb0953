import t from 'tap';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { baseFromBaselineCache, baselinesOf, endsFromRuns, sameJob } from '../../src/bisect/cached-ends.js';
import { cacheLayout } from '../../src/common/cache.js';
import type { RunRecord } from '../../src/report/record.js';
import { BaselineStore } from '../../src/stages/baseline-store.js';
import { createRunDir, writeRecord } from '../../src/run/run-dir.js';
import { patchsetHash } from '../../src/run/patchset-hash.js';
import { tempDir } from '../../tools/fake-kernel/fixture.js';
import { loadResults } from './history.js';

const work = tempDir('hmmci-bisect-ends-');
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const BASE = 'a3c1f0e2b4d6a8c0e2f4a6b8c0d2e4f6a8b0c2d4';
const HASH = patchsetHash([
  'diff --git a/lib/test_hmm.c b/lib/test_hmm.c\n…1\n',
  'diff --git a/lib/test_hmm.c b/lib/test_hmm.c\n…2\n',
]);
const variant = {
  fragments: ['/src/kernel-configs/base-x86_64-qemu.config', '/src/kernel-configs/hmm.config'],
  extra: [],
};
const GCC = 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0';

/** A finished `hmmci run` of break-test-at-2.mbox as record.json keeps it. */
function record(id: string, dir: string, over: Partial<RunRecord> = {}): RunRecord {
  const baseline = loadResults('baseline-58-pass.json');
  const patched = loadResults('patched-coherent-remote-snapshot-fails.json');
  return {
    schema: 1,
    id,
    createdAt: '2026-11-21T10:00:00Z',
    finishedAt: '2026-11-21T10:05:00Z',
    status: 'complete',
    exitCode: 1,
    runDir: dir,
    series: {
      input: 'fixtures/series/break-test-at-2.mbox',
      title: '[PATCH mm-unstable 0/4] lib/test_hmm: kernel-doc',
      patches: ['p1', 'p2', 'p3', 'p4'],
      base: BASE,
      patchsetHash: HASH,
    },
    config: { fragments: ['base-x86_64-qemu.config', 'hmm.config'], extra: [], configHash: 'c0ffee' },
    baseline: { ...baseline, cached: true, fromRun: 'earlier' },
    patched,
    reruns: [],
    comparison: null,
    stages: [],
    env: {
      kernel: '6.12.117',
      gcc: GCC,
      qemu: 'QEMU emulator version 7.2.19',
      accel: 'tcg',
      runner: 'qemu',
      configHash: 'c0ffee',
    },
    artifacts: { dir, patchedConsoles: [] },
    ...over,
  };
}

t.test('a prior run of the same series gives both ends', async (t) => {
  const cache = cacheLayout(join(work, 'c1'));
  const rd = createRunDir(cache, 'break-test-at-2.mbox');
  writeRecord(rd.dir, record(rd.id, rd.dir));
  const ends = endsFromRuns(cache, { patchsetHash: HASH, base: BASE, variant, runner: 'qemu', gcc: GCC });
  t.equal(ends.base?.kind, 'results');
  t.equal(ends.tip?.kind, 'results');
  t.match(ends.tip, { kind: 'results', built: false, ms: 0 });
  t.same(ends.from, [`run ${rd.id}`]);
  if (ends.tip?.kind === 'results')
    t.equal(ends.tip.result.tests.find((x) => x.name === 'hmm2.hmm2_device_coherent.snapshot')?.status, 'fail');
});

t.test('another series, base, config, runner, gcc or an unfinished run does not count', async (t) => {
  const r = record('x', '/x');
  const want = { patchsetHash: HASH, base: BASE, variant, runner: 'qemu', gcc: GCC };
  t.ok(sameJob(r, want));
  t.notOk(sameJob(r, { ...want, patchsetHash: patchsetHash(['other']) }));
  t.notOk(sameJob(r, { ...want, base: 'b'.repeat(40) }));
  t.notOk(sameJob(r, { ...want, variant: { ...variant, extra: ['CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS=y'] } }));
  t.notOk(sameJob(r, { ...want, variant: { fragments: [variant.fragments[0]!], extra: [] } }));
  t.notOk(sameJob(r, { ...want, runner: 'vng' }));
  t.notOk(sameJob(r, { ...want, gcc: 'gcc (Debian 14.2.0-19) 14.2.0' }));
  t.notOk(sameJob(record('x', '/x', { status: 'interrupted' }), want));
  t.notOk(sameJob(r, { ...want, patchsetHash: '' }), 'an empty series hash matches nothing');
  const cache = cacheLayout(join(work, 'c2'));
  t.same(endsFromRuns(cache, want), { from: [] }, 'no runs at all');
});

t.test('the baseline cache gives the base', async (t) => {
  const cache = cacheLayout(join(work, 'c3'));
  const key = { base: BASE, configHash: 'c0ffee', toolchain: GCC, runner: 'qemu' };
  t.same(baseFromBaselineCache(cache, key), { from: [] });
  new BaselineStore(cache).save(
    {
      key,
      result: loadResults('baseline-58-pass.json'),
      accel: 'tcg',
      fromRun: 'r1',
      createdAt: '2026-11-21T10:00:00Z',
    },
    {},
  );
  const ends = baseFromBaselineCache(cache, key);
  t.match(ends, { base: { kind: 'results', built: false }, from: ['baseline cache (run r1)'] });
  t.same(baseFromBaselineCache(cache, { ...key, configHash: 'other' }), { from: [] });
});

t.test('stored baselines of the commits a git bisect marked good (bisect-step without --test)', async (t) => {
  const cache = cacheLayout(join(work, 'c4'));
  t.same(baselinesOf(cache, [BASE], { runner: 'qemu', toolchain: GCC }), [], 'no baseline cache yet');
  const key = { base: BASE, configHash: 'c0ffee', toolchain: GCC, runner: 'qemu' };
  new BaselineStore(cache).save(
    {
      key,
      result: loadResults('baseline-58-pass.json'),
      accel: 'tcg',
      fromRun: 'r1',
      createdAt: '2026-11-21T10:00:00Z',
    },
    {},
  );
  new BaselineStore(cache).save(
    {
      key: { ...key, configHash: 'newer' },
      result: loadResults('baseline-58-pass.json'),
      accel: 'tcg',
      fromRun: 'r2',
      createdAt: '2026-11-21T11:00:00Z',
    },
    {},
  );
  new BaselineStore(cache).save(
    {
      key: { ...key, runner: 'vng' },
      result: loadResults('baseline-58-pass.json'),
      accel: 'kvm',
      fromRun: 'r3',
      createdAt: '2026-11-21T12:00:00Z',
    },
    {},
  );
  t.same(
    baselinesOf(cache, ['f'.repeat(40), BASE], { runner: 'qemu', toolchain: GCC }).map((e) => e.fromRun),
    ['r2', 'r1'],
    'newest first, this runner only',
  );
  t.same(baselinesOf(cache, ['f'.repeat(40)], { runner: 'qemu', toolchain: GCC }), []);
  t.same(baselinesOf(cache, [BASE], { runner: 'qemu', toolchain: 'gcc 14' }), []);
});
