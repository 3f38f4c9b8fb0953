import t from 'tap';
import { parseConsole, allPassed } from '../../src/results/parser.js';
import { log } from './fixtures.js';

// Real virtme-ng captures (fixtures/logs/README.md): vng's stdout and stderr as hmmci saves them —
// firmware-less q35 boot, virtme-init's own lines (overlay mount errors, "udevd not found",
// "cannot find script I/O ports", the console fallback), then hmmci's script on /dev/console.
t.test('vng-clean-58-pass.log: the real vng run parses as 58/58 with sentinels, listing and exit status', async (t) => {
  const r = parseConsole(log('vng-clean-58-pass.log'));
  t.same(r.counts, { pass: 58 });
  t.equal(r.tests.length, 58);
  t.same(r.events, [], "virtme-init's mount errors and messages are not kernel events");
  t.match(r.session, {
    booted: true,
    started: true,
    exitStatus: 0,
    planned: 58,
    plan: 58,
    depth: 0,
    totals: { pass: 58, fail: 0, skip: 0 },
  });
  t.match(r.session.info, {
    spm_addr_dev0: '0x40000000',
    spm_addr_dev1: '0x50000000',
    devices: '4',
    nr_hugepages: '16',
  });
  t.equal(r.tests[0]!.name, 'hmm.hmm_device_private.open_close');
  t.ok(allPassed(r));
});

t.test(
  'vng-fail-coherent-snapshot.log: break-test-at-2 under the real vng: the one planted failure, with its assertion',
  async (t) => {
    const r = parseConsole(log('vng-fail-coherent-snapshot.log'));
    t.same(r.counts, { pass: 57, fail: 1 });
    const s = r.tests.find((x) => x.name === 'hmm2.hmm2_device_coherent.snapshot')!;
    t.equal(s.status, 'fail');
    t.match(s.reason, /^hmm-tests\.c:\d+: Expected m\[6\] \(66\) == /);
    t.same(r.events, []);
    t.equal(r.session.exitStatus, 1);
  },
);

t.test(
  "vng-oops-migrate-release.log: an oops under the real vng is the running test's crash, with its function",
  async (t) => {
    const r = parseConsole(log('vng-oops-migrate-release.log'));
    t.same(r.counts, { pass: 57, crash: 1 });
    const s = r.tests.find((x) => x.name === 'hmm.hmm_device_private.migrate_release')!;
    t.equal(s.status, 'crash');
    t.match(s.reason, /^kernel oops in dmirror_fops_unlocked_ioctl: BUG: kernel NULL pointer dereference/);
    t.equal(r.events.length, 1);
    t.match(r.events[0], {
      kind: 'oops',
      test: 'hmm.hmm_device_private.migrate_release',
      function: 'dmirror_fops_unlocked_ioctl',
    });
  },
);

t.test('vng-panic-migrate-release.log: a panic under vng ends the run at the test that caused it', async (t) => {
  const r = parseConsole(log('vng-panic-migrate-release.log'));
  t.same(r.counts, { pass: 14, crash: 1, notrun: 43 });
  t.match(
    r.tests.find((x) => x.status === 'crash'),
    {
      name: 'hmm.hmm_device_private.migrate_release',
      reason: /kernel panic: Kernel panic - not syncing: test_hmm: releasing device memory with 1024 pages in use/,
    },
  );
  t.match(
    r.events.map((e) => ({ kind: e.kind, test: e.test })),
    [{ kind: 'panic', test: 'hmm.hmm_device_private.migrate_release' }],
  );
  t.equal(r.events.length, 1);
  t.notOk(allPassed(r));
});
