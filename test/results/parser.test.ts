import t from 'tap';
import { parseConsole, allPassed } from '../../src/results/parser.js';
import { byName, log } from './fixtures.js';

const PRIVATE_RELEASE = 'hmm.hmm_device_private.migrate_release';

t.test('clean-58-pass.log: all 58 pass, plan from the listing, sentinels, totals agree', async (t) => {
  const r = parseConsole(log('clean-58-pass.log'));
  t.same(r.counts, { pass: 58 });
  t.equal(r.tests.length, 58);
  t.same(r.events, []);
  t.same(r.diagnostics, []);
  t.equal(r.tests[0]!.name, 'hmm.hmm_device_private.open_close');
  t.equal(r.tests[57]!.name, 'hmm2.hmm2_device_coherent.double_map');
  // test_hmm's kernel messages are kept with the test that caused them.
  t.same(
    r.tests.filter((x) => x.output).map((x) => [x.name, x.output]),
    [
      [
        'hmm.hmm_device_private.migrate_multiple',
        ['added new 256 MB chunk (total 1 chunks, 256 MB) PFNs [0xfcf0000 0xfd00000)'],
      ],
      [
        'hmm.hmm_device_coherent.migrate_multiple',
        ['added new 256 MB chunk (total 1 chunks, 256 MB) PFNs [0x50000 0x60000)'],
      ],
    ],
  );
  t.match(r.session, {
    booted: true,
    started: true,
    exitStatus: 0,
    planned: 58,
    plan: 58,
    depth: 0,
    summary: { verdict: 'PASSED', passed: 58, total: 58 },
    totals: { pass: 58, fail: 0, skip: 0 },
  });
  t.match(r.session.info, {
    spm_addr_dev0: '0x40000000',
    spm_addr_dev1: '0x50000000',
    devices: '4',
    nr_hugepages: '16',
  });
  t.ok(allPassed(r));
});

t.test('fail-coherent-snapshot.log: one assertion failure with its message', async (t) => {
  const r = parseConsole(log('fail-coherent-snapshot.log'));
  t.same(r.counts, { pass: 57, fail: 1 });
  const s = byName(r, 'hmm2.hmm2_device_coherent.snapshot');
  t.equal(s.status, 'fail');
  t.match(
    s.reason,
    /^hmm-tests\.c:\d+: Expected m\[6\] \(66\) == HMM_DMIRROR_PROT_DEV_COHERENT_REMOTE \| HMM_DMIRROR_PROT_WRITE \(82\)$/,
  );
  t.match(s.output, [
    '# /work/scratch/linux-source-6.12/tools/testing/selftests/mm/hmm-tests.c:1607:snapshot:Expected m[6] (66) == HMM_DMIRROR_PROT_DEV_COHERENT_REMOTE | HMM_DMIRROR_PROT_WRITE (82)',
    '# snapshot: Test terminated by assertion',
  ]);
  t.equal(byName(r, 'hmm2.hmm2_device_private.snapshot').status, 'pass');
  t.same(r.events, []);
  t.equal(r.session.exitStatus, 1);
  t.match(r.session.summary, { verdict: 'FAILED', passed: 57, total: 58 });
  t.notOk(allPassed(r));
});

t.test('oops-no-panic.log: the oops is attributed to the running test, which crashed; the suite went on', async (t) => {
  const r = parseConsole(log('oops-no-panic.log'));
  t.same(r.counts, { pass: 57, crash: 1 });
  const c = byName(r, PRIVATE_RELEASE);
  t.equal(c.status, 'crash');
  t.match(
    c.reason,
    /^kernel oops in dmirror_fops_unlocked_ioctl: BUG: kernel NULL pointer dereference, address: 0+90 \(Test terminated unexpectedly by signal 9\)$/,
  );
  t.equal(byName(r, 'hmm.hmm_device_coherent.migrate_release').status, 'pass');
  t.equal(r.events.length, 1);
  const e = r.events[0]!;
  t.match(e, { kind: 'oops', test: PRIVATE_RELEASE, function: 'dmirror_fops_unlocked_ioctl' });
  const lines = e.text.split('\n');
  t.match(lines[0], /^BUG: kernel NULL pointer dereference/);
  t.ok(lines.includes('Oops: Oops: 0000 [#1] SMP'), 'BUG: header and Oops: line are one report');
  t.match(lines.at(-1), /^---\[ end trace [0-9a-f]+ \]---$/);
  t.notMatch(e.text, /\[\s*\d+\.\d+\]/, 'printk timestamps stripped');
  t.equal(r.session.exitStatus, 1);
  t.same(r.diagnostics, []);
});

