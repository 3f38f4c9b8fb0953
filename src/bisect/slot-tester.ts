import { silentReporter, type Reporter } from '../common/progress.js';
import type { TestRunResult } from '../results/types.js';
import type { BisectCommit, CommitTester, TestOutcome } from './types.js';

/**
 * The real CommitTester: every step checks its commit out in ONE worktree and builds into ONE
 * build directory (a slot), so a step only recompiles what changed since the previous one. The
 * stages themselves (configure, build, boot + hmm-tests) come in through `KernelPipeline`, so this
 * module only sequences them and turns their failures into outcomes the decision logic understands.
 */

export type BuildOutcome = { ok: true; ms: number } | { ok: false; ms: number; logPath?: string; errors: string[] };

export type BootOutcome =
  | { kind: 'results'; result: TestRunResult; ms: number; consoleLogPath?: string; accel?: string }
  | { kind: 'no-results'; reason: string; ms: number; consoleLogPath?: string };

export interface KernelPipeline {
  /** Configure (fragments merged, olddefconfig) and build srcDir into buildDir. A compile or link
   * error is `ok: false`; anything else (missing tool, disk full) throws. */
  build(req: { srcDir: string; buildDir: string; reconfigure: boolean; signal?: AbortSignal }): Promise<BuildOutcome>;
  /** Boot what buildDir holds and run hmm-tests. A guest that gives no results is `no-results`;
   * an infrastructure failure (QEMU does not start) throws. */
  boot(req: { srcDir: string; buildDir: string; signal?: AbortSignal }): Promise<BootOutcome>;
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
  return paths.some((p) => /(^|\/)Kconfig[^/]*$/.test(p) || /^arch\/[^/]+\/configs\//.test(p) || /^kernel\/configs\//.test(p) || /^scripts\/kconfig\//.test(p));
}

export function slotTester(req: SlotTesterRequest): CommitTester {
  const reporter = req.reporter ?? silentReporter;
  let current: string | undefined;
  let configuredAt: string | undefined;
  return {
    async test(commit: BisectCommit, opts): Promise<TestOutcome> {
      const started = Date.now();
      const { worktree: srcDir, buildDir } = req;
      let built = false;
      if (!opts.rerun || current !== commit.sha) {
        current = undefined;
        await req.checkout(srcDir, commit.sha, opts.signal);
        const reconfigure = configuredAt === undefined || !req.changedFiles || touchesKconfig(await req.changedFiles(srcDir, configuredAt, commit.sha));
        if (reconfigure) configuredAt = undefined;
        const b = await req.pipeline.build({ srcDir, buildDir, reconfigure, signal: opts.signal });
        if (reconfigure && b.ok) configuredAt = commit.sha;
        built = true;
        if (!b.ok) {
          reporter.info(`bisect: ${commit.sha.slice(0, 12)} does not build${b.errors[0] ? `: ${b.errors[0]}` : ''}`);
          return { kind: 'build-failure', ms: Date.now() - started, built, logPath: b.logPath, errors: b.errors };
        }
        current = commit.sha;
      }
      const r = await req.pipeline.boot({ srcDir, buildDir, signal: opts.signal });
      const ms = Date.now() - started;
      return r.kind === 'results'
        ? { kind: 'results', result: r.result, ms, built, consoleLogPath: r.consoleLogPath, accel: r.accel }
        : { kind: 'no-results', reason: r.reason, ms, built, consoleLogPath: r.consoleLogPath };
    },
  };
}
