import t from 'tap';
import { parseConsole, allPassed } from '../../src/results/parser.js';
import { log } from './fixtures.js';

// Real captures of the debug variant (kernel-configs/debug.config: KASAN, PROVE_LOCKING,
// DEBUG_ATOMIC_SLEEP, DEBUG_VM, hung task 10 s; fixtures/logs/README.md says how each was made).
// They replace guesses built from printk formats: these are the reports the kernel really prints.

t.test('debug-clean-58-pass.log: stock 6.12 under KASAN and lockdep passes 58/58 with no report', async (t) => {
  const r = parseConsole(log('debug-clean-58-pass.log'));
  t.same(r.counts, { pass: 58 });
  t.same(r.events, [], 'the debug checks report nothing on the stock kernel: no false regression');
  t.same(r.diagnostics, []);
  t.match(r.session, { booted: true, exitStatus: 0, plan: 58, info: { devices: '4' } });
  t.ok(allPassed(r));
});

t.test('debug-lockdep-sleep-kasan.log: each planted bug is one report of its kind, in its test, at its function', async (t) => {
  const r = parseConsole(log('debug-lockdep-sleep-kasan.log'));
  t.same(r.counts, { pass: 58 }, 'every test passes: only the kernel saw the bugs');
  const ev = r.events.map((e) => ({ kind: e.kind, test: e.test, function: e.function, head: e.text.split('\n')[0] }));
  t.match(ev, [
    {
      kind: 'lockdep',
      test: 'hmm.hmm_device_private.anon_read',
      // the acquisition lockdep refused: mmap_lock taken (inlined in test_hmm) under dmirror->mutex
      function: 'mmap_read_lock',
      head: /WARNING: possible circular locking dependency detected/,
    },
    {
      kind: 'bug',
      test: 'hmm.hmm_device_private.migrate_release',
      function: 'dmirror_device_remove_chunks',
      head: /BUG: sleeping function called from invalid context at lib\/test_hmm\.c:\d+/,
    },
    {
      kind: 'kasan',
      test: 'hmm.hmm_device_private.migrate_release',
      function: 'dmirror_device_remove_chunks',
      head: /BUG: KASAN: slab-use-after-free in dmirror_device_remove_chunks\+0x[0-9a-f]+\/0x[0-9a-f]+ \[test_hmm\]/,
    },
    // KASAN reports once per address, and taints the kernel, which turns lockdep off; the
    // sleep-in-atomic check still fires in the device-coherent variant of the same test.
    { kind: 'bug', test: 'hmm.hmm_device_coherent.migrate_release', function: 'dmirror_device_remove_chunks' },
  ]);
  t.equal(ev.length, 4);
  const kasan = r.events.find((e) => e.kind === 'kasan')!;
  t.match(kasan.text, /Read of size \d+ at addr [0-9a-f]+ by task hmm-tests\/\d+/, 'the access is kept');
  t.match(kasan.text, /Freed by task \d+:/, 'and where it was freed');
  const lockdep = r.events.find((e) => e.kind === 'lockdep')!;
  t.match(lockdep.text, /dmirror_interval_invalidate/, 'the other side of the inversion (the notifier path) is kept');
});
