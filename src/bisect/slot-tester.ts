import { silentReporter, type Reporter } from '../common/progress.js';
import type { BuildOutcome, StageFailure, TestOutcome } from '../stages/types.js';
import type { BisectCommit, CommitTester, CommitOutcome } from './types.js';

/**
 * The real CommitTester: every step checks its commit out in ONE worktree and builds into ONE
 * build directory (a slot), so a step only recompiles what changed since the previous one. The
 * stages themselves (configure, build, boot + hmm-tests) come in through `KernelPipeline`, so this
 * module only sequences them and turns their failures into outcomes the decision logic understands.
 */

export interface KernelPipeline {
  /** Configure (fragments merged, olddefconfig) and build srcDir into buildDir. Options that did
   * not land or a compile/link error are failure values; anything else (missing tool, disk full) throws. */
  build(req: {
    srcDir: string;
    buildDir: string;
    reconfigure: boolean;
    signal?: AbortSignal;
  }): Promise<BuildOutcome | StageFailure<'config'>>;
  /** Boot what buildDir holds and run hmm-tests. A guest that gives no results is a failure value;
   * an infrastructure failure (QEMU does not start) throws. */
  boot(req: { srcDir: string; buildDir: string; signal?: AbortSignal }): Promise<TestOutcome>;
}

export interface SlotTesterRequest {
  worktree: string;
  buildDir: string;
  /** Put `sha` in the worktree, leaving files that do not change untouched (their mtimes are what
   * make the next build incremental). The tree stage's `resetWorktree`. */
  checkout(worktree: string, sha: string, signal?: AbortSignal): Promise<void>;
  pipeline: KernelPipeline;
  /** Files that differ between two commits (`git diff --name-only`); when given, a step whose
   * commit changes no Kconfig input since the last configured one keeps the .config. */
  changedFiles?(worktree: string, from: string, to: string): Promise<string[]>;
  reporter?: Reporter;
}

/**
 * Does a change to these paths (relative to the tree top) change what kconfig produces from the
 * same fragments? Kconfig files anywhere, the arch defconfigs and kconfig itself. Pure.
 */
export function touchesKconfig(paths: readonly string[]): boolean {
  return paths.some(
    (p) =>
      /(^|\/)Kconfig[^/]*$/.test(p) ||
      /^arch\/[^/]+\/configs\//.test(p) ||
      /^kernel\/configs\//.test(p) ||
      /^scripts\/kconfig\//.test(p),
  );
}

export function slotTester(req: SlotTesterRequest): CommitTester {
  const reporter = req.reporter ?? silentReporter;
  let current: string | undefined;
  let configuredAt: string | undefined;
  return {
    async test(commit: BisectCommit, opts): Promise<CommitOutcome> {
      const started = Date.now();
      const { worktree: srcDir, buildDir } = req;
      let built = false;
      if (!opts.rerun || current !== commit.sha) {
        current = undefined;
        await req.checkout(srcDir, commit.sha, opts.signal);
        const reconfigure =
          configuredAt === undefined ||
          !req.changedFiles ||
          touchesKconfig(await req.changedFiles(srcDir, configuredAt, commit.sha));
        if (reconfigure) configuredAt = undefined;
        const b = await req.pipeline.build({ srcDir, buildDir, reconfigure, signal: opts.signal });
        if (reconfigure && b.ok) configuredAt = commit.sha;
        built = true;
        if (!b.ok) {
          const failed = buildFailure(b, Date.now() - started, built);
          const first = failed.kind === 'build-failure' ? failed.errors?.[0] : undefined;
          reporter.info(`bisect: ${commit.sha.slice(0, 12)} does not build${first ? `: ${first}` : ''}`);
          return failed;
        }
        current = commit.sha;
      }
      const r = await req.pipeline.boot({ srcDir, buildDir, signal: opts.signal });
      return commitOutcome(r, Date.now() - started, built);
    },
  };
}

/** A commit that cannot be built as asked (options that do not land, a compile error). */
export function buildFailure(f: StageFailure, ms: number, built: boolean): CommitOutcome {
  // The options' failure leads with its paragraph (what did not land), the build's with its first errors.
  const errors = f.kind === 'config' ? [f.message, ...f.details] : [...f.details];
  return { kind: 'build-failure', ms, built, ...(f.logPath ? { logPath: f.logPath } : {}), errors };
}

/** What one boot of a built commit says, for the bisect's decision logic. */
export function commitOutcome(r: TestOutcome, ms: number, built: boolean): CommitOutcome {
  if (r.ok) return { kind: 'results', result: r.result, ms, built, consoleLogPath: r.consoleLogPath, accel: r.accel };
  // hmm-tests that does not compile from this commit: the commit cannot be tested, like one that does not build.
  if (r.kind === 'build') return buildFailure(r, ms, built);
  return { kind: 'no-results', reason: r.message, ms, built, ...(r.logPath ? { consoleLogPath: r.logPath } : {}) };
}
