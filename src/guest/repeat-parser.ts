import type { ConsoleLine } from '../results/line-stream.js';
import { ConsoleParser, type ParseResult } from '../results/parser.js';
import { SENTINEL } from '../results/sentinels.js';
import type { LiveParser } from './guest-process.js';

const ITER_RE = new RegExp(`^${SENTINEL.iter} (\\d+)/(\\d+)\\s*$`);

/**
 * The console of one boot that may run hmm-tests several times (`HMMCI-ITER i/N` before each run):
 * one ConsoleParser per run, so each run gets its own verdicts instead of one parser merging them.
 * Lines before the first marker (the boot, the `-l` listing) go to the first run's parser; without
 * any marker (an older init, a boot that failed) it is exactly one ConsoleParser.
 */
export class RepeatParser implements LiveParser {
  private readonly done: ParseResult[] = [];
  private cur: ConsoleParser;
  private marks = 0;
  private everStarted = false;
  private finished = false;

  constructor(private readonly plan?: readonly string[]) {
    this.cur = new ConsoleParser({ plan });
  }

  feed(line: ConsoleLine): void {
    if (ITER_RE.test(line.text)) {
      if (this.marks++ > 0) {
        this.everStarted ||= this.cur.session.started;
        this.done.push(this.cur.finish());
        this.cur = new ConsoleParser({ plan: this.plan });
      }
      return;
    }
    this.cur.feed(line);
  }

  markKilled(reason: string): void {
    this.cur.markKilled(reason);
  }

  get current(): string | undefined {
    return this.cur.current;
  }

  get completed(): number {
    return this.cur.completed;
  }

  get plannedCount(): number | undefined {
    return this.cur.plannedCount;
  }

  /** `started` stays true between one run's end and the next one's START line (watchdogs read it). */
  get session(): { started: boolean } {
    return { started: this.everStarted || this.cur.session.started };
  }

  /** Runs that started (the last may be cut short by a kill); the first even if it never started. */
  finish(): ParseResult[] {
    if (this.finished) throw new Error('RepeatParser.finish() called twice');
    this.finished = true;
    const last = this.cur.finish();
    if (this.done.length === 0 || last.session.started) this.done.push(last);
    return this.done;
  }
}
