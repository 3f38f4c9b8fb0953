import t from 'tap';
import { eventFunction, matchEvent } from '../../src/results/kernel-events.js';
import { parseConsole } from '../../src/results/parser.js';
import { log } from './fixtures.js';

// Headers of the kinds no fixture log shows (this config has no KASAN, lockdep or hung-task
// detector), written from the printk formats of linux-6.12: kernel/hung_task.c:134,
// mm/kasan/report.c:246 and :618, kernel/locking/lockdep.c:1986/3046/4041,
// kernel/rcu/tree_stall.h:620/696 (pr_fmt "rcu: "), kernel/panic.c, lib/bug.c, arch/x86/mm/fault.c.
const HEADERS: Array<[string, string | undefined]> = [
  ['INFO: task hmm-tests:113 blocked for more than 120 seconds.', 'hung_task'],
  ['BUG: KASAN: slab-use-after-free in dmirror_fops_release+0x2a/0x80 [test_hmm]', 'kasan'],
  ['BUG: KASAN: invalid-access', 'kasan'],
  ['WARNING: possible circular locking dependency detected', 'lockdep'],
  ['WARNING: possible recursive locking detected', 'lockdep'],
  ['WARNING: inconsistent lock state', 'lockdep'],
  ['WARNING: suspicious RCU usage', 'lockdep'],
  ['rcu: INFO: rcu_sched detected stalls on CPUs/tasks:', 'rcu_stall'],
  ['rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: {', 'rcu_stall'],
  ['rcu: INFO: rcu_sched self-detected stall on CPU', 'rcu_stall'],
  ['WARNING: CPU: 1 PID: 88 at mm/hmm.c:204 hmm_vma_walk_pmd+0x1c/0x2a0', 'warning'],
  ['kernel BUG at mm/migrate_device.c:120!', 'bug'],
  ['BUG: sleeping function called from invalid context at mm/hmm.c:300', 'bug'],
  ['BUG: Bad page state in process hmm-tests  pfn:4a2c1', 'bug'],
  ['watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [hmm-tests:88]', 'rcu_stall'],
  ['watchdog: Watchdog detected hard LOCKUP on cpu 1', 'rcu_stall'],
  ['WARNING: mm/hmm.c:310 at hmm_vma_walk_pmd+0x1a/0x200, CPU#0: hmm-tests/88', 'warning'],
  ['WARNING: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected', 'lockdep'],
  ['INFO: trying to register non-static key.', 'lockdep'],
  ['WARNING: possible recursive locking detected', 'lockdep'],
  ['WARNING: suspicious RCU usage', 'lockdep'],
  ['WARNING: bad unlock balance detected!', 'lockdep'],
  ['UBSAN: array-index-out-of-bounds in lib/test_hmm.c:812:9', 'warning'],
  ['BUG: KFENCE: use-after-free read in dmirror_fops_unlocked_ioctl+0x3fa/0x45a [test_hmm]', 'kasan'],
  ['Unable to handle kernel NULL pointer dereference at virtual address 0000000000000090', 'oops'],
  ['Internal error: Oops: 0000000096000004 [#1] PREEMPT SMP', 'oops'],
  ['BUG: Kernel NULL pointer dereference on read at 0x00000090', 'oops'],
  ['BUG: unable to handle page fault for address: ffffeb0000000008', 'oops'],
  ['BUG: kernel NULL pointer dereference, address: 0000000000000090', 'oops'],
  ['Oops: general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] SMP', 'oops'],
  ['Kernel panic - not syncing: Fatal exception', 'panic'],
  ['# WARNING: not a kernel line', undefined],
  ['ok 1 hmm.hmm_device_private.open_close', undefined],
  ['rcu: Hierarchical RCU implementation.', undefined],
];

t.test('report headers map to event kinds', async (t) => {
  for (const [line, kind] of HEADERS) t.equal(matchEvent(line)?.kind, kind, line);
});

