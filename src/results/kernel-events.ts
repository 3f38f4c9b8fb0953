import type { EventKind } from './types.js';

/**
 * Kernel report headers as data: the first line of each kind of report the kernel prints, and
 * the kind it is filed under. Checked in order; the first match wins.
 */
export interface EventRule {
  kind: EventKind;
  re: RegExp;
  /** A fatal report kills the task it interrupted (an oops), or the machine (a panic). */
  fatal: boolean;
}

export const EVENT_RULES: readonly EventRule[] = [
  { kind: 'panic', re: /^Kernel panic - not syncing: /, fatal: true },
  { kind: 'kasan', re: /^BUG: KASAN: /, fatal: false },
  // KFENCE is the sampling cousin of KASAN: the same kind of report (use-after-free, out-of-bounds).
  { kind: 'kasan', re: /^BUG: KFENCE: /, fatal: false },
  // x86 `BUG: kernel NULL pointer dereference`, ppc64 `BUG: Kernel NULL pointer dereference on read`,
  // arm64 `Unable to handle kernel NULL pointer dereference at virtual address`.
  {
    kind: 'oops',
    re: /^(?:BUG: (?:[Kk]ernel NULL pointer dereference|[Uu]nable to handle (?:page fault|kernel paging request|kernel NULL pointer|kernel data access|kernel instruction fetch))|Unable to handle kernel (?:NULL pointer dereference|paging request|access to user memory|execute from non-executable memory|write to read-only memory))/,
    fatal: true,
  },
  {
    kind: 'oops',
    re: /^(?:Oops: |general protection fault|Internal error: (?:Oops|Oops - BUG|Oops - BRK|undefined instruction)\b)/,
    fatal: true,
  },
  { kind: 'bug', re: /^kernel BUG at /, fatal: true },
  {
    kind: 'lockdep',
    re: /^(?:WARNING: (?:possible circular locking dependency|possible recursive locking|inconsistent lock state|suspicious RCU usage|possible irq lock inversion|bad unlock balance|lock held when returning to user space|held lock freed|nested lock was not taken|\S+-safe -> \S+-unsafe lock order detected)|INFO: (?:possible irq lock inversion|trying to register non-static key)|BUG: (?:lock held|looking up invalid subclass|MAX_LOCKDEP|key \S+ has not been registered|held lock freed))/,
    fatal: false,
  },
  // Old format `WARNING: CPU: 0 PID: 88 at file:line fn+0x…`; since 6.18ish `WARNING: file:line at fn+0x…, CPU#0: comm/pid`.
  { kind: 'warning', re: /^WARNING: (?:CPU: |at |\S+:\d+ at \S+)/, fatal: false },
  { kind: 'rcu_stall', re: /^rcu: INFO: \S+ (?:self-detected stall|detected (?:expedited )?stalls)\b/, fatal: false },
  { kind: 'hung_task', re: /^INFO: task .+ blocked for more than \d+ seconds\./, fatal: false },
  // Lockups: a CPU stuck in the kernel. The contract has no "lockup" kind; a hard/soft lockup is a
  // CPU that stopped scheduling, which is what an RCU stall reports too: filed as rcu_stall.
  { kind: 'rcu_stall', re: /^(?:watchdog: )?(?:Watchdog detected hard LOCKUP|BUG: soft lockup - CPU#)/, fatal: false },
  // UBSAN reports undefined behaviour and the kernel carries on: a warning.
  { kind: 'warning', re: /^UBSAN: /, fatal: false },
  { kind: 'bug', re: /^(?:watchdog: )?BUG: /, fatal: false },
];

/** Lines that end a report (the trace footer). */
const END_RE = /^---\[ end (?:trace [0-9a-f]+|Kernel panic - not syncing.*?) \]---/;
const KASAN_RULER_RE = /^={20,}$/;

export function matchEvent(text: string): EventRule | undefined {
  for (const r of EVENT_RULES) if (r.re.test(text)) return r;
  return undefined;
}

/**
 * Frames of the machinery that prints a report, checks a context or blocks a task — never the
 * function a report is about: the dump itself, might_sleep's check, lockdep's checks and the
 * scheduler/lock slow paths a hung task sleeps in.
 */
const REPORTING_FRAME_RE = new RegExp(
  '^(?:' +
    [
      'dump_stack',
      'show_stack',
      '__dump_stack',
      'dump_stack_lvl',
      'panic',
      'sched_show_task',
      'rcu_dump_cpu_stacks',
      'print_report',
      'kasan_report',
      '__might_resched',
      '__might_sleep',
      '__might_fault',
      '___might_sleep',
      '__cond_resched',
      'lockdep_\\w+',
      'print_\\w+_bug',
      'check_noncircular',
      'check_prev_add',
      'check_irq_usage',
      'validate_chain',
      '__lock_acquire',
      'lock_acquire',
      'lock_release',
      'mark_lock',
      '__schedule',
      'schedule',
      'schedule_preempt_disabled',
      'schedule_timeout',
      'io_schedule',
      '__mutex_lock',
      '__mutex_lock_common',
      'mutex_lock',
      'mutex_lock_nested',
      'mutex_lock_killable',
      'rwsem_down_read_slowpath',
      'rwsem_down_write_slowpath',
      'down_read',
      'down_write',
      '__wait_for_common',
      'wait_for_completion',
      'rt_mutex_slowlock',
    ].join('|') +
    ')$',
);

/** The function a report names: `RIP: 0010:func+0x1a/0x50 [mod]`, `WARNING: … at file:line func+0x`, `kernel BUG at file:line`. */
export function eventFunction(lines: readonly string[], kind?: EventKind): string | undefined {
  if (kind === 'lockdep') {
    // Lockdep names the lock sites: `… (&dmirror->mutex){+.+.}-{4:4}, at: fn+0x9e/0x1b0 [mod]`.
    for (const l of lines) {
      const at = /, at: (?<fn>[A-Za-z_][\w.]*)\+0x[0-9a-f]+\/0x[0-9a-f]+/.exec(l);
      if (at) return at.groups!.fn;
    }
  }
  for (const l of lines) {
    const rip = /^RIP: [0-9a-f]{4}:(?<fn>[A-Za-z_.][\w.]*)\+0x[0-9a-f]+\/0x[0-9a-f]+/.exec(l);
    if (rip) return rip.groups!.fn;
    const warn = /^WARNING: CPU: \d+ PID: \d+ at \S+ (?<fn>[A-Za-z_.][\w.]*)\+0x/.exec(l);
    if (warn) return warn.groups!.fn;
    const warn2 = /^WARNING: \S+:\d+ at (?<fn>[A-Za-z_.][\w.]*)\+0x/.exec(l);
    if (warn2) return warn2.groups!.fn;
    const kasan = /^BUG: (?:KASAN|KFENCE): [\w -]+? in (?<fn>[A-Za-z_.][\w.]*)\+0x/.exec(l);
    if (kasan) return kasan.groups!.fn;
    // arm64 `pc : fn+0x1c/0x50 [mod]`, ppc64 `NIP [c0080000…] fn+0x3fa/0x45a [mod]`.
    const pc = /^(?:pc : |NIP \[[0-9a-f]+\] )(?<fn>[A-Za-z_.][\w.]*)\+0x[0-9a-f]+\/0x[0-9a-f]+/.exec(l);
    if (pc) return pc.groups!.fn;
  }
  for (const l of lines) {
    // No RIP resolved (a hung task, a stall): the first frame of the first call trace.
    const frame = /^\s*(?:\[[0-9a-f]+\] \[[0-9a-f]+\] )?(?<fn>[A-Za-z_][\w.]*)\+0x[0-9a-f]+\/0x[0-9a-f]+/.exec(l);
    if (frame && !REPORTING_FRAME_RE.test(frame.groups!.fn!)) return frame.groups!.fn;
  }
  return undefined;
}

/**
 * Decide whether a line continues the open report. Reports end at their footer; otherwise any
 * user-space TAP line, a new report header or a sentinel ends them, as does a cap on length.
 */
export function isReportEnd(text: string): boolean {
  return END_RE.test(text);
}

export function isKasanRuler(text: string): boolean {
  return KASAN_RULER_RE.test(text);
}

/** A BUG: header the following `Oops:` line belongs to (one report, not two). */
export function oopsContinues(openHeader: string, text: string): boolean {
  return (
    /^(?:BUG: (?:[Kk]ernel NULL|[Uu]nable to handle)|Unable to handle kernel )/.test(openHeader) &&
    /^(?:Oops: |Internal error: Oops)/.test(text)
  );
}

/** `kernel BUG at …` is followed by its own `Oops: invalid opcode` line: same report. */
export function bugContinues(openHeader: string, text: string): boolean {
  return /^kernel BUG at /.test(openHeader) && /^Oops: /.test(text);
}
