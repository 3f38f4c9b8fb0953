import t from 'tap';
import { resolve, TestLedger, type TestState } from '../../src/results/test-ledger.js';
import type { KernelEvent } from '../../src/results/types.js';

const state = (over: Partial<TestState> = {}): TestState => ({
  name: 'hmm.hmm_device_private.anon_read',
  output: [],
  dropped: 0,
  started: true,
  ...over,
});
const oops: KernelEvent = {
  kind: 'oops',
  test: 'hmm.hmm_device_private.anon_read',
  text: 'BUG: kernel NULL pointer dereference, address: 0000000000000008\nRIP: 0010:dmirror_fault+0x3a/0x90',
  function: 'dmirror_fault',
};

t.test('resolve: the precedence of what was seen while the test ran, in one table', async (t) => {
  const cases: Array<[string, Partial<TestState>, Parameters<typeof resolve>[1], ReturnType<typeof resolve>]> = [
    ['a pass is a pass', {}, { kind: 'result', status: 'pass' }, { status: 'pass', reason: undefined }],
    [
      'a fatal report beats any result line',
      { fatal: oops },
      { kind: 'result', status: 'pass' },
      {
        status: 'crash',
        reason: 'kernel oops in dmirror_fault: BUG: kernel NULL pointer dereference, address: 0000000000000008',
      },
    ],
    [
      '…and names how the test ended',
      { fatal: oops, terminated: 'Test terminated unexpectedly by signal 9' },
      { kind: 'no-result', why: 'x' },
      {
        status: 'crash',
        reason:
          'kernel oops in dmirror_fault: BUG: kernel NULL pointer dereference, address: 0000000000000008 (Test terminated unexpectedly by signal 9)',
      },
    ],
    [
      "kselftest's timeout beats the result line",
      { timedOut: true, terminated: 'Test terminated by timeout' },
      { kind: 'result', status: 'fail' },
      { status: 'timeout', reason: 'Test terminated by timeout' },
    ],
    [
      'a failure is explained by its first assertion',
      { firstAssert: 'hmm-tests.c:200: Expected 0 (0) == ret (-14)', terminated: 'Test terminated by assertion' },
      { kind: 'result', status: 'fail', reason: 'note' },
      { status: 'fail', reason: 'hmm-tests.c:200: Expected 0 (0) == ret (-14)' },
    ],
    [
      '…else by how it ended, else by the line',
      {},
      { kind: 'result', status: 'fail', reason: 'note' },
      { status: 'fail', reason: 'note' },
    ],
    [
      'a skip keeps the line reason, else the SKIP() reason',
      { skipReason: 'no device' },
      { kind: 'result', status: 'skip' },
      { status: 'skip', reason: 'no device' },
    ],
    [
      'no result line: fail with why',
      {},
      { kind: 'no-result', why: 'hmm-tests exited' },
      { status: 'fail', reason: 'hmm-tests exited' },
    ],
    [
      'no result line after a timeout wrapper: timeout',
      {},
      { kind: 'no-result', why: 'wrapper TIMEOUT', timedOut: true },
      { status: 'timeout', reason: 'wrapper TIMEOUT' },
    ],
    [
      'the log ends while it runs',
      {},
      { kind: 'log-end' },
      { status: 'timeout', reason: 'never finished: the console ends while it runs' },
    ],
    [
      'the log ends because hmmci killed the guest',
      {},
      { kind: 'log-end', killed: 'no progress for 120 s' },
      { status: 'timeout', reason: 'killed by hmmci: no progress for 120 s' },
    ],
  ];
  for (const [what, over, cause, want] of cases) t.same(resolve(state(over), cause), want, what);
});

t.test('settle: the running test stops; a re-run keeps the worse outcome, with a note', async (t) => {
  const notes: string[] = [];
  const ledger = new TestLedger((_n, m) => notes.push(m), 2);
  const a = ledger.state('hmm.a');
  ledger.begin(a, 0);
  ledger.attach('one');
  ledger.attach('two');
  ledger.attach('three');
  t.same(a.output, ['one', 'two'], 'output capped');
  t.equal(a.dropped, 1, 'the rest counted');
  ledger.settle(a, { kind: 'result', status: 'fail', reason: 'x' }, 10);
  t.equal(ledger.running, undefined);
  t.equal(ledger.lastFinished, 'hmm.a');
  ledger.begin(a, 0);
  t.same(a.previous, { status: 'fail', reason: 'x' }, 'the earlier outcome is kept aside');
  ledger.settle(a, { kind: 'result', status: 'pass' }, 20);
  t.equal(a.status, 'fail', 'fail then pass: fail is kept');
  t.equal(a.reason, 'x; re-run: pass');
  t.match(notes.at(-1), /ran again: fail then pass; the first \(worse\) outcome is kept/);
});

t.test('endRunning settles the running test with a note; nextPlanned follows the listing', async (t) => {
  const notes: string[] = [];
  const ledger = new TestLedger((_n, m) => notes.push(m), 10);
  const order = ['hmm.a', 'hmm.b', 'hmm.c'];
  t.equal(ledger.nextPlanned(order), 'hmm.a', 'nothing finished: the first case');
  ledger.begin(ledger.state('hmm.a'), undefined);
  ledger.endRunning(5, 'the next test (hmm.b) started before this one printed a result');
  t.equal(ledger.tests.get('hmm.a')?.status, 'fail');
  t.same(notes, ['hmm.a: no result line (the next test (hmm.b) started before this one printed a result)']);
  t.equal(ledger.nextPlanned(order), 'hmm.b');
  t.equal(ledger.nextPlanned(['x']), undefined, 'the last finished test is not in that listing: no guess');
  ledger.endRunning(6, 'nothing runs');
  t.equal(notes.length, 1, 'no running test: nothing to settle');
});
