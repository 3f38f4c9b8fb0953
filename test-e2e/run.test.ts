import t from 'tap';
import { hmmci } from './helpers.js';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// End to end, real stages: the default tree from linux-source-6.12, a real kbuild build, a real
// QEMU boot running hmm-tests. The first run computes (and caches) the baseline; later runs
// reuse it, so the second series costs one incremental build and one or two boots.
const out = mkdtempSync(join(tmpdir(), 'hmmci-e2e-run-'));

t.test('a series whose patch breaks one hmm test: exit 1, exactly that test regressed', async (t) => {
  const junit = join(out, 'break.xml');
  const kcidb = join(out, 'break.kcidb.json');
  const r = await hmmci(['run', 'fixtures/series/break-test-at-2.mbox', '--json', '--junit', junit, '--kcidb', kcidb]);
  t.equal(r.code, 1, 'exit 1', { stderr: r.stderr.slice(-3000) });
  const report = JSON.parse(r.stdout) as {
    regressions: Array<{ name: string; baseline: string; patched: string }>;
    flaky: unknown[];
    baseline: { counts: Record<string, number> };
    env: Record<string, string>;
    stages: Array<{ name: string; side: string; ms: number }>;
    id: string;
  };
  t.same(
    report.regressions.map(({ name, baseline, patched }) => ({ name, baseline, patched })),
    [{ name: 'hmm2.hmm2_device_coherent.snapshot', baseline: 'pass', patched: 'fail' }],
  );
  t.equal(report.baseline.counts.pass, 58, 'the baseline passes all 58');
  t.match(report.env, { kernel: /^6\.12\./, accel: /^(tcg|kvm)$/, runner: 'qemu', configHash: /\w+/ });
  t.ok(report.stages.some((s) => s.name === 'build' && s.side === 'patched'));
  t.ok(existsSync(junit) && readFileSync(junit, 'utf8').includes('hmm2.hmm2_device_coherent.snapshot'));
  t.ok(existsSync(kcidb));
  // The run can be rendered again, and is listed.
  const again = await hmmci(['report', report.id]);
  t.equal(again.code, 1);
  t.match(again.stdout, /REGRESSION\s+hmm2\.hmm2_device_coherent\.snapshot\s+pass\s+fail/);
  const runs = await hmmci(['runs']);
  t.match(runs.stdout, new RegExp(report.id));
});

t.test('a benign series: exit 0, nothing regressed', async (t) => {
  const r = await hmmci(['run', 'fixtures/series/benign-3.mbox', '--json']);
  t.equal(r.code, 0, 'exit 0', { stderr: r.stderr.slice(-3000) });
  const report = JSON.parse(r.stdout) as {
    regressions: unknown[];
    patched: { counts: Record<string, number> };
    baselineCached: boolean;
  };
  t.same(report.regressions, []);
  t.equal(report.patched.counts.pass, 58);
  t.equal(report.baselineCached, true, 'the baseline of the first run is reused');
});
