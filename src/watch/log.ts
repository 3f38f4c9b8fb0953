/**
 * The watcher's log: every decision as a JSON line in `<state>/watch.log` (message-id, reason),
 * and the ones an operator reads (series tested, skipped, incomplete, superseded, problems) on
 * stderr. Text from mail is escaped before it reaches the terminal.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Reporter } from '../common/progress.js';

/** Control characters (escape sequences, CR, BEL…) from mail shown as \xNN, never sent to a terminal. */
export function termSafe(text: string, max = 160): string {
  const s = text.replace(
    /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

export interface LogEvent {
  event: string;
  msgid?: string;
  series?: string;
  reason?: string;
  [k: string]: unknown;
}

export class WatchLog {
  readonly events: LogEvent[] = [];
  private pending: string[] = [];
  constructor(
    readonly file: string,
    private readonly reporter: Reporter,
    private readonly keep = false,
  ) {
    mkdirSync(dirname(file), { recursive: true });
  }

  /** Into the log file only (per-message decisions). */
  record(e: LogEvent): void {
    this.pending.push(`${JSON.stringify({ at: new Date().toISOString(), ...e })}\n`);
    if (this.keep) this.events.push(e);
    if (this.pending.length >= 1000) this.flush();
  }

  flush(): void {
    if (!this.pending.length) return;
    appendFileSync(this.file, this.pending.join(''));
    this.pending = [];
  }

  /** Into the log file and on stderr. */
  say(e: LogEvent, text: string): void {
    this.record(e);
    this.flush();
    this.reporter.info(`watch: ${termSafe(text, 400)}`);
  }

  warn(e: LogEvent, text: string): void {
    this.record(e);
    this.flush();
    this.reporter.warn(`watch: ${termSafe(text, 400)}`);
  }
}
