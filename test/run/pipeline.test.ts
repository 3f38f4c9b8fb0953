import t from 'tap';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheLayout } from '../../src/common/cache.js';
import { createReporter, silentReporter } from '../../src/common/progress.js';
import { runSeries, type RunRequest } from '../../src/run/pipeline.js';
import { readRecord } from '../../src/run/run-dir.js';
import { materialize, readManifest } from '../../src/stages/manifest.js';
import { FakeStages, fixture } from './fake-stages.js';

const BREAK = fixture('fixtures/series/break-test-at-2.mbox');
const BENIGN = fixture('fixtures/series/benign-3.mbox');
const SNAPSHOT = 'hmm2.hmm2_device_coherent.snapshot';
const variant = { fragments: ['base-x86_64-qemu.config', 'hmm.config'], extra: [] };

function setup(t: { teardown(fn: () => void): void }) {
  const cache = cacheLayout(mkdtempSync(join(tmpdir(), 'hmmci-run-')));
  t.teardown(() => rmSync(cache.root, { recursive: true, force: true }));
  return cache;
}

function request(cache: ReturnType<typeof cacheLayout>, inputs: string[], over: Partial<RunRequest> = {}): RunRequest {
  return {
    inputs,
    variants: [variant],
    runner: 'qemu',
    reruns: 1,
    cache,
    reporter: silentReporter,
    signal: new AbortController().signal,
    machine: { cores: 2, memBytes: 24 * 1024 ** 3 },
    ...over,
  };
}

// The breaking series fails the coherent snapshot test every time it runs.
const breaks = ({ applied }: { applied: string | null }) =>
  applied === BREAK ? 'patched-coherent-remote-snapshot-fails' : 'baseline-58-pass';

t.test('a regression is confirmed by a rerun, reported with exit 1, and every artifact is kept', async (t) => {
  const cache = setup(t);
  const fake = new FakeStages(cache, { results: breaks });
  const out = await runSeries(request(cache, [BREAK]), fake);
  t.equal(out.exitCode, 1);
  const [r] = out.records;
  t.ok(r);
  if (!r) return;
  t.equal(r.status, 'complete');
  t.same(
    r.comparison?.regressions.map((x) => [x.name, x.baseline, x.patched, x.runs]),
    [[SNAPSHOT, 'pass', 'fail', ['fail', 'fail']]],
  );
  t.equal(fake.count('test patched'), 2, 'first run + one rerun');
  t.equal(fake.count('test baseline'), 1);
  t.same(
    fake.calls.filter((c) => c.startsWith('slot')),
    ['slot 1'],
    'baseline and patched share one slot',
  );
  t.equal(fake.released, 1);
  // run directory
  const files = [
    'series.mbox',
    'config',
    'patched.build.log',
    'baseline.build.log',
    'patched.console.log',
    'patched.rerun1.console.log',
    'baseline.console.log',
    'patched.results.json',
    'patched.rerun1.results.json',
    'baseline.results.json',
    'record.json',
  ];
  for (const f of files) t.ok(existsSync(join(r.runDir, f)), f);
  t.equal(readFileSync(join(r.runDir, 'series.mbox'), 'utf8'), readFileSync(BREAK, 'utf8'));
  const onDisk = readRecord(r.runDir);
  t.equal(onDisk.status, 'complete');
  t.equal(onDisk.exitCode, 1);
  t.same(
    onDisk.stages.map((s) => `${s.name}/${s.side}`),
    [
      'tree/run',
      'series/run',
      'slot/baseline',
      'config/baseline',
      'build/baseline',
      'test/baseline',
      'apply/patched',
      'config/patched',
      'build/patched',
      'test/patched',
      'rerun/patched',
    ],
  );
  t.match(onDisk.env, { kernel: '6.12.117', accel: 'tcg', runner: 'qemu', gcc: /^gcc /, qemu: /^QEMU/ });
  t.equal(onDisk.env.configHash, onDisk.config.configHash);
  t.equal(onDisk.series.commits?.length, 4);
  t.match(onDisk.series.patchsetHash, /^[0-9a-f]{64}$/);
  // manifest.json names what a later stage needs, each with its sha256
  t.equal(onDisk.artifacts.manifest, join(r.runDir, 'manifest.json'));
  const m = readManifest(join(r.runDir, 'manifest.json'));
  t.equal(m.job, r.id);
  t.same(m.entries.map((e) => e.path).sort(), [
    'baseline/.config',
    'baseline/arch/x86/boot/bzImage',
    'baseline/build.log',
    'baseline/console.log',
    'baseline/hmm-tests',
    'baseline/lib/test_hmm.ko',
    'baseline/results.json',
    'patched/.config',
    'patched/arch/x86/boot/bzImage',
    'patched/build.log',
    'patched/console.log',
    'patched/hmm-tests',
    'patched/lib/test_hmm.ko',
    'patched/rerun1/console.log',
    'patched/rerun1/results.json',
    'patched/results.json',
    'patched/series.mbox',
  ]);
  const results = m.entries.find((e) => e.path === 'patched/results.json');
  t.equal(
    results?.sha256,
    createHash('sha256')
      .update(readFileSync(join(r.runDir, 'patched.results.json')))
      .digest('hex'),
  );
  const copy = mkdtempSync(join(tmpdir(), 'hmmci-run-copy-'));
  t.teardown(() => rmSync(copy, { recursive: true, force: true }));
  const patchedKernel = materialize({ ...m, entries: m.entries.filter((e) => e.side === 'patched') }, copy, {
    side: 'patched',
  });
  t.equal(
    readFileSync(join(patchedKernel, 'arch/x86/boot/bzImage'), 'utf8'),
    `${BREAK}\n`,
    'the patched kernel can be laid out elsewhere',
  );
});

