import t from 'tap';
import { renderJson, toJsonReport } from '../../src/report/index.js';
import { record } from './records.js';

t.test('--json keeps the contract names and shapes', async (t) => {
  const j = toJsonReport(
    record('baseline-58-pass', ['patched-coherent-remote-snapshot-fails', 'patched-coherent-remote-snapshot-fails']),
  );
  t.same(Object.keys(j).slice(0, 9), [
    'series',
    'baseline',
    'patched',
    'regressions',
    'fixed',
    'flaky',
    'stages',
    'env',
    'id',
  ]);
  t.same(Object.keys(j.baseline), ['tests', 'counts', 'events']);
  t.same(Object.keys(j.patched), ['tests', 'counts', 'events']);
  t.same(Object.keys(j.env), ['kernel', 'gcc', 'qemu', 'accel', 'runner', 'configHash']);
  t.same(
    j.regressions.map(({ name, baseline, patched }) => ({ name, baseline, patched })),
    [{ name: 'hmm2.hmm2_device_coherent.snapshot', baseline: 'pass', patched: 'fail' }],
  );
  t.same(j.stages[0], { name: 'tree', side: 'run', ms: 40 });
  t.equal(j.patched.counts.fail, 1);
  t.equal(j.regressed, true);
  t.equal(j.patchedRuns, 2);
  t.equal(j.baselineCached, true);
});

t.test('flaky and fixed lists', async (t) => {
  const flaky = toJsonReport(record('baseline-58-pass', ['patched-migrate-multiple-fails-once', 'baseline-58-pass']));
  t.same(
    flaky.flaky.map((f) => [f.name, f.runs]),
    [['hmm.hmm_device_private.migrate_multiple', ['fail', 'pass']]],
  );
  t.same(flaky.regressions, []);
  const fixed = toJsonReport(record('baseline-thp-always-4-fail-per-variant', ['baseline-58-pass']));
  t.equal(fixed.fixed.length, 8);
});

t.test('one record prints an object, several an array; both parse', async (t) => {
  const r = record('baseline-58-pass', ['baseline-58-pass']);
  t.equal(Array.isArray(JSON.parse(renderJson([r]))), false);
  t.equal(JSON.parse(renderJson([r, r])).length, 2);
});

t.test('a job without patched results keeps the shape', async (t) => {
  const j = toJsonReport(
    record('baseline-58-pass', ['baseline-58-pass'], {
      patched: null,
      comparison: null,
      reruns: [],
      status: 'failed',
      exitCode: 5,
      error: { message: 'build failed', exitCode: 5 },
    }),
  );
  t.same(j.patched, { tests: [], counts: {}, events: [] });
  t.same(j.regressions, []);
  t.equal(j.regressed, null);
  t.same(j.error, { message: 'build failed', exitCode: 5 });
});