t.test('the function of a report', async (t) => {
  t.equal(
    eventFunction(['BUG: KASAN: slab-use-after-free in dmirror_fops_release+0x2a/0x80 [test_hmm]']),
    'dmirror_fops_release',
  );
  t.equal(eventFunction(['WARNING: CPU: 1 PID: 88 at mm/hmm.c:204 hmm_vma_walk_pmd+0x1c/0x2a0']), 'hmm_vma_walk_pmd');
  // A hung task's trace starts in the scheduler and the lock slow path: the function is the first frame past them.
  t.equal(
    eventFunction([
      'INFO: task hmm-tests:113 blocked for more than 120 seconds.',
      'Call Trace:',
      ' <TASK>',
      ' __schedule+0x2d0/0x8a0',
      ' schedule+0x2e/0xd0',
    ]),
    undefined,
    'only scheduler frames: no function',
  );
  t.equal(
    eventFunction(
      [
        'INFO: task hmm-tests:97 blocked for more than 10 seconds.',
        'Call Trace:',
        ' <TASK>',
        ' __schedule+0x2d0/0x8a0',
        ' schedule+0x2e/0xd0',
        ' schedule_preempt_disabled+0x15/0x30',
        ' __mutex_lock+0x5a1/0xa00',
        ' dmirror_interval_invalidate+0x5e/0x140 [test_hmm]',
        ' __mmu_notifier_invalidate_range_start+0x2d1/0x3c0',
      ],
      'hung_task',
    ),
    'dmirror_interval_invalidate',
  );
  // might_sleep's own frames are skipped; lockdep reports name the lock site (`, at: fn+0x…`).
  t.equal(
    eventFunction(
      [
        'BUG: sleeping function called from invalid context at lib/test_hmm.c:1275',
        'Call Trace:',
        ' <TASK>',
        ' dump_stack_lvl+0x5d/0x80',
        ' __might_resched+0x1f6/0x2b0',
        ' dmirror_device_remove_chunks+0x1ad/0x4a0 [test_hmm]',
      ],
      'bug',
    ),
    'dmirror_device_remove_chunks',
  );
  t.equal(
    eventFunction(
      [
        'WARNING: lock held when returning to user space!',
        '1 lock held by hmm-tests/97:',
        ' #0: ffff888004e1c0b8 (&dmirror->mutex){+.+.}-{4:4}, at: dmirror_write+0x1c4/0x3b0 [test_hmm]',
      ],
      'lockdep',
    ),
    'dmirror_write',
  );
  t.equal(eventFunction(['RIP: 0010:0xffffffffa0003500']), undefined, 'no KALLSYMS, no function');
  // The same real oops without KALLSYMS names nothing.
  const noSyms = log('oops-no-panic.log').replace(
    /dmirror_fops_unlocked_ioctl\+0x3fa\/0x45a \[test_hmm\]/g,
    '0xffffffffa00033fa',
  );
  const ev = parseConsole(noSyms).events[0]!;
  t.equal(ev.kind, 'oops');
  t.not(ev.function, 'dmirror_fops_unlocked_ioctl');
});

t.test('a hung task report is attributed to the running test and does not crash it', async (t) => {
  const lines = log('clean-58-pass.log').split('\n');
  const at = lines.findIndex((l) => l.startsWith('#  RUN           hmm.hmm_device_private.migrate_multiple'));
  const report = [
    '[  243.100000] INFO: task hmm-tests:113 blocked for more than 120 seconds.',
    '[  243.100000]       Not tainted 6.12.117 #1',
    '[  243.100000] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
    '[  243.100000] task:hmm-tests       state:D stack:0     pid:113   tgid:113   ppid:90     flags:0x00004002',
    '[  243.100000] Call Trace:',
    '[  243.100000]  <TASK>',
    '[  243.100000]  __schedule+0x2d0/0x8a0',
    '[  243.100000]  schedule+0x2e/0xd0',
    '[  243.100000]  __wait_for_common+0x10c/0x1f0',
    '[  243.100000]  dmirror_migrate_to_device+0x2b1/0x3f0 [test_hmm]',
    '[  243.100000]  </TASK>',
  ];
  const r = parseConsole([...lines.slice(0, at + 1), ...report, ...lines.slice(at + 1)].join('\n'));
  t.same(r.counts, { pass: 58 });
  t.match(r.events, [
    { kind: 'hung_task', test: 'hmm.hmm_device_private.migrate_multiple', function: 'dmirror_migrate_to_device' },
  ]);
  t.same(
    r.events[0]!.text.split('\n').slice(0, report.length),
    report.map((l) => l.replace(/^\[\s*[\d.]+\] /, '')),
  );
});