t.test('the baseline is cached by (base, config hash, toolchain, runner) and reused', async (t) => {
  const cache = setup(t);
  const first = new FakeStages(cache);
  await runSeries(request(cache, [BENIGN]), first);
  const second = new FakeStages(cache, { results: breaks });
  const out = await runSeries(request(cache, [BREAK]), second);
  t.equal(second.count('build baseline'), 0);
  t.equal(second.count('test baseline'), 0);
  t.equal(second.count('config baseline'), 1, 'the config is still made to know its hash');
  const r = out.records[0];
  t.equal(r?.baseline?.cached, true);
  t.equal(
    r?.baseline?.fromRun,
    (await runSeries(request(cache, [BENIGN]), new FakeStages(cache))).records[0]?.baseline?.fromRun,
  );
  t.ok(
    existsSync(join(r?.runDir ?? '', 'baseline.console.log')),
    'the cached baseline console log is copied into the run',
  );
  t.same(
    r?.stages.filter((s) => s.side === 'baseline').map((s) => s.name),
    ['slot', 'config'],
  );
  // A different runner is a different baseline.
  const vng = new FakeStages(cache);
  await runSeries(request(cache, [BENIGN], { runner: 'vng' }), vng);
  t.equal(vng.count('test baseline'), 1);
  // --no-baseline-cache recomputes.
  const fresh = new FakeStages(cache);
  await runSeries(request(cache, [BENIGN], { useBaselineCache: false }), fresh);
  t.equal(fresh.count('build baseline'), 1);
});

t.test('a failure the rerun does not reproduce is flaky: exit 0', async (t) => {
  const cache = setup(t);
  const fake = new FakeStages(cache, {
    results: ({ applied, call }) =>
      applied && call === 0 ? 'patched-migrate-multiple-fails-once' : 'baseline-58-pass',
  });
  const out = await runSeries(request(cache, [BENIGN]), fake);
  t.equal(out.exitCode, 0);
  t.same(
    out.records[0]?.comparison?.flaky.map((f) => f.name),
    ['hmm.hmm_device_private.migrate_multiple'],
  );
});

t.test('--reruns 0 takes the first run at its word; no rerun when nothing changed', async (t) => {
  const cache = setup(t);
  const fake = new FakeStages(cache, {
    results: ({ applied, call }) =>
      applied && call === 0 ? 'patched-migrate-multiple-fails-once' : 'baseline-58-pass',
  });
  const out = await runSeries(request(cache, [BENIGN], { reruns: 0 }), fake);
  t.equal(out.exitCode, 1);
  const clean = new FakeStages(cache);
  await runSeries(request(cache, [BENIGN], { reruns: 3 }), clean);
  t.equal(clean.count('test patched'), 1);
});

