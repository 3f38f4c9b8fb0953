import t from 'tap';
import { parseDuration, stageTimes } from '../../src/bench/cold-figures.js';

t.test('durations as the reporter prints them', async (t) => {
  t.equal(parseDuration('495ms'), 495);
  t.equal(parseDuration('13.2s'), 13_200);
  t.equal(parseDuration('2m07s'), 127_000);
  t.equal(parseDuration('1h02m'), 3_720_000);
});

t.test('stage times from the progress lines of hmmci build (captured from a real cold build)', async (t) => {
  const stderr = [
    '==> tree: slot [linux-6.12.117-7c77ec7409a4-1 @ e99202409799]',
    '    tree: slot [linux-6.12.117-7c77ec7409a4-1 @ e99202409799] 0ms: checking out a new worktree',
    '  ok tree: slot [linux-6.12.117-7c77ec7409a4-1 @ e99202409799] 15.1s — new worktree',
    '==> config [base-x86_64-qemu.config + hmm.config]',
    '  ok config [base-x86_64-qemu.config + hmm.config] 13.2s — config dc3c3c677d8b, 49 options landed',
    '    build [bzImage modules] 22.4s: 70 compiled, 16 linked — kernel/sched',
    '  ok build [bzImage modules] 10m06s — 1125 compiled, 190 linked',
  ].join('\n');
  t.same(stageTimes(stderr), { 'tree: slot': 15_100, config: 13_200, build: 606_000 });
});

t.test('StepRecorder: stages and named steps with wall time and CPU, progress counts not steps', async (t) => {
  const { StepRecorder } = await import('../../src/bench/cold-figures.js');
  let now = 0;
  let cpu = { self: 0, children: 0 };
  const rec = new StepRecorder(
    () => now,
    () => cpu,
  );
  const r = rec.reporter();
  const s = r.stage('config', 'x');
  s.update('make tinyconfig');
  now = 1000;
  cpu = { self: 0.5, children: 2 };
  s.update('1200 files'); // progress: no new step
  now = 3000;
  cpu = { self: 1, children: 4 };
  s.update('merge_config.sh');
  now = 3500;
  cpu = { self: 1, children: 4.5 };
  s.done();
  t.same(rec.steps, [
    { name: 'config / make tinyconfig', wallMs: 3000, childCpuS: 4, selfCpuS: 1 },
    { name: 'config / merge_config.sh', wallMs: 500, childCpuS: 0.5, selfCpuS: 0 },
    { name: 'config', wallMs: 3500, childCpuS: 4.5, selfCpuS: 1 },
  ]);
});
