/**
 * How a series version is run: through the local run pipeline (`runSeries` with the Stages it is
 * given) today. The fleet (issue 12) plugs in here as another Executor: same job in, same
 * RunRecord out, cancelled through the job's signal.
 */
import type { CacheLayout } from '../common/cache.js';
import { HmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import type { Reporter } from '../common/progress.js';
import type { RunRecord } from '../report/record.js';
import { runSeries, type ConfigVariant, type Stages } from '../run/index.js';

export interface RunJob {
  /** The series version's key (`<root message-id> vN`). */
  key: string;
  /** The series as an mbox file. */
  mbox: string;
  /** Aborted when a newer version supersedes this one, or on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

export interface Executor {
  readonly name: string;
  run(job: RunJob): Promise<RunRecord>;
}

export interface LocalExecutorOptions {
  stages: Stages;
  cache: CacheLayout;
  reporter: Reporter;
  tree?: string;
  base?: string;
  variants: ConfigVariant[];
  runner: 'qemu' | 'vng';
  reruns: number;
  jobs?: number;
}

export function localExecutor(o: LocalExecutorOptions): Executor {
  return {
    name: 'local',
    async run(job) {
      const out = await runSeries(
        {
          inputs: [job.mbox],
          tree: o.tree,
          base: o.base,
          variants: o.variants.slice(0, 1),
          runner: o.runner,
          reruns: o.reruns,
          jobs: o.jobs,
          cache: o.cache,
          reporter: o.reporter,
          signal: job.signal,
        },
        o.stages,
      );
      const record = out.records[0];
      if (!record) throw new HmmciError(`The run of ${job.key} produced no record.`, { exitCode: ExitCode.INFRA });
      return record;
    },
  };
}
