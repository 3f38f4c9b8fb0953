import { join } from 'node:path';
import { interruptedSignalName, onCleanup } from '../common/cleanup.js';
import { HmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { needsRerun } from '../compare/index.js';
import type { RunRecord } from '../report/record.js';
import { describeArtifact, kernelEntries } from '../stages/manifest.js';
import type { Tested } from '../stages/types.js';
import type { Slot } from '../tree/types.js';
import type { BaselineGroup } from './baseline-job.js';
import { failureError } from './exit-status.js';
import { JobRecord } from './job-record.js';
import { buildIn, configureIn, guestRun, prepareIn, slotOf, type Job, type RunContext } from './run-context.js';
import { markInterrupted } from './run-dir.js';
import { Timer } from './timer.js';

/** Everything one job's steps share: the run, the job, its record, its timer, its slot. */
interface JobContext {
  rc: RunContext;
  job: Job;
  rec: JobRecord;
  t: Timer;
  group: BaselineGroup;
}

/**
 * One job of `hmmci run` as a function over its context: take a slot (the baseline's, for the
 * group's first job: an incremental build), apply, configure, build, boot, rerun when the result
 * changed, compare with the baseline. A failure ends the job with its record saying why; the
 * worktree is reset and the slot released whatever happens.
 */
export async function runJob(rc: RunContext, job: Job, group: BaselineGroup): Promise<RunRecord> {
  const rd = job.runDir;
  const side = rc.multi ? `patched ${rd.id.split('-').slice(2, -1).join('-')}` : 'patched';
  const jc: JobContext = {
    rc,
    job,
    rec: new JobRecord(rc, job),
    t: new Timer(rc.req.reporter, (s) => (s === 'patched' ? side : undefined)),
    group,
  };
  const unmark = onCleanup(`mark run ${rd.id} interrupted`, () =>
    markInterrupted(rd.dir, interruptedSignalName() ?? 'an error'),
  );
  let slot: Slot | undefined;
  let unreset: (() => void) | undefined;
  try {
    slot = await takeSlot(jc);
    const s = slot;
    jc.rec.slotAt(s.rev);
    // An interrupt mid-`git am` must not leave a half-applied worktree for the next user.
    unreset = onCleanup(`reset worktree ${s.worktree}`, () => rc.stages.resetSlot(s, s.rev));
    const first = await patchedKernel(jc, s);
    await knowBaseline(jc);
    await reruns(jc, s, first);
    jc.rec.compared();
  } catch (err) {
    const aborted = rc.req.signal.aborted;
    jc.rec.stopped(aborted ? err : await withBaseline(jc, err), aborted);
    if (slot) await rc.stages.resetSlot(slot, slot.rev).catch(() => undefined);
  } finally {
    jc.rec.finish(jc.t.stages);
    unmark();
    unreset?.();
    if (slot) await slot.release();
  }
  return jc.rec.record;
}

async function takeSlot(jc: JobContext): Promise<Slot> {
  if (!jc.job.sharesBaselineSlot) return slotOf(jc.rc, jc.t, 'patched', jc.job);
  jc.group.taken = true;
  return jc.group.slot;
}

/**
 * A job that failed still reports its baseline. For the group's first job a broken baseline is
 * the answer (serially, the job would not have started), whatever else failed meanwhile.
 */
async function withBaseline(jc: JobContext, err: unknown): Promise<unknown> {
  try {
    jc.rec.baselineKnown(await jc.group.result);
    return err;
  } catch (baseErr) {
    return jc.job.sharesBaselineSlot ? baseErr : err;
  }
}

async function knowBaseline(jc: JobContext): Promise<void> {
  jc.rec.baselineKnown(await jc.group.result);
}

/** Apply, configure, build and boot the patched kernel once. */
async function patchedKernel(jc: JobContext, s: Slot): Promise<Tested> {
  const { rc, job, rec, t } = jc;
  const applied = await t.run(
    'apply',
    'patched',
    rc.ctx,
    (c) => rc.stages.applySeries({ series: job.series, worktree: s.worktree, base: s.rev }, c),
    (a) => `${a.commits.length} commit${a.commits.length === 1 ? '' : 's'}`,
  );
  rec.applied(applied);
  const config = await configureIn(rc, t, 'patched', s, job.variant);
  if (!config.ok) throw failureError(config);
  rec.configured(config);
  const ready = prepareIn(rc, s.worktree);
  const built = await buildIn(rc, t, 'patched', s).finally(() => ready);
  rec.built(built, built.ok ? kernelEntries('patched', built.artifacts) : []);
  if (!built.ok) throw failureError(built);
  const first = await guestRun(rc, t, 'test', 'patched', {
    srcDir: s.worktree,
    buildDir: s.buildDir,
    logDir: job.runDir.path(join('guest', 'patched')),
  });
  if (first.ok) {
    rec.tested(first, describeArtifact('hmm-tests', 'patched', first.hmmTests));
    return first;
  }
  if (first.kind !== 'no-results') throw failureError(first);
  // The baseline booted and produced results (or will tell: a broken baseline wins); the patched kernel did not.
  await knowBaseline(jc);
  rec.noResults(first);
  throw new HmmciError(`The patched kernel produced no hmm-tests results (the baseline did): ${first.message}`, {
    exitCode: ExitCode.TESTS_FAILED,
    logPath: first.logPath,
    details: first.details,
  });
}

/** Boot the patched kernel again when its first results differ from the baseline's. */
async function reruns(jc: JobContext, s: Slot, first: Tested): Promise<void> {
  const { rc, rec, t } = jc;
  const baseline = rec.knownBaseline;
  if (!baseline || rc.req.reruns <= 0 || !needsRerun(baseline.entry.result, first.result)) return;
  for (let i = 1; i <= rc.req.reruns; i++) {
    const again = await guestRun(rc, t, 'rerun', 'patched', {
      srcDir: s.worktree,
      buildDir: s.buildDir,
      logDir: jc.job.runDir.path(join('guest', `rerun${i}`)),
    });
    // A rerun that produced nothing confirms nothing: the runs that did produce results decide.
    if (!again.ok)
      rc.req.reporter.warn(
        `rerun ${i} of the patched kernel produced no results (${again.message.split('. ')[0]}); it is left out of the comparison`,
      );
    rec.rerun(i, again);
  }
}