t.test(
  'panic-mid-suite.log (oops=panic): crash, then every later test notrun; oops and panic both recorded',
  async (t) => {
    const r = parseConsole(log('panic-mid-suite.log'));
    t.same(r.counts, { pass: 14, crash: 1, notrun: 43 });
    t.equal(byName(r, PRIVATE_RELEASE).status, 'crash');
    t.same(
      r.events.map((e) => [e.kind, e.test]),
      [
        ['oops', PRIVATE_RELEASE],
        ['panic', PRIVATE_RELEASE],
      ],
    );
    t.match(r.events[1]!.text, /^Kernel panic - not syncing: Fatal exception\n/);
    t.match(byName(r, 'hmm2.hmm2_device_coherent.double_map'), { status: 'notrun', reason: /kernel panic/ });
    t.equal(r.session.exitStatus, undefined);
    t.match(r.diagnostics, [{ message: /ends while hmm\.hmm_device_private\.migrate_release is running/ }]);
  },
);

t.test(
  'hang-rcu-stall.log: the livelocked test is timeout (killed by hmmci), the stall is attributed to it',
  async (t) => {
    const r = parseConsole(log('hang-rcu-stall.log'));
    t.same(r.counts, { pass: 21, timeout: 1, notrun: 36 });
    t.match(byName(r, 'hmm.hmm_device_private.exclusive'), {
      status: 'timeout',
      reason: 'killed by hmmci: hmm.hmm_device_private.exclusive ran for more than 90 s',
    });
    t.equal(r.session.killed, 'hmm.hmm_device_private.exclusive ran for more than 90 s');
    t.match(byName(r, 'hmm2.hmm2_device_coherent.double_map'), { status: 'notrun', reason: /the guest was killed/ });
    t.ok(r.events.length >= 1);
    t.ok(r.events.every((e) => e.kind === 'rcu_stall' && e.test === 'hmm.hmm_device_private.exclusive'));
    t.match(r.events[0]!.text, /^rcu: INFO: rcu_sched self-detected stall on CPU/);
    t.equal(r.events[0]!.function, 'dmirror_fops_unlocked_ioctl');
  },
);

t.test('kvm-silent-hang.log: nothing after the firmware; no tests, a diagnostic', async (t) => {
  const r = parseConsole(log('kvm-silent-hang.log'));
  t.same(r.tests, []);
  t.same(r.events, []);
  t.equal(r.session.booted, false);
  t.match(r.diagnostics, [{ message: /never reached user space/ }]);
  t.notOk(allPassed(r));
});

t.test('CRLF line endings and lone CRs change nothing', async (t) => {
  const text = log('oops-no-panic.log');
  const a = parseConsole(text);
  const b = parseConsole(text.replace(/\r?\n/g, '\r\n'));
  t.same(b.counts, a.counts);
  t.same(b.events, a.events);
});

t.test('without printk timestamps (CONFIG_PRINTK_TIME off) the same verdicts', async (t) => {
  const text = log('oops-no-panic.log').replace(/^\[\s*\d+\.\d+\] ?/gm, '');
  const r = parseConsole(text);
  t.same(r.counts, { pass: 57, crash: 1 });
  t.match(r.events, [{ kind: 'oops', test: PRIVATE_RELEASE, function: 'dmirror_fops_unlocked_ioctl' }]);
});

