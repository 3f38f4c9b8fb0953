import t from 'tap';
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheLayout } from '../../src/common/cache.js';
import { silentReporter } from '../../src/common/progress.js';
import { historyPath, openCacheHistory, testHistory } from '../../src/history/index.js';
import { runSeries, type RunRequest } from '../../src/run/pipeline.js';
import { readRecord } from '../../src/run/run-dir.js';
import { FakeStages, fixture } from '../run/fake-stages.js';
import { runCli } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';

const BREAK = fixture('fixtures/series/break-test-at-2.mbox');
const BENIGN = fixture('fixtures/series/benign-3.mbox');
const SNAPSHOT = 'hmm2.hmm2_device_coherent.snapshot';
const variant = { fragments: ['base-x86_64-qemu.config', 'hmm.config'], extra: [] };

function request(cache: ReturnType<typeof cacheLayout>, inputs: string[]): RunRequest {
  return {
    inputs,
    variants: [variant],
    runner: 'qemu',
    reruns: 1,
    cache,
    reporter: silentReporter,
    signal: new AbortController().signal,
    machine: { cores: 2, memBytes: 24 * 1024 ** 3 },
  };
}

/**
 * Run directories made by the real run pipeline (src/run) over fake stages that return the
 * fixture results: the breaking series regresses the snapshot test, the benign one does not.
 */
async function runs(cache: ReturnType<typeof cacheLayout>) {
  const breaks = ({ applied }: { applied: string | null }) =>
    applied === BREAK ? 'patched-coherent-remote-snapshot-fails' : 'baseline-58-pass';
  const first = await runSeries(request(cache, [BREAK, BENIGN]), new FakeStages(cache, { results: breaks }));
  const second = await runSeries(request(cache, [BREAK]), new FakeStages(cache, { results: breaks }));
  return [...first.records, ...second.records];
}

t.test(
  'hmmci run records each job when it finishes; import rebuilds the same history from the run directories',
  async (t) => {
    const root = scratchDir('hmmci-hist-import-');
    const cache = cacheLayout(root);
    const records = await runs(cache);
    t.equal(records.length, 3);
    const db = openCacheHistory(cache);
    const count = (sql: string) => db.prepare(sql).pluck().get() as number;
    const snapshot = () => ({
      runs: count('SELECT count(*) FROM runs'),
      jobs: count('SELECT count(*) FROM jobs'),
      results: count('SELECT count(*) FROM results'),
      patchedAttempts: count("SELECT count(DISTINCT job_id || attempt) FROM results WHERE side = 'patched'"),
      stages: count('SELECT count(*) FROM stages'),
      builds: count('SELECT count(*) FROM builds'),
      envs: count('SELECT count(*) FROM environments'),
      changes: count("SELECT count(*) FROM changes WHERE label = 'REGRESSION'"),
    });
    const live = snapshot();
    t.match(
      live,
      { runs: 2, jobs: 3, envs: 1, changes: 2 },
      'two invocations (one a batch of two jobs), one environment, two regressions',
    );
    t.equal(live.patchedAttempts, 5, 'the breaking runs have a rerun each, the benign one none');
    t.ok(live.builds >= 3);
    db.close();

    rmSync(historyPath(cache));
    mkdirSync(join(cache.runs, 'not-a-run'));
    writeFileSync(join(cache.runs, 'not-a-run', 'record.json'), '{"garbled": ');
    const res = await runCli(['history', 'import', '--json'], { cacheDir: root });
    t.equal(res.code, 0, res.err);
    const summary = JSON.parse(res.out) as { imported: number; unreadable: Array<{ dir: string }> };
    t.equal(summary.imported, 3);
    t.same(
      summary.unreadable.map((u) => u.dir),
      [join(cache.runs, 'not-a-run')],
      'a garbled record is named, not fatal',
    );
    const again = openCacheHistory(cache);
    t.teardown(() => again.close());
    const count2 = (sql: string) => again.prepare(sql).pluck().get() as number;
    t.same(
      {
        ...live,
        runs: count2('SELECT count(*) FROM runs'),
        jobs: count2('SELECT count(*) FROM jobs'),
        results: count2('SELECT count(*) FROM results'),
      },
      live,
    );
    const [h] = testHistory(again, SNAPSHOT);
    t.equal(h?.rows.length, 3, 'three jobs');
    t.same(h?.rows.map((r) => r.patched.join(',')).sort(), ['fail,fail', 'fail,fail', 'pass']);
    t.equal(h?.rows.filter((r) => r.label === 'REGRESSION').length, 2);
    t.equal(readRecord(records[0]?.runDir as string).id, records[0]?.id);
  },
);

