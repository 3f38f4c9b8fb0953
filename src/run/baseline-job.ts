import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup } from '../common/cleanup.js';
import { HmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { describeArtifact, kernelEntries, materialize, type ManifestEntry } from '../stages/manifest.js';
import type { Built, Configured, LoadedSeries, StageFailure, TestOutcome } from '../stages/types.js';
import type { Slot } from '../tree/types.js';
import { failureError } from './exit-status.js';
import type { KnownBaseline } from './job-record.js';
import { buildIn, configureIn, guestRun, prepareIn, slotOf, type Job, type RunContext } from './run-context.js';
import { Timer } from './timer.js';
import { guestResultKey } from '../guest/guest-options.js';

/**
 * The baseline of one (base, config) group: computed once under the store's lock (or found in the
 * store), shared by every job of the group. Its slot goes on to the group's first job, whose
 * patched build is then incremental — as soon as the baseline no longer needs the tree: at once
 * when cached; right after the baseline build when the boot can run from a snapshot of the
 * baseline's kernel files (the patched kernel builds while the baseline boots); else after the boot.
 */
export interface BaselineGroup {
  /** The slot, handed to the group's first job. */
  slot: Promise<Slot>;
  result: Promise<KnownBaseline>;
  /** The first job took the slot (and releases it). */
  taken: boolean;
}

/** Paths the hmm-tests binary is compiled from (and includes): a series touching them boots its baseline serially. */
const HMM_TESTS_INPUTS = [
  /^tools\/testing\/selftests\//,
  /^tools\/include\//,
  /^lib\/test_hmm_uapi\.h$/,
  /^mm\/gup_test\.h$/,
];

/** Files a series changes (`diff --git a/X b/Y`, both names). Pure. */
export function seriesPaths(series: LoadedSeries): string[] {
  const out = new Set<string>();
  for (const text of series.patchTexts) {
    for (const m of text.matchAll(/^diff --git a\/(\S+) b\/(\S+)$/gm)) {
      out.add(m[1] as string);
      out.add(m[2] as string);
    }
  }
  return [...out];
}

/**
 * Can the baseline boot from a snapshot while the first job patches and builds in the slot? The
 * guest reads the tree only for hmm-tests (compiled from it) and stack decoding, so yes unless the
 * series changes hmm-tests' sources; only QEMU boots from a directory of kernel files.
 */
export function canOverlap(rc: RunContext, first: Job): boolean {
  if (rc.req.overlapBaselineBoot === false || rc.req.runner !== 'qemu') return false;
  return !seriesPaths(first.series).some((p) => HMM_TESTS_INPUTS.some((re) => re.test(p)));
}

function baselineBroken(f: StageFailure, what: string): HmmciError {
  return new HmmciError(
    `The unpatched baseline ${what}, so nothing can be compared: ${f.message} Fix the base tree or its config (or pick another base with --base) and run again.`,
    {
      exitCode: ExitCode.BASELINE_BROKEN,
      logPath: f.logPath,
      details: f.details,
    },
  );
}

export function startBaseline(rc: RunContext, first: Job): BaselineGroup {
  let handOver!: (slot: Slot) => void;
  let refuse!: (err: unknown) => void;
  const slot = new Promise<Slot>((res, rej) => {
    handOver = res;
    refuse = rej;
  });
  slot.catch(() => undefined);
  const group: BaselineGroup = { slot, taken: false, result: Promise.resolve() as unknown as Promise<KnownBaseline> };
  group.result = computeBaseline(rc, first, handOver, refuse);
  group.result.catch(() => undefined);
  return group;
}

async function computeBaseline(
  rc: RunContext,
  first: Job,
  handOver: (slot: Slot) => void,
  refuse: (err: unknown) => void,
): Promise<KnownBaseline> {
  const label = rc.multi ? `baseline${first.variant.name ? ` ${first.variant.name}` : ''}` : 'baseline';
  const t = new Timer(rc.req.reporter, () => label);
  let handed = false;
  const give = (s: Slot) => {
    handed = true;
    handOver(s);
  };
  let slot: Slot | undefined;
  try {
    slot = await slotOf(rc, t, 'baseline', first);
    const s = slot;
    const lockKey = {
      treeId: rc.tree.id,
      base: s.rev,
      configKey: rc.stages.configKey(first.variant),
      toolchain: rc.toolchain.gcc,
      runner: `${rc.req.runner}${guestResultKey(rc.req.guest)}`,
    };
    const onWait = (pid: number) =>
      rc.req.reporter.info(
        `baseline: another hmmci run (pid ${pid}) is computing the same baseline; waiting to reuse it`,
      );
    const known = await rc.store.withLock(lockKey, () => baselineInSlot(rc, first, s, t, give), onWait);
    if (!handed) give(s);
    return known;
  } catch (err) {
    if (!handed) {
      refuse(err);
      if (slot) {
        await rc.stages.resetSlot(slot, slot.rev).catch(() => undefined);
        await slot.release();
      }
    }
    throw err;
  }
}

/** Under the lock: configure, then the store's entry, or build, boot and save one. */
async function baselineInSlot(
  rc: RunContext,
  first: Job,
  slot: Slot,
  t: Timer,
  give: (s: Slot) => void,
): Promise<KnownBaseline> {
  const config = await configureIn(rc, t, 'baseline', slot, first.variant);
  if (!config.ok) throw failureError(config);
  const key = rc.store.key({
    base: slot.rev,
    configHash: config.configHash,
    toolchain: rc.toolchain.gcc,
    runner: `${rc.req.runner}${guestResultKey(rc.req.guest)}`,
  });
  const hit = rc.req.useBaselineCache === false ? undefined : rc.store.lookup(key);
  if (hit) {
    rc.req.reporter.info(`baseline: reusing the results of run ${hit.fromRun} (same base, config, gcc and runner)`);
    return { entry: hit, cached: true, config, stages: t.stages, produced: [] };
  }
  const ready = prepareIn(rc, slot.worktree);
  const built = await buildIn(rc, t, 'baseline', slot).finally(() => ready);
  if (!built.ok) throw baselineBroken(built, 'does not build');
  const produced = kernelEntries('baseline', built.artifacts);
  const logDir = join(first.runDir.dir, 'guest', 'baseline');
  const tested = canOverlap(rc, first)
    ? await bootSnapshot(rc, first, slot, t, built, give, logDir)
    : await guestRun(rc, t, 'test', 'baseline', { srcDir: slot.worktree, buildDir: slot.buildDir, logDir });
  if (!tested.ok) throw baselineBroken(tested, 'does not boot or produced no results');
  const hmmTests = describeArtifact('hmm-tests', 'baseline', tested.hmmTests);
  if (hmmTests) produced.push(hmmTests);
  const entry = rc.store.save(
    {
      key,
      result: { tests: tested.result.tests, counts: tested.result.counts, events: tested.result.events },
      accel: tested.accel,
      ...(tested.shape ? { shape: tested.shape } : {}),
      fromRun: first.runDir.id,
      createdAt: new Date().toISOString(),
    },
    { console: tested.consoleLogPath, build: built.logPath },
  );
  return { entry, cached: false, config: config satisfies Configured, stages: t.stages, produced };
}

/**
 * Copy the baseline's kernel files (bzImage, test_hmm.ko, .config, vmlinux for stack decoding)
 * out of the slot, hand the slot to the first job (its patched build starts now), and boot the
 * copy. The copy goes when the boot is over.
 */
async function bootSnapshot(
  rc: RunContext,
  first: Job,
  slot: Slot,
  t: Timer,
  built: Built,
  give: (s: Slot) => void,
  logDir: string,
): Promise<TestOutcome> {
  const root = join(rc.req.cache.builds, 'snapshots', `${first.runDir.id}-baseline`);
  const forget = onCleanup(`remove ${root}`, () => rmSync(root, { recursive: true, force: true }));
  try {
    const entries: ManifestEntry[] = [...kernelEntries('baseline', built.artifacts)];
    const vmlinux = describeArtifact('vmlinux', 'baseline', built.artifacts.vmlinux);
    if (vmlinux) entries.push(vmlinux);
    const kernelDir = materialize({ schema: 1, job: first.runDir.id, entries }, root, { side: 'baseline' });
    give(slot);
    return await guestRun(rc, t, 'test', 'baseline', { srcDir: slot.worktree, buildDir: kernelDir, logDir });
  } finally {
    rmSync(root, { recursive: true, force: true });
    forget();
  }
}