t.test(
  'a kernel message printed into the middle of a user-space line is split out and the line rejoined',
  async (t) => {
    const text = log('oops-no-panic.log');
    const lines = text.split('\n');
    const term = lines.findIndex((l) => l.startsWith('# migrate_release: Test terminated unexpectedly'));
    const cut = '# migrate_release: Test termin'.length;
    // The serial console wrote "[ 83.1] RIP: …" (and the next kernel lines) inside the harness's line.
    const spliced = [
      ...lines.slice(0, term),
      lines[term]!.slice(0, cut) + '[   83.100000] RIP: 0010:dmirror_fops_unlocked_ioctl+0x3fa/0x45a [test_hmm]',
      '[   83.100001] Code: 3c 8b',
      lines[term]!.slice(cut),
      ...lines.slice(term + 1),
    ].join('\n');
    const r = parseConsole(spliced);
    t.same(r.counts, { pass: 57, crash: 1 });
    t.match(
      byName(r, PRIVATE_RELEASE).reason,
      /\(Test terminated unexpectedly by signal 9\)$/,
      'the split harness line was rejoined',
    );
    t.ok(byName(r, PRIVATE_RELEASE).output!.includes('RIP: 0010:dmirror_fops_unlocked_ioctl+0x3fa/0x45a [test_hmm]'));
    t.same(r.diagnostics, []);
  },
);

t.test('truncated output: the test cut off is timeout, the rest notrun, and it is noted', async (t) => {
  const text = log('clean-58-pass.log');
  const at = text.indexOf('#  RUN           hmm.hmm_device_private.migrate_multiple ...');
  const r = parseConsole(text.slice(0, at + '#  RUN           hmm.hmm_device_private.migrate_mul'.length));
  // The RUN line itself is cut: migrate_multiple never (visibly) started.
  t.same(r.counts, { pass: 16, notrun: 42 });
  const r2 = parseConsole(text.slice(0, text.indexOf('\n', at) + 1));
  t.same(r2.counts, { pass: 16, timeout: 1, notrun: 41 });
  t.match(byName(r2, 'hmm.hmm_device_private.migrate_multiple'), { status: 'timeout', reason: /never finished/ });
  t.match(r2.diagnostics, [{ message: /ends while hmm\.hmm_device_private\.migrate_multiple is running/ }]);
});