t.test('several series: one baseline, first job in its slot, the others in their own', async (t) => {
  const cache = setup(t);
  const fake = new FakeStages(cache, { results: breaks });
  const out = await runSeries(request(cache, [BENIGN, BREAK]), fake);
  t.equal(out.exitCode, 1, 'one job regressed');
  t.same(
    out.records.map((r) => r.exitCode),
    [0, 1],
  );
  t.equal(fake.count('test baseline'), 1, 'baseline computed once');
  t.equal(fake.count('slot'), 2);
  t.equal(out.records[0]?.batch, out.records[1]?.batch);
  t.ok(out.records[0]?.batch);
  t.not(out.records[0]?.runDir, out.records[1]?.runDir);
  t.equal(fake.released, 2);
  t.same(out.plan, { builds: 1, buildJobs: 2, guests: 1 });
});

t.test('config variants are jobs with their own baselines', async (t) => {
  const cache = setup(t);
  const fake = new FakeStages(cache);
  const out = await runSeries(
    request(cache, [BENIGN], {
      variants: [
        { name: 'default', ...variant },
        { name: 'thp-always', fragments: variant.fragments, extra: ['CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS=y'] },
      ],
    }),
    fake,
  );
  t.equal(out.records.length, 2);
  t.equal(fake.count('test baseline'), 2);
  t.same(
    out.records.map((r) => r.config.variant),
    ['default', 'thp-always'],
  );
  t.not(out.records[0]?.config.configHash, out.records[1]?.config.configHash);
});

t.test('a series that does not apply: exit 4, worktree reset, nothing built for it', async (t) => {
  const cache = setup(t);
  const fake = new FakeStages(cache, { applyFails: [BREAK] });
  const out = await runSeries(request(cache, [BREAK]), fake);
  t.equal(out.exitCode, 4);
  const r = out.records[0];
  t.equal(r?.status, 'failed');
  t.match(r?.error, { exitCode: 4, message: /does not apply/, details: ['lib/test_hmm.c: hunk #1 FAILED'] });
  t.equal(fake.count('build patched'), 0);
  t.ok(fake.resets >= 1);
  t.ok(r?.baseline, 'the baseline is still reported');
  t.equal(readRecord(r?.runDir ?? '').exitCode, 4);
});

t.test('with several series, one that does not apply does not stop the others', async (t) => {
  const cache = setup(t);
  const fake = new FakeStages(cache, { applyFails: [BREAK] });
  const out = await runSeries(request(cache, [BENIGN, BREAK]), fake);
  t.same(
    out.records.map((r) => r.exitCode),
    [0, 4],
  );
  t.equal(out.exitCode, 4);
});

t.test('patched build failure: exit 5 with the build log kept', async (t) => {
  const cache = setup(t);
  const out = await runSeries(request(cache, [BREAK]), new FakeStages(cache, { buildFails: 'patched' }));
  t.equal(out.exitCode, 5);
  const r = out.records[0];
  t.ok(existsSync(join(r?.runDir ?? '', 'patched.build.log')));
  t.equal(r?.artifacts.patchedBuildLog, join(r?.runDir ?? '', 'patched.build.log'));
});

t.test('a baseline that does not build or boot: exit 6 and nothing cached', async (t) => {
  const cache = setup(t);
  const out = await runSeries(request(cache, [BREAK]), new FakeStages(cache, { buildFails: 'baseline' }));
  t.equal(out.exitCode, 6);
  t.match(out.records[0]?.error?.message, /unpatched baseline does not build/);
  const boot = await runSeries(request(cache, [BREAK]), new FakeStages(cache, { guestFails: 'baseline' }));
  t.equal(boot.exitCode, 6);
  t.match(boot.records[0]?.error?.message, /does not boot or produced no results/);
  const again = new FakeStages(cache);
  await runSeries(request(cache, [BREAK]), again);
  t.equal(again.count('build baseline'), 1, 'a broken baseline was not cached');
});

t.test('a patched kernel that produces no results regressed (the baseline did): exit 1', async (t) => {
  const cache = setup(t);
  const out = await runSeries(request(cache, [BREAK]), new FakeStages(cache, { guestFails: 'patched' }));
  t.equal(out.exitCode, 1);
  t.match(out.records[0]?.error?.message, /patched kernel produced no hmm-tests results \(the baseline did\)/);
  t.ok(existsSync(join(out.records[0]?.runDir ?? '', 'patched.console.log')));
});

