import { HmmciError, UsageError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { silentReporter, type Reporter } from '../common/progress.js';
import type { TestStatus } from '../results/types.js';
import { decide, estimateRemaining, type Decision } from './decide.js';
import type { BisectCommit, BisectReport, BisectStep, CommitTester, CommitOutcome, Verdict } from './types.js';
import {
  deriveTargets,
  disagreeing,
  findContradictions,
  statusClass,
  targetStatuses,
  targetsForSilentTip,
  verdictOf,
  type CommitVerdict,
  type Targets,
  type VerdictOptions,
} from './verdict.js';

export interface BisectRequest {
  /** commits[0] is the good base, commits[N] the bad tip; index i must equal its position. */
  commits: readonly BisectCommit[];
  tester: CommitTester;
  /** Results at the base / tip a previous run cached; tested here when absent. */
  base?: CommitOutcome;
  tip?: CommitOutcome;
  /** `--test` patterns (globs) narrowing what "bad" means. */
  patterns?: readonly string[];
  buildFailureIsBad?: boolean;
  reporter?: Reporter;
  signal?: AbortSignal;
  now?: () => number;
  /** Called with every outcome the tester produced (e.g. to cache the base's results). */
  onTested?(commit: BisectCommit, outcome: CommitOutcome): void;
}

/** Label used in messages: "patch 3/12 (mm/hmm: …)" or "commit abc1234". */
function describe(c: BisectCommit, total: number): string {
  return `${c.index}/${total} ${c.sha.slice(0, 12)} (${c.subject})`;
}

/**
 * Bisect a history: test the ends when no cached result is given, decide what "bad" means from
 * them, then binary-search with `decide()`, re-running once any commit whose target-test results
 * contradict its neighbours. Side effects only through `tester`.
 */
export async function bisect(req: BisectRequest): Promise<BisectReport> {
  const { commits, tester } = req;
  const reporter = req.reporter ?? silentReporter;
  const now = req.now ?? Date.now;
  const started = now();
  const n = commits.length - 1;
  if (n < 1) throw new UsageError('Nothing to bisect: the range has no commit between the good base and the bad tip. Give a series with at least one patch, or a --good/--bad range with at least one commit.');
  commits.forEach((c, i) => {
    if (c.index !== i) throw new RangeError(`commit ${c.sha} has index ${c.index}, expected ${i}`);
  });
  const base = commits[0]!;
  const tip = commits[n]!;

  const steps: BisectStep[] = [];
  const outcomes = new Map<number, CommitOutcome>();
  let builds = 0;

  const runTester = async (c: BisectCommit, rerun: boolean): Promise<CommitOutcome> => {
    const o = await tester.test(c, { rerun, signal: req.signal });
    if (o.built) builds++;
    req.onTested?.(c, o);
    return o;
  };

  // The ends: cached results when a prior `hmmci run` left them, tested here otherwise.
  const endSteps: { role: 'base' | 'tip'; commit: BisectCommit; outcome: CommitOutcome }[] = [];
  const testEnd = async (role: 'base' | 'tip', commit: BisectCommit): Promise<CommitOutcome> => {
    const stage = reporter.stage('bisect', `${role} ${commit.sha.slice(0, 12)}`);
    const outcome = await runTester(commit, false);
    stage.done();
    endSteps.push({ role, commit, outcome });
    return outcome;
  };
  const baseOutcome = req.base ?? (await testEnd('base', base));
  if (baseOutcome.kind !== 'results') {
    throw new HmmciError(
      `The good end of the bisect, ${base.sha.slice(0, 12)} (${base.subject}), ${baseOutcome.kind === 'build-failure' ? 'does not build' : `gives no test results (${baseOutcome.reason})`}, so there is nothing to compare against. Fix the base (or give another --good commit) and run again.`,
      { exitCode: ExitCode.BASELINE_BROKEN, logPath: baseOutcome.kind === 'build-failure' ? baseOutcome.logPath : baseOutcome.consoleLogPath },
    );
  }
  const tipOutcome = req.tip ?? (await testEnd('tip', tip));
  outcomes.set(0, baseOutcome);
  outcomes.set(n, tipOutcome);

  const vopts: VerdictOptions = { buildFailureIsBad: req.buildFailureIsBad };
  const patterns = req.patterns ?? [];
  let targets: Targets;
  if (tipOutcome.kind === 'results') {
    targets = deriveTargets(baseOutcome.result, tipOutcome.result, patterns);
    if (targets.unmatched.length > 0) {
      throw new UsageError(
        `--test ${targets.unmatched.map((p) => `"${p}"`).join(', ')} matches no test at the base or the tip. Test names look like hmm.hmm_device_private.anon_read; a pattern may name the whole name or its tail (anon_read, hmm_device_private.anon_*). \`hmmci parse --json\` lists them.`,
      );
    }
  } else if (tipOutcome.kind === 'build-failure') {
    if (!req.buildFailureIsBad) {
      throw new HmmciError(
        `The bad end of the bisect, ${tip.sha.slice(0, 12)} (${tip.subject}), does not build, and a commit that does not build is skipped, so there is no failing test to bisect. To find the first commit that breaks the build, run again with --build-failure-is-bad.`,
        { exitCode: ExitCode.BUILD_FAILED, logPath: tipOutcome.logPath },
      );
    }
    targets = { names: [], definition: 'the kernel does not build (--build-failure-is-bad)', unmatched: [], matchedNotFlipped: [] };
  } else {
    targets = targetsForSilentTip(baseOutcome.result, patterns);
    vopts.noResultsIsBad = true;
  }
  let names = targets.names;
  const buildMode = tipOutcome.kind === 'build-failure';

  const flaky: string[] = [];
  const notes: string[] = [];
  const verdicts: (Verdict | undefined)[] = new Array<Verdict | undefined>(n + 1).fill(undefined);
  const judged = new Map<number, CommitVerdict>();
  const judge = (i: number): CommitVerdict => {
    const v = i === 0 ? { verdict: 'good' as const, bad: [], missing: [] } : verdictOf(outcomes.get(i)!, names, vopts);
    judged.set(i, v);
    verdicts[i] = v.verdict;
    return v;
  };
  const pushStep = (c: BisectCommit, o: CommitOutcome, v: CommitVerdict, extra: Partial<BisectStep> = {}) => {
    steps.push({ sha: c.sha, subject: c.subject, verdict: v.verdict, ms: o.ms, index: c.index, built: o.built, bad: v.bad, ...(v.reason ? { reason: v.reason } : {}), ...extra });
  };

  const report = (status: BisectReport['status'], firstBadIndex: number | null, candidates: number[], flipped: string[]): BisectReport => ({
    firstBad: firstBadIndex === null ? null : { index: firstBadIndex, total: n, sha: commits[firstBadIndex]!.sha, subject: commits[firstBadIndex]!.subject },
    flipped,
    steps,
    skipped: verdicts.flatMap((v, i) => (v === 'skip' ? [commits[i]!.sha] : [])),
    status,
    total: n,
    candidates: candidates.map((i) => ({ index: i, sha: commits[i]!.sha, subject: commits[i]!.subject })),
    flaky,
    targets: names,
    badDefinition: targets.definition,
    builds,
    totalMs: now() - started,
    notes,
  });

  for (const e of endSteps) {
    const v = e.role === 'base' ? { verdict: 'good' as const, bad: [], missing: [] } : verdictOf(e.outcome, names, vopts);
    pushStep(e.commit, e.outcome, v, { role: e.role });
  }
  if (!buildMode && names.length === 0) {
    verdicts[0] = 'good';
    reporter.info(`nothing to bisect: no ${targets.definition.replace(/^a test/, 'test')}${targets.matchedNotFlipped.length ? ` (matched but did not flip: ${targets.matchedNotFlipped.slice(0, 5).join(', ')})` : ''}`);
    return report('nothing-to-bisect', null, [], []);
  }
  judge(0);
  judge(n);
  if (verdicts[n] !== 'bad') {
    // Cannot happen with targets derived from the tip itself; kept as an invariant check.
    throw new RangeError('the tip is not bad under its own targets');
  }

  const observed = new Map<number, Map<string, TestStatus>>();
  observed.set(0, targetStatuses(baseOutcome, names));
  observed.set(n, targetStatuses(tipOutcome, names));
  const rerunDone = new Set<number>();
  let k = 0;

  let lastBuilt = -1;
  for (const e of endSteps) lastBuilt = e.commit.index;

  /**
   * Test commit i a second time: a second boot of the built kernel when it is the one in the build
   * directory, an (incremental) rebuild otherwise. Target tests whose result changes are flaky:
   * named, left out of the verdict, and every verdict is judged again without them.
   * Returns the tests found flaky.
   */
  const retest = async (i: number, why: string): Promise<string[]> => {
    rerunDone.add(i);
    const c = commits[i]!;
    const first = outcomes.get(i)!;
    reporter.info(`bisect: ${why}; testing ${c.sha.slice(0, 12)} again`);
    const o2 = await runTester(c, lastBuilt === i);
    lastBuilt = i;
    const unstable = disagreeing(first, o2, names);
    outcomes.set(i, o2);
    if (unstable.length > 0) {
      flaky.push(...unstable);
      names = names.filter((t) => !unstable.includes(t));
      reporter.warn(`flaky: ${unstable.join(', ')} changed result between two boots of ${c.sha.slice(0, 12)}; left out of the verdict`);
      for (const statuses of observed.values()) for (const t of unstable) statuses.delete(t);
    }
    observed.set(i, targetStatuses(o2, names));
    if (unstable.length > 0) for (const j of outcomes.keys()) judge(j);
    else judge(i);
    pushStep(c, o2, judged.get(i)!, { rerun: true });
    return unstable;
  };
  const allFlaky = () => names.length === 0 && !buildMode;

  let decision: Decision = decide(verdicts);
  for (;;) {
    if (req.signal?.aborted) throw req.signal.reason ?? new Error('aborted');
    if (decision.kind === 'found' && !rerunDone.has(decision.index) && outcomes.get(decision.index)?.kind === 'results') {
      // Confirm the answer before blaming it: the first bad commit is tested once more (this is the
      // "+ 1" of the ⌈log2 N⌉ + 1 build bound), so a one-off failure is not blamed on a patch.
      const i = decision.index;
      await retest(i, `confirming the first bad commit ${i}/${n}`);
      if (allFlaky()) return report('all-flaky', null, [], []);
      decision = decide(verdicts);
      continue;
    }
    if (decision.kind !== 'test') break;
    const i = decision.index;
    const c = commits[i]!;
    k++;
    const about = k - 1 + estimateRemaining(verdicts);
    const { good, bad } = decision.range;
    reporter.info(`bisect: step ${k} of about ${about}: testing ${describe(c, n)}; first bad is one of ${good + 1}..${bad} (${bad - good} left)`);
    const stage = reporter.stage(`bisect step ${k}`, `${i}/${n}`);
    const o = await runTester(c, false);
    lastBuilt = i;
    outcomes.set(i, o);
    observed.set(i, targetStatuses(o, names));
    const v = judge(i);
    stage.done(v.verdict + (v.reason ? ` (${v.reason})` : v.bad.length ? ` (${v.bad.slice(0, 3).join(', ')})` : ''));
    pushStep(c, o, v);

    const contradictions = findContradictions(observed, i, names);
    if (contradictions.length > 0 && !rerunDone.has(i)) {
      const what = contradictions.map((x) => `${x.test} is ${x.here} at ${x.index}/${n} but ${x.here === 'bad' ? 'ok' : 'bad'} at ${x.other}/${n}`).join('; ');
      const unstable = await retest(i, what);
      if (allFlaky()) return report('all-flaky', null, [], []);
      if (unstable.length === 0) notes.push(`${what}; a second boot gave the same results, so the flip is real (or the other commit's result was a fluke)`);
    }
    decision = decide(verdicts);
  }

  const flippedBetween = (goodIdx: number, badIdx: number): string[] => {
    const g = outcomes.get(goodIdx);
    const b = outcomes.get(badIdx);
    if (!g || !b) return [];
    const gs = targetStatuses(g, names);
    const bs = targetStatuses(b, names);
    return names.filter((t) => statusClass(bs.get(t)) === 'bad' && statusClass(gs.get(t)) === 'ok');
  };

  if (decision.kind === 'found') {
    const c = commits[decision.index]!;
    reporter.info(`bisect: first bad is ${describe(c, n)} after ${k} step${k === 1 ? '' : 's'}`);
    return report('found', decision.index, [], flippedBetween(decision.range.good, decision.index));
  }
  reporter.info(`bisect: ambiguous: the first bad commit is one of ${decision.candidates.map((i) => `${i}/${n}`).join(', ')} (skipped commits in between)`);
  return report('ambiguous', null, decision.candidates, flippedBetween(decision.range.good, decision.range.bad));
}
