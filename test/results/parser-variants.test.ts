/**
 * Console-log variants a reviewer constructed from the real fixtures (see fixtures/logs/README.md,
 * "Constructed variants"): other harness versions, other programs' TAP, other architectures' and
 * newer kernels' report formats, console damage. Statuses, counts, events and the exit verdict.
 */
import t from 'tap';
import { parseConsole, allPassed } from '../../src/results/parser.js';
import { LineSplitter, MAX_LINE_CHARS } from '../../src/results/line-stream.js';
import { byName, log } from './fixtures.js';

const RELEASE = 'hmm.hmm_device_private.migrate_release';
const MIGRATE = 'hmm.hmm_device_private.migrate';

t.test(
  'old-harness-skip-without-name.log: `ok N # SKIP why` is the running test, skipped with the reason',
  async (t) => {
    const r = parseConsole(log('old-harness-skip-without-name.log'));
    t.same(r.counts, { pass: 29, skip: 29 });
    t.equal(r.tests.length, 58);
    t.match(byName(r, 'hmm.hmm_device_coherent.anon_read'), {
      status: 'skip',
      reason: 'DEVICE_COHERENT not available',
    });
    t.notOk(
      r.tests.some((x) => x.name.startsWith('#')),
      'no test named after the directive',
    );
    t.ok(allPassed(r));
  },
);

t.test(
  'run-vmtests-other-programs-tap.log: only the hmm-tests stream under run_vmtests.sh makes results',
  async (t) => {
    const r = parseConsole(log('run-vmtests-other-programs-tap.log'));
    t.same(r.counts, { pass: 58 });
    t.notOk(r.tests.some((x) => /madvise|madv_populate|run_vmtests/.test(x.name)));
    t.equal(r.session.depth, 2);
    t.equal(r.session.plan, 58);
    t.match(r.diagnostics, [{ message: /another program \(\.\/madv_populate\)/ }]);
    t.same(r.events, []);
    t.ok(allPassed(r), 'madv_populate failing is not an hmm failure');
  },
);

t.test(
  'kselftest-collection-other-program-first.log: compaction_test before hmm-tests at the same depth is ignored',
  async (t) => {
    const r = parseConsole(log('kselftest-collection-other-program-first.log'));
    t.same(r.counts, { pass: 58 });
    t.equal(r.session.plan, 58);
    t.notOk(r.tests.some((x) => /huge pages|compaction/.test(x.name)));
    t.match(r.session.wrappers, [{ name: 'selftests: mm: hmm-tests', ok: true }]);
    t.ok(allPassed(r));
  },
);

for (const f of ['kunit-ktap-at-boot.log', 'kunit-ktap-at-boot-vng.log']) {
  t.test(`${f}: KUnit results the kernel printed at boot are not hmm tests`, async (t) => {
    const r = parseConsole(log(f));
    t.same(r.counts, { pass: 58 });
    t.notOk(r.tests.some((x) => /list|hash/.test(x.name)));
    t.ok(allPassed(r));
  });
}

t.test(
  'arm64-oops.log: `Unable to handle kernel NULL pointer` + `Internal error: Oops` is one oops, function from `pc :`',
  async (t) => {
    const r = parseConsole(log('arm64-oops.log'));
    t.same(r.counts, { pass: 57, crash: 1 });
    t.equal(r.events.length, 1);
    t.match(r.events[0], {
      kind: 'oops',
      test: RELEASE,
      function: 'dmirror_fops_unlocked_ioctl',
      text: /^Unable to handle kernel NULL pointer dereference[^]*\nInternal error: Oops: /,
    });
    t.equal(byName(r, RELEASE).status, 'crash');
    t.notOk(allPassed(r));
  },
);

t.test(
  'ppc64-oops.log: `BUG: Kernel NULL pointer dereference on read` + `Oops: Kernel access of bad area` is one oops, function from NIP',
  async (t) => {
    const r = parseConsole(log('ppc64-oops.log'));
    t.same(r.counts, { pass: 57, crash: 1 });
    t.equal(r.events.length, 1);
    t.match(r.events[0], { kind: 'oops', test: RELEASE, function: 'dmirror_fops_unlocked_ioctl' });
  },
);

