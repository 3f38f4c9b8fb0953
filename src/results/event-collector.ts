import { classify, unnest, versionDepth } from './grammar.js';
import { bugContinues, eventFunction, isKasanRuler, isReportEnd, matchEvent, oopsContinues } from './kernel-events.js';
import type { ConsoleLine } from './line-stream.js';
import type { EventKind, KernelEvent } from './types.js';

/** Kernel events kept (a log of hundreds of MB can hold a report per test, many times over). */
export const MAX_EVENTS = 1000;
const MAX_EVENT_LINES = 300;

/** A kernel report being read: its header came, its end has not. */
interface OpenEvent {
  kind: EventKind;
  /** The test running when the header came (null: none by the console). */
  test: string | null;
  lines: string[];
  fatal: boolean;
  header: string;
  line: number;
}

/** A report read to its end, before it is attributed and kept. */
export interface ClosedEvent {
  kind: EventKind;
  test: string | null;
  text: string;
  function?: string;
  fatal: boolean;
  /** Console line of its header. */
  line: number;
}

/**
 * Reads kernel reports (oops, BUG, panic, WARNING, stalls, KASAN, lockdep …) out of the console:
 * a header opens one, its footer, a KASAN ruler, a user-space line, another header or a length
 * cap closes it. Lines of an open report are also output of the running test (`attach`).
 */
export class EventCollector {
  readonly events: KernelEvent[] = [];
  dropped = 0;
  private open: OpenEvent | undefined;

  constructor(private readonly attach: (text: string) => void) {}

  get isOpen(): boolean {
    return this.open !== undefined;
  }

  /** A report header: open a report (the caller closes any open one first). */
  tryOpen(line: ConsoleLine, runningTest: string | undefined): boolean {
    const rule = matchEvent(line.text);
    if (!rule) return false;
    this.open = {
      kind: rule.kind,
      fatal: rule.fatal,
      test: runningTest ?? null,
      lines: [line.text],
      header: line.text,
      line: line.n,
    };
    this.attach(line.text);
    return true;
  }

  /**
   * Offer a line to the open report. 'taken': it belongs to the report; 'closed': the report ended
   * before this line (call `close()`, then treat the line as new); 'ended': the line was the
   * report's last (call `close()`).
   */
  offer(line: ConsoleLine, depth: number): 'taken' | 'closed' | 'ended' {
    const ev = this.open!;
    const text = line.text;
    if (oopsContinues(ev.header, text) || bugContinues(ev.header, text)) {
      ev.lines.push(text);
      ev.fatal = true;
      this.attach(text);
      return 'taken';
    }
    // The trace footer, or the ruler that closes a KASAN report.
    if (isReportEnd(text) || (ev.kind === 'kasan' && isKasanRuler(text) && ev.lines.length > 1)) {
      ev.lines.push(text);
      this.attach(text);
      return 'ended';
    }
    if (isUserSpace(line, depth) || matchEvent(text) || ev.lines.length >= MAX_EVENT_LINES) return 'closed';
    ev.lines.push(text);
    this.attach(text);
    return 'taken';
  }

  /** End the open report, if any, and return it for attribution (then `keep` it). */
  close(): ClosedEvent | undefined {
    const ev = this.open;
    if (!ev) return undefined;
    this.open = undefined;
    const fn = eventFunction(ev.lines, ev.kind);
    return {
      kind: ev.kind,
      test: ev.test,
      text: ev.lines.join('\n'),
      fatal: ev.fatal,
      line: ev.line,
      ...(fn ? { function: fn } : {}),
    };
  }

  /** Keep an attributed event (up to MAX_EVENTS; the rest are counted). */
  keep(event: KernelEvent): void {
    if (this.events.length < MAX_EVENTS) this.events.push(event);
    else this.dropped++;
  }
}

/** A line only user space writes (TAP, a sentinel, a TH_LOG assertion): it ends a kernel report. */
function isUserSpace(line: ConsoleLine, depth: number): boolean {
  const text = line.text;
  const inner = unnest(text, depth).text;
  const c = classify(inner);
  if (c.type !== 'other' && c.type !== 'comment') return true;
  if (/^HMMCI-/.test(text) || versionDepth(text) >= 0) return true;
  return c.type === 'comment' && line.kernelTime === undefined && /^# [\w./-]+\.c:\d+:/.test(inner);
}
