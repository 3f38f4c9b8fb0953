import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CacheLayout } from '../common/cache.js';
import { BadInputError, UsageError } from '../common/errors.js';
import type { Reporter } from '../common/progress.js';
import type { TestRunResult } from '../results/types.js';
import { readRecord, resolveRunRef } from '../run/run-dir.js';
import type { ConfigVariant, Runner, StageContext, Stages } from '../stages/types.js';
import { git } from '../tree/git.js';
import { adoptUserTree } from '../tree/resolve.js';
import type { KernelTree } from '../tree/types.js';
import { baselinesOf } from './cached-ends.js';
import { buildFailure, commitOutcome } from './slot-tester.js';
import { pipelineFromStages } from './stages-pipeline.js';
import { stepVerdict, type StepVerdict } from './step.js';

/** `hmmci bisect-step` as a request: the CLI maps flags to this. */
export interface StepRequest {
  /** The checkout to test (`-C`, default: the current directory). */
  dir: string;
  /** `--baseline RUN|FILE`: what "good" looked like. */
  baseline?: string;
  patterns: string[];
  variant: ConfigVariant;
  runner: Runner;
  jobs: number;
  buildFailureIsBad?: boolean;
  cache: CacheLayout;
  reporter: Reporter;
  signal: AbortSignal;
}

export interface StepResult {
  sha: string;
  verdict: StepVerdict;
  ms: number;
}

/** `--baseline`: a run reference (its baseline results) or a results JSON file. */
export function loadStepBaseline(cache: CacheLayout, ref: string): TestRunResult {
  const path = resolve(ref);
  if (existsSync(path) && statSync(path).isFile()) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new BadInputError(
        `--baseline ${ref} is not JSON (${(err as Error).message}). Give a results file as \`hmmci parse --json\` writes it, or a run id.`,
      );
    }
    const d = doc as { tests?: unknown; baseline?: { tests?: unknown } };
    const result = Array.isArray(d.tests) ? d : d.baseline && Array.isArray(d.baseline.tests) ? d.baseline : undefined;
    if (!result)
      throw new BadInputError(
        `--baseline ${ref} has no "tests" list: give a results file as \`hmmci parse --json\` writes it, or a run's record.json.`,
      );
    return result as TestRunResult;
  }
  const record = readRecord(resolveRunRef(cache, ref));
  if (!record.baseline)
    throw new BadInputError(
      `Run ${record.id} has no baseline results (it stopped before the baseline ran). Give another run or a results file.`,
    );
  return record.baseline;
}

/**
 * Without --test and --baseline: the results hmmci keeps (BaselineStore) of a commit this
 * `git bisect` has marked good.
 */
async function storedGood(
  req: StepRequest,
  stages: Stages,
  ctx: StageContext,
  tree: KernelTree,
): Promise<TestRunResult> {
  const goods = (await git(tree.path, ['for-each-ref', '--format=%(objectname)', 'refs/bisect/']))
    .split('\n')
    .filter(Boolean);
  const toolchain = await stages.toolchain(ctx);
  const stored = baselinesOf(req.cache, goods, { runner: req.runner, toolchain: toolchain.gcc })[0];
  if (!stored) {
    throw new UsageError(
      `Say what "bad" means: --test NAME (a test that must not fail; repeatable, globs allowed) or --baseline RUN|FILE (results of a good kernel: any test that passed there and fails now is bad). Without them, bisect-step uses hmmci's stored results of a commit \`git bisect\` has marked good, and there are none${goods.length ? ` for ${goods.map((g) => g.slice(0, 12)).join(', ')}` : ' (no git bisect in progress here)'}. Example: git bisect run hmmci bisect-step --test hmm2.hmm2_device_coherent.snapshot`,
    );
  }
  req.reporter.info(
    `bisect-step: bad = a test that passed at ${stored.key.base.slice(0, 12)} (stored by ${stored.fromRun}) fails now`,
  );
  return stored.result;
}

/** Build and test the commit checked out in `dir` (out-of-tree, in the cache), and say good, bad or skip. */
export async function runBisectStep(req: StepRequest, stages: Stages): Promise<StepResult> {
  let baseline = req.baseline ? loadStepBaseline(req.cache, req.baseline) : undefined;
  const tree = await adoptUserTree(req.dir);
  const sha = tree.baseline;
  const ctx: StageContext = { cache: req.cache, reporter: req.reporter, signal: req.signal };
  if (req.patterns.length === 0 && !baseline) baseline = await storedGood(req, stages, ctx, tree);
  // Out-of-tree build in our cache, one per (checkout, config): steps of one git bisect are
  // incremental builds; the checkout gets no build output.
  const buildDir = join(req.cache.builds, `step-${tree.id}-${stages.configKey(req.variant)}`);
  const pipeline = pipelineFromStages(stages, ctx, { variant: req.variant, runner: req.runner, jobs: req.jobs });
  const started = Date.now();
  const stage = req.reporter.stage('bisect-step', sha.slice(0, 12));
  const b = await pipeline.build({ srcDir: tree.path, buildDir, reconfigure: true });
  const outcome = b.ok
    ? commitOutcome(await pipeline.boot({ srcDir: tree.path, buildDir }), Date.now() - started, true)
    : buildFailure(b, Date.now() - started, true);
  const verdict = stepVerdict({ patterns: req.patterns, baseline }, outcome, {
    buildFailureIsBad: req.buildFailureIsBad,
  });
  stage.done(`${verdict.verdict}${verdict.reason ? ` (${verdict.reason})` : ''}`);
  return { sha, verdict, ms: Date.now() - started };
}

/** The one line (or --json object) bisect-step prints. */
export function renderStep(r: StepResult, json: boolean): string {
  const v = r.verdict;
  if (json)
    return JSON.stringify({
      sha: r.sha,
      verdict: v.verdict,
      exitCode: v.exitCode,
      bad: v.bad,
      missing: v.missing,
      reason: v.reason ?? null,
      targets: v.targets,
      ms: r.ms,
    });
  return `${r.sha.slice(0, 12)} ${v.verdict}${v.bad.length ? `: ${v.bad.join(', ')}` : v.reason ? `: ${v.reason}` : ''}`;
}