t.test(
  'panic-end-marker.log: the `---[ end Kernel panic …]---` footer closes the panic, no second event',
  async (t) => {
    const r = parseConsole(log('panic-end-marker.log'));
    t.same(r.counts, { pass: 14, crash: 1, notrun: 43 });
    t.same(
      r.events.map((e) => e.kind),
      ['oops', 'panic'],
    );
    t.match(r.events[1]!.text.split('\n').at(-1), /^---\[ end Kernel panic - not syncing: Fatal exception \]---$/);
    t.notOk(
      r.tests.some((x) => x.output?.some((l) => /^\]---|^---\[ end $/.test(l))),
      'no junk fragment lines',
    );
  },
);

const EVENT_CASES: [string, string, string | undefined][] = [
  ['warning-new-format.log', 'warning', 'hmm_vma_walk_pmd'],
  ['hard-lockup.log', 'rcu_stall', 'dmirror_fops_unlocked_ioctl'],
  ['lockdep-irq-safe-unsafe.log', 'lockdep', 'dmirror_fops_unlocked_ioctl'], // the lock site of its `, at:` line
  ['lockdep-non-static-key.log', 'lockdep', 'register_lock_class'],
  ['ubsan.log', 'warning', undefined],
  ['kfence.log', 'kasan', 'dmirror_fops_unlocked_ioctl'],
];
for (const [f, kind, fn] of EVENT_CASES) {
  t.test(`${f}: one ${kind} event during ${MIGRATE}; the test still passes and parse exits 0`, async (t) => {
    const r = parseConsole(log(f));
    t.same(r.counts, { pass: 58 });
    t.equal(r.events.length, 1);
    t.match(r.events[0], { kind, test: MIGRATE });
    t.equal(r.events[0]!.function, fn);
    t.ok(allPassed(r), 'a non-fatal event does not change the exit status (hmmci run compares events)');
  });
}

t.test(
  'printk-caller-prefix-oops.log: `[ t][   T88]` stripped like the timestamp; the oops has its function',
  async (t) => {
    const r = parseConsole(log('printk-caller-prefix-oops.log'));
    t.same(r.counts, { pass: 57, crash: 1 });
    t.match(r.events, [
      {
        kind: 'oops',
        test: RELEASE,
        function: 'dmirror_fops_unlocked_ioctl',
        text: /^BUG: kernel NULL pointer dereference/,
      },
    ]);
    t.notMatch(r.events[0]!.text, /\[\s*T88\]/);
  },
);

t.test('oops-splits-run-line.log: the oops cut the RUN line; the next case in listing order crashed', async (t) => {
  const r = parseConsole(log('oops-splits-run-line.log'));
  t.same(r.counts, { pass: 57, crash: 1 });
  t.match(r.events, [{ kind: 'oops', test: RELEASE }]);
  t.equal(byName(r, RELEASE).status, 'crash');
  t.match(r.diagnostics, [{ message: /RUN line was lost: attributed to hmm\.hmm_device_private\.migrate_release/ }]);
});

t.test('panic-run-line-lost.log: RUN line lost before a panic; next case crashed, the rest notrun', async (t) => {
  const r = parseConsole(log('panic-run-line-lost.log'));
  t.same(r.counts, { pass: 14, crash: 1, notrun: 43 });
  t.match(r.events, [
    { kind: 'oops', test: RELEASE },
    { kind: 'panic', test: RELEASE },
  ]);
  t.equal(byName(r, 'hmm.hmm_device_private.migrate_shared').status, 'notrun');
});

t.test(
  'panic-run-line-lost.log with the task named as under vng (Comm: hmm-tests-51898): the same attribution',
  async (t) => {
    // Constructed in the test from the real log: vng runs the cached binary hmm-tests-<hash> from
    // the host, and the kernel prints its name cut to 15 characters (see vng-oops-migrate-release.log).
    const text = log('panic-run-line-lost.log').replace(/Comm: hmm-tests /g, 'Comm: hmm-tests-51898 ');
    t.match(text, /Comm: hmm-tests-51898 /);
    const r = parseConsole(text);
    t.same(r.counts, { pass: 14, crash: 1, notrun: 43 });
    t.match(r.events, [{ kind: 'oops', test: RELEASE }]);
  },
);

