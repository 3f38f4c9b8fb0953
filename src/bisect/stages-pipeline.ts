import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isHmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import type { ConfigVariant, StageContext, Stages } from '../run/stages.js';
import type { KernelPipeline } from './slot-tester.js';

/**
 * Thin adapter from the run stage's `Stages` (the same configure / build / test `hmmci run` uses)
 * to the bisect's KernelPipeline. What differs is only what a failure means: to a run a build
 * error ends the job; to a bisect it is a verdict (skip, or bad with --build-failure-is-bad), and
 * so is a guest that gives no results. Everything else (missing tool, QEMU will not start, disk
 * full, interrupt) still throws and stops the bisect.
 */
export interface StagesPipelineOptions {
  variant: ConfigVariant;
  runner: 'qemu' | 'vng';
  jobs: number;
}

export function pipelineFromStages(stages: Stages, ctx: StageContext, opts: StagesPipelineOptions): KernelPipeline & { lastConfigHash(): string | undefined } {
  let configHash: string | undefined;
  return {
    lastConfigHash: () => configHash,
    async build({ srcDir, buildDir, reconfigure }) {
      const started = Date.now();
      // Configured again whenever a step changes a Kconfig input (the slot tester decides), and
      // always when there is no .config yet.
      if (reconfigure || !existsSync(join(buildDir, '.config')) || configHash === undefined) {
        try {
          configHash = (await stages.configure({ srcDir, buildDir, variant: opts.variant }, ctx)).configHash;
        } catch (err) {
          // Options that no longer land (a patch renamed or made one depend on something else):
          // this commit cannot be tested as asked, like one that does not build.
          if (isHmmciError(err) && err.exitCode === ExitCode.CONFIG && !ctx.signal.aborted) {
            configHash = undefined;
            return { ok: false, ms: Date.now() - started, logPath: err.logPath, errors: [err.message, ...err.details] };
          }
          throw err;
        }
      }
      try {
        await stages.build({ srcDir, buildDir, jobs: opts.jobs }, ctx);
        return { ok: true, ms: Date.now() - started };
      } catch (err) {
        if (isHmmciError(err) && err.exitCode === ExitCode.BUILD_FAILED && !ctx.signal.aborted) {
          return { ok: false, ms: Date.now() - started, logPath: err.logPath, errors: [...err.details] };
        }
        throw err;
      }
    },
    async boot({ srcDir, buildDir }) {
      const started = Date.now();
      try {
        const o = await stages.test({ srcDir, buildDir, runner: opts.runner }, ctx);
        return { kind: 'results', result: o.result, ms: Date.now() - started, consoleLogPath: o.consoleLogPath, accel: o.accel };
      } catch (err) {
        if (isHmmciError(err) && err.exitCode === ExitCode.GUEST && !ctx.signal.aborted) {
          return { kind: 'no-results', reason: err.message, ms: Date.now() - started, consoleLogPath: err.logPath };
        }
        throw err;
      }
    },
  };
}