t.test('an interrupt stops the job and marks its run directory', async (t) => {
  const cache = setup(t);
  const ac = new AbortController();
  const fake = new FakeStages(cache, {
    testMs: 200,
    onTest: ({ applied }) => {
      if (applied) setTimeout(() => ac.abort(new Error('interrupted by SIGINT')), 20);
    },
  });
  const out = await runSeries(request(cache, [BREAK], { signal: ac.signal }), fake);
  const r = out.records[0];
  t.equal(r?.status, 'interrupted');
  t.equal(r?.exitCode, 130);
  t.ok(existsSync(join(r?.runDir ?? '', 'interrupted')));
  t.equal(readRecord(r?.runDir ?? '').status, 'interrupted');
  t.ok(fake.resets >= 1, 'worktree reset');
  t.equal(fake.released, 1, 'slot released');
});

t.test('two runs at once: the second waits for the baseline lock and reuses the result', async (t) => {
  const cache = setup(t);
  const a = new FakeStages(cache, { testMs: 150 });
  const b = new FakeStages(cache, { testMs: 150 });
  const [ra, rb] = await Promise.all([runSeries(request(cache, [BENIGN]), a), runSeries(request(cache, [BREAK]), b)]);
  t.equal(a.count('test baseline') + b.count('test baseline'), 1, 'computed by exactly one of them');
  t.equal(ra.exitCode, 0);
  t.equal(rb.exitCode, 0);
  t.not(ra.records[0]?.runDir, rb.records[0]?.runDir);
});

t.test('progress: each stage is printed once, with its side', async (t) => {
  const cache = setup(t);
  let text = '';
  const reporter = createReporter({
    stream: {
      write: (s: string) => {
        text += s;
        return true;
      },
    },
    throttleMs: 0,
  });
  await runSeries(request(cache, [BENIGN], { reporter }), new FakeStages(cache));
  t.match(text, /==> build \[baseline\]\n {2}ok build \[baseline\] \d+ms/);
  t.match(text, /==> build \[patched\]/);
  t.equal((text.match(/==> test \[patched\]/g) ?? []).length, 1);
});

t.test('a rerun that produces nothing leaves the first run to decide', async (t) => {
  const cache = setup(t);
  const fake = new FakeStages(cache, { results: breaks });
  const test = fake.test.bind(fake);
  fake.test = async (req, ctx) => {
    const o = await test(req, ctx);
    if (fake.count('test patched') === 2 && o.ok)
      return {
        ok: false,
        kind: 'no-results',
        message: 'The guest printed nothing after "Booting from ROM".',
        logPath: o.consoleLogPath,
        details: [],
      };
    return o;
  };
  const out = await runSeries(request(cache, [BREAK]), fake);
  t.equal(out.exitCode, 1);
  t.same(
    out.records[0]?.comparison?.regressions.map((r) => [r.name, r.runs]),
    [[SNAPSHOT, ['fail']]],
  );
  t.equal(out.records[0]?.reruns.length, 1);
});

t.test(
  'the patched kernel builds while the baseline boots from a snapshot of its kernel files; results are the same as one after the other',
  async (t) => {
    const cache = setup(t);
    const overlapped = new FakeStages(cache, { results: breaks, testMs: 100 });
    const a = await runSeries(request(cache, [BREAK]), overlapped);
    const line = overlapped.timeline;
    const boot = line.findIndex((l) => l.startsWith('test baseline /'));
    t.match(
      line[boot],
      new RegExp(`^test baseline ${cache.builds}/snapshots/.*-baseline/baseline$`),
      'the baseline boots from a snapshot',
    );
    t.ok(
      line.indexOf('build patched') < line.indexOf('test baseline done'),
      `the patched build ran during the baseline boot (${line.join(' | ')})`,
    );
    t.notOk(
      existsSync(join(cache.builds, 'snapshots', `${a.records[0]?.id}-baseline`)),
      'the snapshot is gone afterwards',
    );
    const serial = new FakeStages(cache, { results: breaks, testMs: 100 });
    const b = await runSeries(request(cache, [BREAK], { overlapBaselineBoot: false, useBaselineCache: false }), serial);
    t.ok(
      serial.timeline.indexOf('test baseline done') < serial.timeline.indexOf('build patched'),
      'without overlap: one after the other',
    );
    t.match(
      serial.timeline.find((l) => l.startsWith('test baseline /')),
      new RegExp(`^test baseline ${cache.builds}/linux-[^/]*-1$`),
      "in the slot's build dir",
    );
    const same = (r: (typeof a.records)[number] | undefined) => ({
      exit: r?.exitCode,
      baseline: r?.baseline?.counts,
      patched: r?.patched?.counts,
      reruns: r?.reruns.map((x) => x.counts),
      comparison: r?.comparison,
      stages: r?.stages.map((s) => `${s.name}/${s.side}`),
    });
    t.same(same(a.records[0]), same(b.records[0]), 'same record either way');
  },
);

