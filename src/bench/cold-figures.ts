/** Pure helpers of the cold-build benchmarks (src/bench/cold-build.ts, cold-path.ts). */
import type { Reporter } from '../common/progress.js';

/** `1m05s`, `13.2s`, `495ms` as printed by the reporter → ms. */
export function parseDuration(s: string): number {
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g))
    ms += Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[m[2] as 'h' | 'm' | 's' | 'ms'];
  return Math.round(ms);
}

/** Stage durations from the reporter's `  ok NAME [what] 13.2s — …` lines. */
export function stageTimes(stderr: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of stderr.matchAll(/^\s+ok ([a-z: ]+?) \[.*?\] ((?:\d+(?:\.\d+)?(?:h|ms|m|s))+)/gm))
    out[m[1]!.trim()] = parseDuration(m[2]!);
  return out;
}

/** CPU-seconds so far: user + sys of this process and of its waited-for children. */
export interface CpuSample {
  self: number;
  children: number;
}

export interface SubStep {
  /** `tree: unpack`, or `config / make tinyconfig` for a named step inside a stage. */
  name: string;
  wallMs: number;
  /** CPU-seconds of the commands it ran (children reaped during the step). */
  childCpuS: number;
  /** CPU-seconds of hmmci's own process during the step. */
  selfCpuS: number;
}

/** A status text that only counts progress (`1200 files`, `500/86691 files added`): not a step. */
export function isProgressText(text: string): boolean {
  return /^\d/.test(text);
}

/**
 * A Reporter for benchmarks that records every stage, and every named step inside one (a status
 * update that is not a progress count: `make tinyconfig`, `merge_config.sh`, …), with its wall
 * time and CPU-seconds. `clock` and `cpu` are injected (tests use fixed ones).
 */
export class StepRecorder {
  readonly steps: SubStep[] = [];

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly cpu: () => CpuSample = () => ({ self: 0, children: 0 }),
  ) {}

  private open(name: string) {
    return { name, at: this.clock(), cpu: this.cpu() };
  }

  private close(o: { name: string; at: number; cpu: CpuSample }): void {
    const c = this.cpu();
    const r = (x: number) => Number(x.toFixed(2));
    this.steps.push({
      name: o.name,
      wallMs: this.clock() - o.at,
      childCpuS: r(c.children - o.cpu.children),
      selfCpuS: r(c.self - o.cpu.self),
    });
  }

  reporter(): Reporter {
    return {
      stage: (name: string, _side?: string) => {
        const whole = this.open(name);
        let inner: ReturnType<StepRecorder['open']> | undefined;
        const end = () => {
          if (inner) this.close(inner);
          inner = undefined;
          this.close(whole);
          return this.clock() - whole.at;
        };
        return {
          update: (text: string) => {
            if (isProgressText(text)) return;
            if (inner) this.close(inner);
            inner = this.open(`${name} / ${text}`);
          },
          done: end,
          fail: end,
        };
      },
      info: () => {},
      warn: () => {},
    };
  }
}
