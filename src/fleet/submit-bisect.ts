import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { CacheLayout } from '../common/cache.js';
import { HmmciError, UsageError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { onCleanup } from '../common/cleanup.js';
import type { Reporter } from '../common/progress.js';
import type { BisectCommit, BisectReport } from '../bisect/types.js';
import type { ConfigVariant, StageContext, Stages } from '../stages/types.js';
import { git } from '../tree/git.js';
import type { BisectJobData, BisectJobResult } from './bisect-job.js';
import { FleetClient } from './client.js';
import { buildJobData, stageError } from './fleet-stages.js';
import { BISECT_QUEUE, buildQueue, testQueue, type BuildJobData, type BuildJobResult } from './jobs.js';
import { openStore } from './store.js';
import { storeSpec } from './submit.js';

export interface FleetBisectRequest {
  url: string;
  store?: string;
  /** How long to wait for a live worker for each queue before failing (ms; default 0: at once). */
  waitWorkersMs?: number;
  cache: CacheLayout;
  local: Stages;
  input: string;
  tree?: string;
  base?: string;
  variant: ConfigVariant;
  runner: 'qemu' | 'vng';
  patterns: string[];
  buildFailureIsBad: boolean;
  reporter: Reporter;
  signal: AbortSignal;
}

/** The same bisect (series, base, config, runner, --test, build failures) is one step job. */
function bisectJobId(build: BuildJobData, req: FleetBisectRequest): string {
  const key = JSON.stringify([
    build.tree,
    build.base,
    build.series?.patchsetHash,
    build.variant.configKey,
    req.runner,
    req.patterns,
    req.buildFailureIsBad,
  ]);
  return `bisect-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

/** The commits the tip's build job made (as soon as it has applied the series, or from its end). */
async function tipCommits(client: FleetClient, build: BuildJobData, input: string) {
  const tipJob = await client.submitBuild<BuildJobResult>(build);
  const p = await tipJob.reached(['applied', 'configured', 'built']);
  let applied = p?.apply;
  if (!applied) {
    const end = await tipJob.end;
    if (end.state === 'failed')
      throw new HmmciError(`The fleet gave up on the tip's build job ${tipJob.id}: ${end.reason}.`, {
        exitCode: ExitCode.INFRA,
      });
    if (!end.value.ok) throw stageError(end.value.failure);
    applied = end.value.apply;
  }
  if (!applied || applied.commits.length === 0) throw new UsageError(`Nothing to bisect: ${input} applied no commit.`);
  return applied;
}

/** Wait for the step job; its report, once it ends. */
async function stepJobReport(client: FleetClient, data: BisectJobData, req: FleetBisectRequest): Promise<BisectReport> {
  const job = await client.submit<BisectJobResult>(BISECT_QUEUE, data, bisectJobId(data.build, req), { attempts: 3 });
  req.reporter.info(`fleet: bisect step job ${job.id} over ${data.commits.length - 1} patches`);
  const end = await job.end;
  if (end.state === 'failed')
    throw new HmmciError(`The fleet's bisect job ${job.id} failed after ${end.attempts} attempt(s): ${end.reason}`, {
      exitCode: ExitCode.INFRA,
    });
  if (end.value.replayed)
    req.reporter.info(`bisect: ${end.value.replayed} step(s) replayed from the job's data after a restart`);
  return end.value.report;
}

/**
 * `hmmci bisect SERIES --fleet URL`: the tip's build job applies the series (its commits name the
 * steps), then one bisect step job runs the bisect driver on some worker over build and test jobs.
 * The same bisect submitted again (same series, base, config, runner, --test) joins that job.
 */
export async function fleetBisect(req: FleetBisectRequest): Promise<{ report: BisectReport; title: string }> {
  const client = await FleetClient.connect(req.url, {
    onProgress: (_id, p) => p.stage === 'bisect' && p.text && req.reporter.info(`bisect: ${p.text}`),
  });
  const workDir = join(req.cache.root, 'fleet', 'submit', randomUUID().slice(0, 12));
  mkdirSync(workDir, { recursive: true });
  const unregister = onCleanup('fleet connection', () => client.close());
  try {
    for (const q of [buildQueue('x86_64'), testQueue('x86_64', req.runner), BISECT_QUEUE])
      await client.ensureServable(q, req.waitWorkersMs);
    const ctx: StageContext = { cache: req.cache, reporter: req.reporter, signal: req.signal };
    const store = openStore(storeSpec(req.cache, req.store));
    const tree = await req.local.resolveTree({ tree: req.tree }, ctx);
    const series = await req.local.loadSeries(req.input, tree, ctx);
    const chosen = await req.local.chooseBase({ tree, series, option: req.base }, ctx);
    req.reporter.info(`bisect: base ${chosen.base.slice(0, 12)} (${chosen.reason})`);
    const build = await buildJobData(
      { store, local: req.local, workDir },
      { tree, rev: chosen.base, series, variant: req.variant },
      ctx,
    );
    const applied = await tipCommits(client, build, req.input);
    const baseSubject = (await git(tree.path, ['log', '-1', '--format=%s', chosen.base]).catch(() => '')).trim();
    const commits: BisectCommit[] = [
      { index: 0, sha: applied.base, subject: baseSubject || 'base (the series not applied)' },
      ...applied.commits.map((c, i) => ({ index: i + 1, sha: c.sha, subject: c.subject })),
    ];
    const data: BisectJobData = {
      kind: 'bisect',
      build,
      runner: req.runner,
      commits,
      patterns: req.patterns,
      buildFailureIsBad: req.buildFailureIsBad,
      redis: req.url,
      outcomes: {},
      state: { good: 0, bad: commits.length - 1, step: 0 },
    };
    return { report: await stepJobReport(client, data, req), title: series.title };
  } finally {
    unregister();
    await client.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}