t.test(
  'a series that changes hmm-tests boots its baseline in the slot first (the guest compiles hmm-tests from the tree)',
  async (t) => {
    const cache = setup(t);
    const fake = new FakeStages(cache, { testMs: 50 });
    await runSeries(request(cache, [BENIGN]), fake);
    t.ok(fake.timeline.indexOf('test baseline done') < fake.timeline.indexOf('build patched'));
    t.notOk(fake.timeline.some((l) => l.includes('/snapshots/')));
    const vng = new FakeStages(cache, { results: breaks });
    await runSeries(request(cache, [BREAK], { runner: 'vng' }), vng);
    t.notOk(
      vng.timeline.some((l) => l.includes('/snapshots/')),
      'vng boots a build dir of its own: no snapshot',
    );
  },
);

t.test(
  'a baseline that breaks while the patched kernel builds: exit 6 all the same, the slot reset and released once',
  async (t) => {
    const cache = setup(t);
    const fake = new FakeStages(cache, { guestFails: 'baseline', testMs: 50 });
    const out = await runSeries(request(cache, [BREAK]), fake);
    t.equal(out.exitCode, 6);
    t.match(out.records[0]?.error?.message, /does not boot or produced no results/);
    t.equal(fake.released, 1);
    t.ok(fake.resets >= 1);
  },
);

t.test(
  'hmm-tests is prepared while each kernel builds, and the boot waits for it; a build failure waits for it too',
  async (t) => {
    const cache = setup(t);
    const fake = new FakeStages(cache, { results: breaks, prepareMs: 50 });
    const out = await runSeries(request(cache, [BREAK], { overlapBaselineBoot: false }), fake);
    t.equal(out.records[0]?.exitCode, 1, 'the same answer as without the stage');
    const line = fake.timeline;
    for (const side of ['baseline', 'patched']) {
      const at = (l: string) => line.indexOf(l);
      t.ok(
        at(`prepare ${side}`) >= 0 && at(`prepare ${side}`) < at(`build ${side}`),
        `${side}: prepared from the start`,
      );
      const boot = line.findIndex((l) => l.startsWith(`test ${side} /`));
      t.ok(at(`build ${side}`) < at(`prepare ${side} done`), `${side}: the build ran meanwhile (${line.join(' | ')})`);
      t.ok(at(`prepare ${side} done`) < boot, `${side}: booted after it was ready`);
    }
    const failing = new FakeStages(cache, { buildFails: 'patched', prepareMs: 50 });
    const failed = await runSeries(request(cache, [BREAK]), failing);
    t.equal(failed.records[0]?.exitCode, 5);
    const tl = failing.timeline;
    t.ok(
      tl.indexOf('prepare patched done') >= 0 && tl.indexOf('prepare patched done') < tl.lastIndexOf('reset'),
      `the worktree is reset only after hmm-tests was compiled (${tl.join(' | ')})`,
    );
  },
);

t.test('a patched run in two guests keeps both console logs in the run directory', async (t) => {
  const cache = setup(t);
  const out = await runSeries(request(cache, [BENIGN]), new FakeStages(cache, { twoGuests: true }));
  const a = out.records[0]!.artifacts;
  t.same(a.patchedConsoles, [join(a.dir, 'patched.console.log')]);
  t.same(a.patchedOtherConsoles, [join(a.dir, 'patched.console-shard2.log')]);
  t.equal(readFileSync(join(a.dir, 'patched.console-shard2.log'), 'utf8'), 'console patched 0 shard 2\n');
  const one = await runSeries(request(cache, [BENIGN]), new FakeStages(cache));
  t.equal(one.records[0]!.artifacts.patchedOtherConsoles, undefined, 'one guest: nothing more');
});
