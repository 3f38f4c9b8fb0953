import t from 'tap';
import { hmmci } from './helpers.js';

// End to end, real stages on the default tree (builds shared with run.test.ts: the same slot and
// cached baseline; hang.mbox only changes lib/test_hmm.c, so its build relinks one module).
// 1. A series that livelocks the kernel gets its verdict from the stall watchdog, not the 90 s
//    per-test one. 2. --repeat 2 --shards 2 runs both sides twice in two guests side by side and
//    every test of both sides carries repeat {pass, total}.

interface Side {
  tests: Array<{ name: string; status: string; reason?: string; repeat?: { pass: number; total: number } }>;
  counts: Record<string, number>;
}
interface Report {
  regressions: Array<{ name: string; patched: string }>;
  baseline: Side;
  patched: Side;
  stages: Array<{ name: string; side: string; ms: number }>;
}

t.test(
  'a livelocking series: each boot ends within a minute or so of the spin, not after the old 90 s watchdog',
  async (t) => {
    const r = await hmmci(['run', 'fixtures/series/hang.mbox', '--json']);
    t.equal(r.code, 1, 'exit 1: regressed', { stderr: r.stderr.slice(-3000) });
    const report = JSON.parse(r.stdout) as Report;
    const ex = report.patched.tests.find((x) => x.name === 'hmm.hmm_device_private.exclusive');
    // The stall report (21 s of guest time after the spin began; later on a loaded host, whose TCG
    // guest's clock ticks slower) or, without one, the 45 s per-test watchdog ends the boot.
    t.match(ex, {
      status: 'timeout',
      reason:
        /killed by hmmci: (?:the kernel reported "rcu: INFO: rcu_sched self-detected stall on CPU"|hmm\.hmm_device_private\.exclusive ran for more than 45 s)/,
    });
    t.ok(report.regressions.some((x) => x.name === 'hmm.hmm_device_private.exclusive'));
    const boots = report.stages.filter((s) => s.side === 'patched' && (s.name === 'test' || s.name === 'rerun'));
    t.ok(boots.length >= 1);
    for (const b of boots)
      t.ok(b.ms < 90_000, `${b.name} took ${(b.ms / 1000).toFixed(1)} s (< 90 s, the old per-test watchdog alone)`);
    t.comment(`patched boots: ${boots.map((b) => `${b.name} ${(b.ms / 1000).toFixed(1)} s`).join(', ')}`);
  },
);

t.test(
  '--repeat 2 --shards 2: both sides run twice, side by side; every test carries repeat {pass, total}',
  async (t) => {
    const r = await hmmci(['run', 'fixtures/series/one-patch.mbox', '--repeat', '2', '--shards', '2', '--json']);
    t.equal(r.code, 0, 'exit 0', { stderr: r.stderr.slice(-3000) });
    const report = JSON.parse(r.stdout) as Report;
    for (const side of ['baseline', 'patched'] as const) {
      t.equal(report[side].tests.length, 58, `${side}: 58 tests, one result each (shards merged)`);
      const short = report[side].tests.filter(
        (x) => !(x.repeat?.pass === 2 && x.repeat.total === 2 && x.status === 'pass'),
      );
      t.same(short, [], `${side}: every test 2/2`);
    }
  },
);
