import t from 'tap';
import { errorWith } from '../helpers/match.js';
import { pipelineFromStages } from '../../src/bisect/stages-pipeline.js';
import { buildFailure, commitOutcome } from '../../src/bisect/slot-tester.js';
import { HmmciError } from '../../src/common/errors.js';
import { cacheLayout } from '../../src/common/cache.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import { silentReporter } from '../../src/common/progress.js';
import type { BuildOutcome, Stages, TestOutcome } from '../../src/stages/types.js';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../tools/fake-kernel/fixture.js';
import { loadResults } from './history.js';

/** Stages whose configure/build/test behave as told (a failure value, or a throw); the rest is never called by the pipeline. */
function stages(behave: { build?: () => BuildOutcome | void; test?: () => TestOutcome | void }): {
  stages: Stages;
  calls: string[];
} {
  const calls: string[] = [];
  const unused = () => {
    throw new Error('not used by the bisect pipeline');
  };
  return {
    calls,
    stages: {
      resolveTree: unused,
      loadSeries: unused,
      configKey: () => 'k',
      acquireSlot: unused,
      resetSlot: unused,
      applySeries: unused,
      toolchain: unused,
      chooseBase: unused,
      async configure(req) {
        calls.push(`configure ${req.srcDir} ${req.buildDir} ${req.variant.fragments.join(',')}`);
        return { ok: true, configPath: `${req.buildDir}/.config`, configHash: 'c0ffee' };
      },
      async build(req) {
        calls.push(`build -j${req.jobs}`);
        const out = behave.build?.();
        if (out) return out;
        return {
          ok: true,
          logPath: `${req.buildDir}/build.log`,
          artifacts: {
            bzImage: `${req.buildDir}/arch/x86/boot/bzImage`,
            testHmmKo: `${req.buildDir}/lib/test_hmm.ko`,
            config: `${req.buildDir}/.config`,
          },
        };
      },
      async test(req) {
        calls.push(`test ${req.runner}`);
        const out = behave.test?.();
        if (out) return out;
        return {
          ok: true,
          result: loadResults('baseline-58-pass.json'),
          consoleLogPath: '/tmp/console.log',
          accel: 'tcg',
          runner: 'qemu',
        };
      },
    },
  };
}

const ctx = { cache: cacheLayout('/tmp/unused-cache'), reporter: silentReporter, signal: new AbortController().signal };
const opts = { variant: { fragments: ['base.config', 'hmm.config'], extra: [] }, runner: 'qemu' as const, jobs: 2 };

t.test('configure then build at every step, then boot', async (t) => {
  const s = stages({});
  const p = pipelineFromStages(s.stages, ctx, opts);
  t.match(await p.build({ srcDir: '/wt', buildDir: '/out', reconfigure: true }), { ok: true });
  t.equal(p.lastConfigHash(), 'c0ffee');
  t.match(commitOutcome(await p.boot({ srcDir: '/wt', buildDir: '/out' }), 5, true), {
    kind: 'results',
    consoleLogPath: '/tmp/console.log',
  });
  t.same(s.calls, ['configure /wt /out base.config,hmm.config', 'build -j2', 'test qemu']);
});

t.test('a build error is a verdict, not the end of the bisect', async (t) => {
  const s = stages({
    build: () => ({
      ok: false,
      kind: 'build',
      message: 'The kernel does not build.',
      logPath: '/out/build.log',
      details: ["mm/hmm.c:612:25: error: 'struct hmm_vma_walk' has no member named 'last'"],
    }),
  });
  const b = await pipelineFromStages(s.stages, ctx, opts).build({ srcDir: '/wt', buildDir: '/out', reconfigure: true });
  t.match(b, { ok: false, kind: 'build', logPath: '/out/build.log' });
  t.match(b.ok ? b : buildFailure(b, 12, true), {
    kind: 'build-failure',
    ms: Number,
    logPath: '/out/build.log',
    errors: ["mm/hmm.c:612:25: error: 'struct hmm_vma_walk' has no member named 'last'"],
  });
});

t.test('a guest without results is a verdict too', async (t) => {
  const s = stages({
    test: () => ({
      ok: false,
      kind: 'no-results',
      message: 'The guest printed no TAP: kernel panic before the first test.',
      logPath: '/out/console.log',
      details: [],
    }),
  });
  t.match(
    commitOutcome(await pipelineFromStages(s.stages, ctx, opts).boot({ srcDir: '/wt', buildDir: '/out' }), 5, true),
    { kind: 'no-results', reason: /kernel panic/, consoleLogPath: '/out/console.log' },
  );
});

t.test('infrastructure failures still stop the bisect', async (t) => {
  const s = stages({
    test: () => {
      throw new HmmciError('QEMU did not start.', { exitCode: ExitCode.INFRA });
    },
  });
  await t.rejects(
    pipelineFromStages(s.stages, ctx, opts).boot({ srcDir: '/wt', buildDir: '/out' }),
    errorWith({ exitCode: ExitCode.INFRA }),
  );
  const m = stages({
    build: () => {
      throw new HmmciError('make is not installed', { exitCode: ExitCode.MISSING_TOOL });
    },
  });
  await t.rejects(
    pipelineFromStages(m.stages, ctx, opts).build({ srcDir: '/wt', buildDir: '/out', reconfigure: true }),
    errorWith({ exitCode: ExitCode.MISSING_TOOL }),
  );
});

t.test('the .config is kept when the step changes no Kconfig input, made again when it does', async (t) => {
  const out = tempDir('hmmci-bisect-out-');
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const s = stages({});
  const p = pipelineFromStages(s.stages, ctx, opts);
  await p.build({ srcDir: '/wt', buildDir: out, reconfigure: false });
  t.same(
    s.calls.splice(0),
    ['configure /wt ' + out + ' base.config,hmm.config', 'build -j2'],
    'no .config yet: configured anyway',
  );
  writeFileSync(join(out, '.config'), 'CONFIG_TEST_HMM=m\n');
  await p.build({ srcDir: '/wt', buildDir: out, reconfigure: false });
  t.same(s.calls.splice(0), ['build -j2']);
  await p.build({ srcDir: '/wt', buildDir: out, reconfigure: true });
  t.same(s.calls.splice(0), ['configure /wt ' + out + ' base.config,hmm.config', 'build -j2']);
});

t.test('options that no longer land make the commit untestable, like a build failure', async (t) => {
  const s = stages({});
  s.stages.configure = async () => ({
    ok: false,
    kind: 'config',
    message: 'Requested config options did not land: CONFIG_TEST_HMM=m (unknown option).',
    logPath: '/out/.hmmci/config.log',
    details: ['CONFIG_TEST_HMM: no such option in this tree'],
  });
  const b = await pipelineFromStages(s.stages, ctx, opts).build({ srcDir: '/wt', buildDir: '/out', reconfigure: true });
  t.match(b, { ok: false, kind: 'config', logPath: '/out/.hmmci/config.log' });
  t.match(b.ok ? b : buildFailure(b, 3, true), {
    kind: 'build-failure',
    logPath: '/out/.hmmci/config.log',
    errors: [/did not land/, /no such option/],
  });
});
