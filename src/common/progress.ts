/**
 * Progress for long work: each stage prints its name when it starts and its elapsed time when it
 * ends; within a stage, `update` shows a one-line status (build progress, test being run). On a
 * terminal the status line is rewritten in place; elsewhere (CI logs) it is printed at most every
 * few seconds so logs stay readable.
 */
export interface StageHandle {
  update(text: string): void;
  done(summary?: string): number;
  fail(summary?: string): number;
}

export interface Reporter {
  stage(name: string, side?: string): StageHandle;
  info(text: string): void;
  warn(text: string): void;
}

export interface ReporterOptions {
  stream?: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean };
  quiet?: boolean;
  /** Minimum interval between non-TTY status lines. */
  throttleMs?: number;
  now?: () => number;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)}s`;
  const total = Math.round(ms / 1000);
  const m = Math.floor(total / 60);
  return `${m}m${String(total - m * 60).padStart(2, '0')}s`;
}

export function createReporter(opts: ReporterOptions = {}): Reporter {
  const out = opts.stream ?? process.stderr;
  const tty = Boolean(out.isTTY);
  const now = opts.now ?? Date.now;
  const throttle = opts.throttleMs ?? 5000;
  const write = (s: string) => {
    if (!opts.quiet) out.write(s);
  };
  let statusShown = false;
  const clearStatus = () => {
    if (tty && statusShown) {
      write('\r\x1b[K');
      statusShown = false;
    }
  };
  return {
    stage(name, side) {
      const label = side ? `${name} [${side}]` : name;
      const start = now();
      let lastPrint = Number.NEGATIVE_INFINITY;
      clearStatus();
      write(`==> ${label}\n`);
      const end = (mark: string, summary?: string) => {
        const ms = now() - start;
        clearStatus();
        write(`${mark} ${label} ${formatMs(ms)}${summary ? ` — ${summary}` : ''}\n`);
        return ms;
      };
      return {
        update(text) {
          const line = `    ${label} ${formatMs(now() - start)}: ${text}`;
          if (tty) {
            write(`\r\x1b[K${line.slice(0, (process.stderr.columns || 120) - 1)}`);
            statusShown = true;
          } else if (now() - lastPrint >= throttle) {
            lastPrint = now();
            write(`${line}\n`);
          }
        },
        done: (summary) => end('  ok', summary),
        fail: (summary) => end('FAIL', summary),
      };
    },
    info(text) {
      clearStatus();
      write(`${text}\n`);
    },
    warn(text) {
      clearStatus();
      write(`warning: ${text}\n`);
    },
  };
}

/** A reporter that prints nothing (library use, tests). */
export const silentReporter: Reporter = createReporter({ quiet: true });