t.test('SKIP, XFAIL, XPASS directives and the harness TIMEOUT line', async (t) => {
  const text = log('fail-coherent-snapshot.log')
    .replace(
      'ok 1 hmm.hmm_device_private.open_close',
      'ok 1 hmm.hmm_device_private.open_close # SKIP no /dev/hmm_dmirror0',
    )
    .replace('ok 2 hmm.hmm_device_private.anon_read', 'ok 2 hmm.hmm_device_private.anon_read # XFAIL known bug')
    .replace('ok 3 hmm.hmm_device_private.anon_read_prot', 'ok 3 hmm.hmm_device_private.anon_read_prot # XPASS fixed')
    .replace(
      '# snapshot: Test terminated by assertion',
      '# hmm2.hmm2_device_coherent.snapshot: Test terminated by timeout',
    );
  const r = parseConsole(text);
  t.match(byName(r, 'hmm.hmm_device_private.open_close'), { status: 'skip', reason: 'no /dev/hmm_dmirror0' });
  t.match(byName(r, 'hmm.hmm_device_private.anon_read'), { status: 'xfail', reason: 'known bug' });
  t.match(byName(r, 'hmm.hmm_device_private.anon_read_prot'), { status: 'xpass', reason: 'fixed' });
  t.match(byName(r, 'hmm2.hmm2_device_coherent.snapshot'), { status: 'timeout', reason: 'Test terminated by timeout' });
  t.match(r.diagnostics, [
    { message: /# Totals says pass:57 but 54 results were parsed/ },
    { message: /skip:0 but 1/ },
    { message: /xfail:0 but 1/ },
    { message: /xpass:0 but 1/ },
  ]);
});

t.test('the stream parser gives the same result as the string parser, whatever the chunking', async (t) => {
  const text = log('oops-no-panic.log');
  const whole = parseConsole(text);
  async function* chunks(size: number) {
    for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
  }
  for (const size of [1, 7, 4096]) {
    const r = await parseConsole(chunks(size));
    t.same(r, whole, `chunks of ${size}`);
  }
});

t.test('garbage never throws', async (t) => {
  for (const s of [
    '',
    '\x00\x01\x02',
    'ok',
    'not ok x',
    '1..',
    '# RUN',
    'Oops: ',
    'Kernel panic - not syncing: x',
    'HMMCI-EXIT status=x',
    'HMMCI-LIST-BEGIN',
    'TAP version 13\n1..3\nok 9 a\nnot ok 1 b # TODO',
  ]) {
    t.doesNotThrow(() => parseConsole(s), JSON.stringify(s));
  }
  const r = parseConsole('TAP version 13\n1..3\nok 1 a\nok 2 b\n');
  t.same(
    r.tests.map((x) => [x.name, x.status]),
    [
      ['a', 'pass'],
      ['b', 'pass'],
      ['(test 3 of 3, name unknown)', 'notrun'],
    ],
  );
});

t.test(
  'skip-coherent-29.log (no memmap reservation): the 29 device_coherent cases skip with the harness reason',
  async (t) => {
    const r = parseConsole(log('skip-coherent-29.log'));
    t.same(r.counts, { pass: 29, skip: 29 });
    const s = byName(r, 'hmm.hmm_device_coherent.anon_read');
    t.match(s, { status: 'skip', reason: 'DEVICE_COHERENT not available' });
    t.ok(
      s.output!.includes('could not open hmm dmirror driver (/dev/hmm_dmirror2)'),
      'the fixture setup message is kept',
    );
    t.ok(r.tests.filter((x) => x.status === 'skip').every((x) => x.name.includes('device_coherent')));
    t.equal(r.session.info.coherent, 'none');
    t.ok(allPassed(r), 'skips do not fail a run');
  },
);

t.test('boot-failure-no-init.log: a panic before user space, no test running', async (t) => {
  const r = parseConsole(log('boot-failure-no-init.log'));
  t.same(r.tests, []);
  t.match(r.events, [{ kind: 'panic', test: null, text: /^Kernel panic - not syncing: No working init found\./ }]);
  t.match(r.diagnostics, [{ message: /hmm-tests never started/ }]);
  // With the planned names from the host's `hmm-tests -l`, every case is notrun.
  const planned = parseConsole(log('clean-58-pass.log')).tests.map((x) => x.name);
  const withPlan = parseConsole(log('boot-failure-no-init.log'), { plan: planned });
  t.same(withPlan.counts, { notrun: 58 });
});

t.test(
  'boot-timeout-fallback-shell.log: rdinit= missing, the kernel fell back to /bin/sh and hmm-tests never started',
  async (t) => {
    const r = parseConsole(log('boot-timeout-fallback-shell.log'));
    t.same(r.tests, []);
    t.same(r.events, []);
    t.match(r.session, { booted: true, started: false });
    t.match(r.diagnostics, [{ message: /hmm-tests never started/ }]);
  },
);

t.test(
  'nested-run-kselftest.log: hmm-tests one `# ` level under run_kselftest.sh; the wrapper line kept apart',
  async (t) => {
    const r = parseConsole(log('nested-run-kselftest.log'));
    t.same(r.counts, { pass: 58 });
    t.equal(r.session.depth, 1);
    t.same(r.session.wrappers, [
      { name: 'selftests: mm: hmm-tests', ok: true, directive: undefined, reason: undefined },
    ]);
    t.match(r.session, { plan: 58, planned: 58, exitStatus: 0, totals: { pass: 58 }, summary: { verdict: 'PASSED' } });
    t.equal(r.tests[0]!.name, 'hmm.hmm_device_private.open_close');
    t.same(r.diagnostics, []);
  },
);

t.test('vng-run.log: no sentinels, no listing: the nested TAP alone gives the 58 results', async (t) => {
  const r = parseConsole(log('vng-run.log'));
  t.same(r.counts, { pass: 58 });
  t.equal(r.session.depth, 1);
  t.equal(r.session.planned, undefined);
  t.equal(r.session.plan, 58);
  t.equal(r.session.exitStatus, undefined);
  t.same(r.events, []);
});

t.test('nested failures and the runner TIMEOUT directive', async (t) => {
  // The nested fail log as run_kselftest.sh would print it (one `# ` level) and a runner timeout.
  const inner = log('fail-coherent-snapshot.log').split('\n');
  const start = inner.findIndex((l) => l.startsWith('TAP version 13'));
  const exit = inner.findIndex((l) => l.startsWith('HMMCI-EXIT'));
  const nested = [
    ...inner.slice(0, start),
    'TAP version 13',
    '1..1',
    '# timeout set to 180',
    '# selftests: mm: hmm-tests',
    ...inner.slice(start, exit).map((l) => (l.startsWith('[') ? l : `# ${l}`)),
    'not ok 1 selftests: mm: hmm-tests # exit=1',
  ].join('\n');
  const r = parseConsole(nested);
  t.same(r.counts, { pass: 57, fail: 1 });
  t.match(r.session.wrappers, [{ name: 'selftests: mm: hmm-tests', ok: false, reason: 'exit=1' }]);
  const cut =
    nested.slice(0, nested.indexOf('# ok 40 ')) + '#\nnot ok 1 selftests: mm: hmm-tests # TIMEOUT 180 seconds\n';
  const r2 = parseConsole(cut);
  t.same(r2.counts, { pass: 39, timeout: 1, notrun: 18 });
  t.match(r2.tests[39], { status: 'timeout', reason: /TIMEOUT 180 seconds/ });
});

t.test('warning-test-passes.log: a WARNING is an event of the running test, which still passes', async (t) => {
  const r = parseConsole(log('warning-test-passes.log'));
  t.same(r.counts, { pass: 58 });
  t.match(r.events, [
    {
      kind: 'warning',
      test: 'hmm.hmm_device_private.exclusive',
      function: 'dmirror_fops_unlocked_ioctl',
      text: /^WARNING: CPU: 0 PID: \d+ at \.\.\/wt\/lib\/test_hmm\.c:1350 dmirror_fops_unlocked_ioctl\+0x39a\/0x42f \[test_hmm\]\n/,
    },
  ]);
  t.match(r.events[0]!.text, /\n---\[ end trace [0-9a-f]+ \]---$/);
  t.ok(
    byName(r, 'hmm.hmm_device_private.exclusive').output!.some((l) => l.includes('hmmci fixture: exclusive access to')),
  );
  t.ok(allPassed(r));
});

t.test(
  'bug-on-every-exclusive.log: six BUG_ON reports, each with its Oops line, each crashing its own test',
  async (t) => {
    const r = parseConsole(log('bug-on-every-exclusive.log'));
    t.same(r.counts, { pass: 52, crash: 6 });
    const crashed = [
      'hmm.hmm_device_private.exclusive',
      'hmm.hmm_device_private.exclusive_mprotect',
      'hmm.hmm_device_private.exclusive_cow',
      'hmm.hmm_device_coherent.exclusive',
      'hmm.hmm_device_coherent.exclusive_mprotect',
      'hmm.hmm_device_coherent.exclusive_cow',
    ];
    t.same(
      r.events.map((e) => [e.kind, e.test, e.function]),
      crashed.map((n) => ['bug', n, 'dmirror_fops_unlocked_ioctl']),
    );
    r.events.forEach((e, i) =>
      t.match(
        e.text,
        new RegExp(
          `^kernel BUG at \\.\\./wt/lib/test_hmm\\.c:1350!\\nOops: invalid opcode: 0000 \\[#${i + 1}\\] SMP\\n`,
        ),
      ),
    );
    for (const n of crashed)
      t.match(byName(r, n), {
        status: 'crash',
        reason:
          /^kernel bug in dmirror_fops_unlocked_ioctl: kernel BUG at .* \(Test terminated unexpectedly by signal 11\)$/,
      });
    t.equal(byName(r, 'hmm.hmm_device_private.hmm_gup_test').status, 'pass', 'the suite went on');
  },
);

t.test(
  'a real baseline log whose -l listing was split by kernel messages: 58 pass, no phantom notrun cases',
  async (t) => {
    const r = parseConsole(log('listing-split-by-kernel-message.log'));
    t.same(r.counts, { pass: 58 });
    t.equal(r.tests.length, 58);
    t.notOk(r.tests.some((x) => x.name.startsWith('migrate_shared.')));
  },
);
