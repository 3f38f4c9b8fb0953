import { isHmmciError } from '../common/errors.js';
import type { Reporter, StageHandle } from '../common/progress.js';
import type { Side, StageTiming } from '../report/record.js';
import type { TestRunResult } from '../results/types.js';
import type { StageContext, StageFailure } from '../stages/types.js';

/** A reporter whose stages feed one outer stage: each pipeline stage prints exactly once. */
function nested(parent: Reporter, outer: StageHandle, outerName: string): Reporter {
  return {
    stage(name) {
      return {
        update: (text) =>
          outer.update(name === outerName || name.startsWith(`${outerName}:`) ? text : `${name}: ${text}`),
        done: () => 0,
        fail: () => 0,
      };
    },
    info: (t) => parent.info(t),
    warn: (t) => parent.warn(t),
  };
}

export function isFailure(v: unknown): v is StageFailure {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as { ok?: unknown }).ok === false &&
    typeof (v as { kind?: unknown }).kind === 'string'
  );
}

/** Runs a job's stages with one progress line each and keeps their timings for the record. */
export class Timer {
  readonly stages: StageTiming[] = [];
  constructor(
    private readonly reporter: Reporter,
    private readonly label: (side: Side) => string | undefined,
  ) {}

  async run<T>(
    name: string,
    side: Side,
    ctx: StageContext,
    fn: (ctx: StageContext) => Promise<T>,
    summary?: (v: T) => string | undefined,
  ): Promise<T> {
    const h = this.reporter.stage(name, this.label(side));
    const start = Date.now();
    try {
      const v = await fn({ ...ctx, reporter: nested(this.reporter, h, name) });
      if (isFailure(v)) h.fail(v.message.split('. ')[0]);
      else h.done(summary?.(v));
      this.stages.push({ name, side, ms: Date.now() - start });
      return v;
    } catch (err) {
      h.fail(isHmmciError(err) ? err.message.split('. ')[0] : undefined);
      this.stages.push({ name, side, ms: Date.now() - start });
      throw err;
    }
  }
}

export function countsLine(r: TestRunResult): string {
  return (
    Object.entries(r.counts)
      .filter(([, n]) => n)
      .map(([s, n]) => `${n} ${s}`)
      .join(', ') || 'no tests'
  );
}