t.test('hmmci history <glob> and --flaky on the CLI', async (t) => {
  const root = scratchDir('hmmci-hist-cli-');
  const cache = cacheLayout(root);
  await runs(cache);
  const h = await runCli(['history', '*coherent.snapshot'], { cacheDir: root });
  t.equal(h.code, 0, h.err);
  // The two jobs of the first invocation start in the same millisecond or so: either order.
  t.match(
    h.out,
    /^hmm2\.hmm2_device_coherent\.snapshot: 2 of 6 results passed \(33\.3%\), 0 flips, current streak [24] × fail/m,
  );
  t.match(h.out, /when\s+run\s+series\s+base\s+config\s+baseline\s+patched\s+k\/N\s+time\s+change/);
  t.match(h.out, /fail,fail\s+0\/2\s+\S+\s+REGRESSION/);
  t.match(h.out, /pass\*\s+fail,fail/, 'the cached baseline is marked');
  const none = await runCli(['history', 'no.such.*'], { cacheDir: root });
  t.equal(none.code, 1);
  t.match(none.out, /No test matching "no\.such\.\*"/);
  const flaky = await runCli(['history', '--flaky'], { cacheDir: root });
  t.equal(flaky.code, 0);
  t.match(flaky.out, /No test flipped/);
  const usage = await runCli(['history'], { cacheDir: root });
  t.equal(usage.code, 2);
});

t.test('hmmci run labels a regression on a test that flipped before on the same base and config', async (t) => {
  const cache = cacheLayout(scratchDir('hmmci-hist-known-'));
  // Run 1: the benign series' first patched run fails the snapshot test, its rerun passes (a flake).
  const flake = ({ applied, call }: { applied: string | null; call: number }) =>
    applied === BENIGN && call === 0 ? 'patched-coherent-remote-snapshot-fails' : 'baseline-58-pass';
  const first = await runSeries(request(cache, [BENIGN]), new FakeStages(cache, { results: flake }));
  t.same(
    first.records[0]?.comparison?.flaky.map((f) => f.name),
    [SNAPSHOT],
  );
  t.equal(first.records[0]?.knownFlaky, undefined);
  // Run 2: a series that fails it every time: still a regression (exit 1), labelled known flaky.
  const breaks = ({ applied }: { applied: string | null }) =>
    applied === BREAK ? 'patched-coherent-remote-snapshot-fails' : 'baseline-58-pass';
  const second = await runSeries(request(cache, [BREAK]), new FakeStages(cache, { results: breaks }));
  const r = second.records[0];
  t.equal(second.exitCode, 1);
  t.same(r?.knownFlaky, [
    { test: SNAPSHOT, failed: 1, of: 1, flips: 2, label: 'known flaky (1 of 1 recent baseline runs failed)' },
  ]);
  t.same(readRecord(r?.runDir as string).knownFlaky, r?.knownFlaky, 'kept in record.json');
  const report = await runCli(['report', r?.id as string], { cacheDir: cache.root });
  t.match(
    report.out,
    /REGRESSION\s+hmm2\.hmm2_device_coherent\.snapshot[\s\S]*known flaky \(1 of 1 recent baseline runs failed\)/,
  );
  const json = await runCli(['report', r?.id as string, '--json'], { cacheDir: cache.root });
  t.match(JSON.parse(json.out), { knownFlaky: [{ test: SNAPSHOT }] });
});
