import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { interruptedSignalName } from '../common/cleanup.js';
import { HmmciError, isHmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { compareResults } from '../compare/index.js';
import { recordRunInHistory } from '../history/record-run.js';
import type { RunRecord, SideResult, StageTiming } from '../report/record.js';
import type { TestRunResult } from '../results/types.js';
import type { BaselineEntry } from '../stages/baseline-store.js';
import type { ManifestEntry } from '../stages/manifest.js';
import type { ApplyOutcome, BuildOutcome, Configured, StageFailure, Tested, TestOutcome } from '../stages/types.js';
import { exitForComparison } from './exit-status.js';
import { writeJobManifest } from './job-manifest.js';
import { patchsetHash } from './patchset-hash.js';
import type { Job, RunContext } from './run-context.js';
import { markInterrupted, writeRecord } from './run-dir.js';

/** What a job learns about its baseline (computed here, by another job, or from the store). */
export interface KnownBaseline {
  entry: BaselineEntry;
  cached: boolean;
  config: Configured;
  stages: StageTiming[];
  /** The baseline kernel's files and hmm-tests, described after its build (none when cached). */
  produced: ManifestEntry[];
}

function copyIfExists(from: string | undefined, to: string): string | undefined {
  if (!from || !existsSync(from)) return undefined;
  if (resolve(from) !== resolve(to)) copyFileSync(from, to);
  return to;
}

const sideResult = (r: TestRunResult): TestRunResult => ({ tests: r.tests, counts: r.counts, events: r.events });

function writeJson(path: string, value: unknown): string {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  return path;
}

/**
 * A job's `record.json` and run directory, changed only through named updates: each says what
 * happened (applied, configured, built, tested, a rerun, the baseline became known, compared,
 * failed), keeps the artifacts that go with it and writes the record, so a reader (or an
 * interrupt) always finds the job's state up to its last step.
 */
export class JobRecord {
  readonly record: RunRecord;
  private readonly produced: ManifestEntry[] = [];
  private baseline?: KnownBaseline;

  constructor(
    private readonly rc: RunContext,
    private readonly job: Job,
  ) {
    const { series, variant, runDir: rd } = job;
    this.record = {
      schema: 1,
      id: rd.id,
      ...(rc.batch ? { batch: rc.batch } : {}),
      createdAt: new Date().toISOString(),
      status: 'running',
      runDir: rd.dir,
      series: {
        input: series.input,
        title: series.title,
        patches: series.patches,
        base: job.base,
        baseReason: job.baseReason,
        ...(series.author ? { author: series.author } : {}),
        ...(series.messageId ? { messageId: series.messageId } : {}),
        patchsetHash: patchsetHash(series.patchTexts),
      },
      config: {
        fragments: variant.fragments.map((f) => basename(f)),
        extra: variant.extra,
        ...(variant.name ? { variant: variant.name } : {}),
        configHash: '',
      },
      baseline: null,
      patched: null,
      reruns: [],
      comparison: null,
      stages: [...rc.runStages],
      env: {
        kernel: rc.tree.version ?? '',
        gcc: rc.toolchain.gcc,
        qemu: rc.toolchain.qemu,
        accel: '',
        runner: rc.req.runner,
        configHash: '',
      },
      artifacts: { dir: rd.dir, patchedConsoles: [] },
    };
    writeFileSync(rd.path('series.mbox'), series.mbox);
    this.record.artifacts.series = rd.path('series.mbox');
    this.save();
  }

  private get path() {
    return this.job.runDir.path;
  }

  save(): void {
    writeRecord(this.job.runDir.dir, this.record);
  }

  get knownBaseline(): KnownBaseline | undefined {
    return this.baseline;
  }

  /** The slot the series goes into sits at this commit. */
  slotAt(rev: string): void {
    this.record.series.base = rev;
  }

  applied(a: ApplyOutcome): void {
    this.record.series = { ...this.record.series, base: a.base, commits: a.commits };
    this.save();
  }

  configured(c: Configured): void {
    this.record.config.configHash = c.configHash;
    this.record.env.configHash = c.configHash;
    this.record.artifacts.config = copyIfExists(c.configPath, this.path('config'));
  }

  built(b: BuildOutcome, kernel: readonly ManifestEntry[]): void {
    this.record.artifacts.patchedBuildLog = copyIfExists(b.logPath, this.path('patched.build.log'));
    this.produced.push(...kernel);
  }

  /** The first boot of the patched kernel gave no results: its console log is kept. */
  noResults(f: StageFailure): void {
    if (copyIfExists(f.logPath, this.path('patched.console.log')))
      this.record.artifacts.patchedConsoles.push(this.path('patched.console.log'));
  }

  tested(first: Tested, hmmTests: ManifestEntry | undefined): void {
    const r = this.record;
    r.env.accel = first.accel;
    r.env.runner = first.runner;
    r.patched = sideResult(first.result);
    r.artifacts.patchedConsoles.push(
      copyIfExists(first.consoleLogPath, this.path('patched.console.log')) ?? first.consoleLogPath,
    );
    const others = (first.consoleLogs ?? []).filter((l) => l !== first.consoleLogPath);
    if (others.length)
      r.artifacts.patchedOtherConsoles = others.map((l) => copyIfExists(l, this.path(`patched.${basename(l)}`)) ?? l);
    r.artifacts.patchedResults = writeJson(this.path('patched.results.json'), r.patched);
    if (hmmTests) this.produced.push(hmmTests);
    this.save();
  }

  /** Rerun i: its results, or (no results) an empty run that confirms nothing. */
  rerun(i: number, o: TestOutcome): void {
    const r = this.record;
    const log = o.ok ? o.consoleLogPath : o.logPath;
    r.reruns.push(o.ok ? sideResult(o.result) : { tests: [], counts: {}, events: [] });
    if (log) r.artifacts.patchedConsoles.push(copyIfExists(log, this.path(`patched.rerun${i}.console.log`)) ?? log);
    if (o.ok) writeJson(this.path(`patched.rerun${i}.results.json`), sideResult(o.result));
    this.save();
  }

  /** The baseline's results (and what it was configured and built from) join the record. */
  baselineKnown(b: KnownBaseline): void {
    if (this.baseline) return;
    this.baseline = b;
    const r = this.record;
    r.baseline = {
      ...sideResult(b.entry.result),
      ...(b.cached ? { cached: true, fromRun: b.entry.fromRun } : {}),
    } satisfies SideResult;
    if (!r.env.accel) r.env.accel = b.entry.accel;
    if (!r.env.configHash) r.env.configHash = b.config.configHash;
    if (!r.config.configHash) r.config.configHash = b.config.configHash;
    r.artifacts.baselineConsole = copyIfExists(b.entry.consoleLog, this.path('baseline.console.log'));
    r.artifacts.baselineBuildLog = b.cached
      ? undefined
      : copyIfExists(b.entry.buildLog, this.path('baseline.build.log'));
    r.artifacts.baselineResults = writeJson(this.path('baseline.results.json'), sideResult(b.entry.result));
  }

  compared(): void {
    const r = this.record;
    if (!this.baseline || !r.patched) throw new Error('compared() before both sides are known');
    r.comparison = compareResults(this.baseline.entry.result, [r.patched, ...r.reruns]);
    r.status = 'complete';
    r.exitCode = exitForComparison(r.comparison);
  }

  /** The job stopped: interrupted, or failed with this error (exit status and paragraph kept). */
  stopped(err: unknown, interrupted: boolean): void {
    const r = this.record;
    if (interrupted) {
      r.status = 'interrupted';
      r.exitCode = ExitCode.INTERRUPTED;
      return;
    }
    r.status = 'failed';
    const e = isHmmciError(err)
      ? err
      : new HmmciError(`internal error: ${(err as Error)?.message ?? String(err)}`, {
          exitCode: ExitCode.INFRA,
          cause: err,
        });
    r.exitCode = e.exitCode;
    r.error = {
      message: e.message,
      exitCode: e.exitCode,
      ...(e.logPath ? { logPath: e.logPath } : {}),
      ...(e.details.length ? { details: e.details } : {}),
    };
  }

  /** Last write: every stage's timing, the manifest, the interrupted marker. */
  finish(jobStages: readonly StageTiming[]): RunRecord {
    const r = this.record;
    r.stages = [...this.rc.runStages, ...(this.baseline?.stages ?? []), ...jobStages];
    r.finishedAt = new Date().toISOString();
    try {
      r.artifacts.manifest = writeJobManifest(r, [...(this.baseline?.produced ?? []), ...this.produced]);
    } catch (err) {
      this.rc.req.reporter.warn(`run ${r.id}: no manifest.json (${(err as Error).message})`);
    }
    recordRunInHistory(this.rc.req.cache, r, this.rc.req.reporter);
    this.save();
    if (r.status === 'interrupted') markInterrupted(r.runDir, interruptedSignalName() ?? 'SIGINT');
    return r;
  }
}