t.test(
  'crcrlf-kernel-message-midline.log: `\\r\\r\\n` is one line end; the split result line is rejoined',
  async (t) => {
    const r = parseConsole(log('crcrlf-kernel-message-midline.log'));
    t.same(r.counts, { pass: 58 });
    t.equal(byName(r, MIGRATE).status, 'pass');
  },
);

t.test('truncated-mid-result-line.log: `ok 14 hmm.hmm_d` at the end is not taken as another test', async (t) => {
  const r = parseConsole(log('truncated-mid-result-line.log'));
  t.equal(r.tests.length, 58);
  t.notOk(r.tests.some((x) => x.name === 'hmm.hmm_d'));
  t.match(r.diagnostics, [{ message: /names "hmm\.hmm_d", not a planned case/ }]);
  t.same(r.counts, { pass: 14, notrun: 44 });
});

t.test('notime-kernel-message-in-result-line.log: a garbled result name falls back to the RUN name', async (t) => {
  const r = parseConsole(log('notime-kernel-message-in-result-line.log'));
  t.same(r.counts, { pass: 58 });
  t.equal(r.tests.length, 58);
  t.match(r.diagnostics, [{ message: /taken as the running test hmm\.hmm_device_private\.migrate / }]);
});

t.test(
  'nested-without-inner-tap-version.log: nested `# ok N hmm…` recognised without `# TAP version 13`',
  async (t) => {
    const r = parseConsole(log('nested-without-inner-tap-version.log'));
    t.same(r.counts, { pass: 58 });
    t.equal(r.session.depth, 1);
    t.equal(r.session.plan, 58);
  },
);

t.test(
  'nested-lockdep-then-assertion.log: a TH_LOG line ends a lockdep report without footer in a nested run',
  async (t) => {
    const r = parseConsole(log('nested-lockdep-then-assertion.log'));
    t.same(r.counts, { pass: 57, fail: 1 });
    t.match(byName(r, MIGRATE), { status: 'fail', reason: /^hmm-tests\.c:999: Expected 0 == 1$/ });
    t.equal(r.events.length, 1);
    t.notMatch(r.events[0]!.text, /hmm-tests\.c:999/, 'the assertion is not part of the report');
  },
);

t.test('rerun-first-fails.log: a failure in the first run is not hidden by a pass in the re-run', async (t) => {
  const r = parseConsole(log('rerun-first-fails.log'));
  t.same(r.counts, { pass: 57, fail: 1 });
  t.match(byName(r, 'hmm2.hmm2_device_coherent.snapshot'), { status: 'fail', reason: /re-run: pass$/ });
  t.match(r.diagnostics, [
    { message: /second hmm-tests TAP stream/ },
    { message: /fail then pass; the first \(worse\) outcome is kept/ },
  ]);
  t.notOk(allPassed(r));
});

t.test('bail-out.log: the Bail out! reason reaches every notrun reason', async (t) => {
  const r = parseConsole(log('bail-out.log'));
  t.same(r.counts, { notrun: 58 });
  t.match(r.tests[0], { status: 'notrun', reason: /could not open \/dev\/hmm_dmirror0/ });
  t.notOk(allPassed(r));
});

t.test('plan-skip-whole-suite.log: `1..0 # SKIP why` skips every planned case with the reason', async (t) => {
  const r = parseConsole(log('plan-skip-whole-suite.log'));
  t.same(r.counts, { skip: 58 });
  t.match(r.tests[0], { status: 'skip', reason: 'test_hmm module not loaded' });
  t.match(r.session.bail, /whole suite skipped: test_hmm module not loaded/);
  t.ok(allPassed(r));
});

