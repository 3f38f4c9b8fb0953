import { HmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { silentReporter, type Reporter } from '../common/progress.js';
import { bisect } from '../bisect/driver.js';
import { deriveTargets, verdictOf } from '../bisect/verdict.js';
import type { BisectCommit, BisectReport, CommitTester, CommitOutcome } from '../bisect/types.js';
import type { FleetClient } from './client.js';
import type { BuildJobData, BuildJobResult, TestJobResult } from './jobs.js';

/**
 * A bisect as one step job: the driver (src/bisect/driver.ts, the same as a local bisect) runs on
 * a worker; each commit it asks for becomes a build job (the series' first i patches, keyed, so a
 * rebuilt step is the finished job) and a test job. Every outcome goes into the job's own data
 * with `{good, bad, step}`: a step job whose worker died restarts elsewhere and replays the
 * outcomes it already has without building or booting anything again.
 */
export interface BisectJobData {
  kind: 'bisect';
  /** The build of the whole series (index N); build i is it with `upTo: i` (0: the baseline). */
  build: BuildJobData;
  runner: 'qemu' | 'vng';
  commits: BisectCommit[];
  patterns: string[];
  buildFailureIsBad: boolean;
  redis: string;
  /** Outcomes by `<index>:<rerun 0|1>`. */
  outcomes: Record<string, CommitOutcome>;
  state: { good: number; bad: number; step: number };
}

export interface BisectJobResult {
  report: BisectReport;
  /** Outcomes replayed from the job's data (after a restart) rather than tested. */
  replayed: number;
}

/** The build job of commit `index`: the baseline for 0, the first `index` patches otherwise. */
export function buildFor(d: BisectJobData, index: number): BuildJobData {
  if (index === 0) return { ...d.build, series: null };
  const s = d.build.series;
  if (!s) throw new Error('bisect: the tip build has no series');
  return { ...d.build, series: { ...s, ...(index < d.commits.length - 1 ? { upTo: index } : {}) } };
}

/**
 * `{good, bad, step}` from the outcomes so far: once both ends have results, the highest commit
 * judged good and the lowest judged bad (the same verdicts the driver uses); step = commits tested.
 */
export function bounds(d: BisectJobData): BisectJobData['state'] {
  const n = d.commits.length - 1;
  const base = d.outcomes['0:0'];
  const tip = d.outcomes[`${n}:0`];
  let good = 0;
  let bad = n;
  if (base?.kind === 'results' && tip?.kind === 'results') {
    const targets = deriveTargets(base.result, tip.result, d.patterns).names;
    for (const [key, o] of Object.entries(d.outcomes)) {
      const i = Number(key.split(':')[0]);
      const v = verdictOf(o, targets, { buildFailureIsBad: d.buildFailureIsBad }).verdict;
      if (v === 'good') good = Math.max(good, i);
      if (v === 'bad') bad = Math.min(bad, i);
    }
  }
  return { good, bad, step: Object.keys(d.outcomes).length };
}

/** Commit outcomes from build and test jobs, memoised in the step job's data. */
function fleetTester(
  d: BisectJobData,
  client: FleetClient,
  save: (d: BisectJobData) => Promise<void>,
  counter: { replayed: number },
): CommitTester {
  return {
    async test(commit, { rerun }) {
      const key = `${commit.index}:${rerun ? 1 : 0}`;
      const known = d.outcomes[key];
      if (known) {
        counter.replayed++;
        return known;
      }
      const started = Date.now();
      const b = await client.submitBuild<BuildJobResult>(buildFor(d, commit.index));
      const built = await b.end;
      if (built.state === 'failed')
        throw new HmmciError(
          `bisect: build job ${b.id} of ${commit.sha.slice(0, 12)} failed on every try: ${built.reason}`,
          { exitCode: ExitCode.INFRA },
        );
      let outcome: CommitOutcome;
      if (!built.value.ok) {
        if (built.value.failure.stage !== 'build')
          throw new HmmciError(built.value.failure.message, {
            exitCode: built.value.failure.exitCode as 4,
            details: built.value.failure.details,
          });
        outcome = { kind: 'build-failure', ms: Date.now() - started, built: true, errors: built.value.failure.details };
      } else {
        const t = await client.submitTest<TestJobResult>({
          kind: 'test',
          manifest: built.value.manifest,
          runner: d.runner,
          arch: d.build.arch,
          store: d.build.store,
          label: `bisect ${commit.sha.slice(0, 12)}`,
        });
        const end = await t.end;
        if (end.state === 'failed')
          throw new HmmciError(
            `bisect: the guest hung or was lost on every try of ${commit.sha.slice(0, 12)}: ${end.reason}`,
            { exitCode: ExitCode.INFRA },
          );
        outcome = end.value.ok
          ? {
              kind: 'results',
              result: end.value.result,
              ms: Date.now() - started,
              built: !rerun,
              accel: end.value.accel,
            }
          : {
              kind: 'no-results',
              ms: Date.now() - started,
              built: !rerun,
              reason: end.value.failure.message.split('. ')[0] ?? 'no results',
            };
      }
      d.outcomes[key] = outcome;
      d.state = bounds(d);
      await save(d);
      return outcome;
    },
  };
}

/** Run the step job: the bisect driver over fleet jobs; `{good, bad, step}` follow its verdicts. */
export async function runBisectJob(
  d: BisectJobData,
  client: FleetClient,
  save: (d: BisectJobData) => Promise<void>,
  reporter: Reporter = silentReporter,
): Promise<BisectJobResult> {
  const counter = { replayed: 0 };
  const report = await bisect({
    commits: d.commits,
    tester: fleetTester(d, client, save, counter),
    patterns: d.patterns,
    buildFailureIsBad: d.buildFailureIsBad,
    reporter,
  });
  d.state = bounds(d);
  await save(d);
  return { report, replayed: counter.replayed };
}
