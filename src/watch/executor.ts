/**
 * How a series version is run: through the local run pipeline (`runSeries` with the Stages it is
 * given), or on the fleet (`--fleet`): the same runSeries over the fleet's stages, exactly as
 * `hmmci run --fleet` submits (withFleet). Same job in, same RunRecord out, cancelled through
 * the job's signal.
 */
import type { CacheLayout } from '../common/cache.js';
import { HmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import type { Reporter } from '../common/progress.js';
import type { RunRecord } from '../report/record.js';
import { parseRedisUrl } from '../fleet/connection.js';
import { withFleet } from '../fleet/submit.js';
import { runSeries, type ConfigVariant, type RunRequest, type Stages } from '../run/index.js';

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

function runRequestOf(o: LocalExecutorOptions, job: RunJob): RunRequest {
  return {
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
  };
}

function onlyRecord(job: RunJob, records: readonly RunRecord[]): RunRecord {
  const record = records[0];
  if (!record) throw new HmmciError(`The run of ${job.key} produced no record.`, { exitCode: ExitCode.INFRA });
  return record;
}

export function localExecutor(o: LocalExecutorOptions): Executor {
  return {
    name: 'local',
    async run(job) {
      return onlyRecord(job, (await runSeries(runRequestOf(o, job), o.stages)).records);
    },
  };
}

export interface FleetExecutorOptions extends LocalExecutorOptions {
  /** The fleet's Redis, redis://HOST:PORT (`--fleet`). */
  url: string;
  /** The artifact store every worker reaches (`--store`; default $HMMCI_STORE or <cache>/fleet/store). */
  artifactStore?: string;
  /** How long to wait for a live worker for each queue before a round fails (ms; `--wait-workers`). */
  waitWorkersMs?: number;
}

/**
 * Each series version as one `hmmci run --fleet`: builds and boots are jobs on the workers, the
 * run directory and reports are written here. No live worker for a queue → FleetError (exit 12):
 * the watcher keeps the series queued for the next round.
 */
export function fleetExecutor(o: FleetExecutorOptions): Executor {
  const target = parseRedisUrl(o.url, '--fleet');
  return {
    name: `fleet ${target.host}:${target.port}`,
    async run(job) {
      const out = await withFleet(
        o.url,
        {
          cache: o.cache,
          store: o.artifactStore,
          local: o.stages,
          runner: o.runner,
          waitWorkersMs: o.waitWorkersMs,
          signal: job.signal,
        },
        // As run --fleet: the baseline boots from the store, so no overlap with the patched build.
        (stages, machine) => runSeries({ ...runRequestOf(o, job), machine, overlapBaselineBoot: false }, stages),
      );
      return onlyRecord(job, out.records);
    },
  };
}