t.test('xfail counts as success', async (t) => {
  const r = parseConsole(
    log('clean-58-pass.log').replace(
      'ok 5 hmm.hmm_device_private.anon_write_prot',
      'ok 5 hmm.hmm_device_private.anon_write_prot # XFAIL known broken',
    ),
  );
  t.equal(byName(r, 'hmm.hmm_device_private.anon_write_prot').status, 'xfail');
  t.ok(allPassed(r));
});

t.test('streamed in chunks that split UTF-8 characters and CR LF pairs: same result as the whole string', async (t) => {
  const text = log('crcrlf-kernel-message-midline.log').replace('Booting from ROM', 'Booting from ROM … ünïcödé');
  const bytes = Buffer.from(text, 'utf8');
  const whole = parseConsole(text);
  async function* chunks(size: number) {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  }
  for (const size of [1, 7, 4096]) {
    const r = await parseConsole(chunks(size));
    t.same(r.tests, whole.tests, `chunks of ${size} bytes`);
    t.same(r.events, whole.events);
  }
});

t.test('a line with no end for over 1 MiB is cut, not grown without bound', async (t) => {
  const sp = new LineSplitter();
  const out = [...sp.push('x'.repeat(MAX_LINE_CHARS + 10)), ...sp.end()];
  t.same(
    out.map((l) => l.length),
    [MAX_LINE_CHARS, 10],
  );
});

t.test('old-harness-pre-tap.log: the 5.8/5.9 gtest-style harness (`[ RUN      ]`, `[     FAIL ]`)', async (t) => {
  const r = parseConsole(log('old-harness-pre-tap.log'));
  t.same(
    r.tests.map((x) => [x.name, x.status]),
    [
      ['hmm.open_close', 'pass'],
      ['hmm.anon_read', 'fail'],
      ['hmm.anon_write', 'pass'],
    ],
  );
  t.equal(r.tests[1]!.reason, 'hmm-tests.c:200: Expected ret (-1) == 0 (0)');
  t.match(r.session.summary, { verdict: 'FAILED', passed: 2, total: 3 });
  t.notOk(allPassed(r));
});

t.test(
  "oops-printed-after-result.log: a report printed after the result of the test it killed (signal 9) is that test's",
  async (t) => {
    const r = parseConsole(log('oops-printed-after-result.log'));
    t.same(r.counts, { pass: 57, crash: 1 });
    t.match(r.events, [{ kind: 'oops', test: RELEASE }]);
    t.equal(byName(r, RELEASE).status, 'crash');
    t.equal(byName(r, 'hmm.hmm_device_private.migrate_shared').status, 'pass');
  },
);

t.test(
  "a predicted attribution is withdrawn when the predicted test's whole RUN line comes after the report",
  async (t) => {
    const oops = log('oops-no-panic.log');
    const report = oops.slice(
      oops.indexOf('[', oops.indexOf('BUG: kernel NULL') - 20),
      oops.indexOf('\n', oops.indexOf('---[ end trace')) + 1,
    );
    const clean = log('clean-58-pass.log');
    const at = clean.indexOf('#  RUN           hmm.hmm_device_private.migrate_release ...');
    const r = parseConsole(clean.slice(0, at) + report + clean.slice(at));
    t.same(r.counts, { pass: 58 });
    t.match(r.events, [{ kind: 'oops', test: null }]);
    t.match(r.diagnostics, [
      { message: /attributed to hmm\.hmm_device_private\.migrate_release/ },
      { message: /attribution withdrawn/ },
    ]);
  },
);

t.test(
  'kernel-message-after-complete-result.log: the complete result and the next RUN line stay two lines',
  async (t) => {
    const r = parseConsole(log('kernel-message-after-complete-result.log'));
    t.same(r.counts, { pass: 58 });
    t.same(r.diagnostics, []);
  },
);

t.test("garbage-result-before-first-run.log: one garbled result does not disown hmm-tests' stream", async (t) => {
  const r = parseConsole(log('garbage-result-before-first-run.log'));
  t.same(r.counts, { pass: 58 });
  t.match(r.diagnostics, [{ message: /^ignoring TAP result "x/ }]);
  t.ok(allPassed(r));
});
