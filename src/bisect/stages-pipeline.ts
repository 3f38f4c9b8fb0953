import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigVariant, Runner, StageContext, Stages } from '../stages/types.js';
import type { KernelPipeline } from './slot-tester.js';

/**
 * Thin adapter from the shared `Stages` (the same configure / build / test `hmmci run` uses) to
 * the bisect's KernelPipeline: configure only when a step needs it, then build; boot. The stages
 * return a kernel that does not configure, build or give results as a value, which the slot
 * tester turns into a verdict (skip, or bad with --build-failure-is-bad); what they throw
 * (missing tool, QEMU will not start, disk full, interrupt) stops the bisect.
 */
export interface StagesPipelineOptions {
  variant: ConfigVariant;
  runner: Runner;
  jobs: number;
}

export function pipelineFromStages(
  stages: Stages,
  ctx: StageContext,
  opts: StagesPipelineOptions,
): KernelPipeline & { lastConfigHash(): string | undefined } {
  let configHash: string | undefined;
  return {
    lastConfigHash: () => configHash,
    async build({ srcDir, buildDir, reconfigure }) {
      // Configured again whenever a step changes a Kconfig input (the slot tester decides), and
      // always when there is no .config yet.
      if (reconfigure || !existsSync(join(buildDir, '.config')) || configHash === undefined) {
        const c = await stages.configure({ srcDir, buildDir, variant: opts.variant }, ctx);
        // Options that no longer land (a patch renamed or made one depend on something else):
        // this commit cannot be tested as asked, like one that does not build.
        configHash = c.ok ? c.configHash : undefined;
        if (!c.ok) return c;
      }
      return stages.build({ srcDir, buildDir, jobs: opts.jobs }, ctx);
    },
    boot: ({ srcDir, buildDir }) => stages.test({ srcDir, buildDir, runner: opts.runner }, ctx),
  };
}
