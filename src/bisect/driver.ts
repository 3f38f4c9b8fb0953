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

/** The ends' outcomes and what "bad" means, known before the search starts. */
interface Ends {
  base: Extract<CommitOutcome, { kind: 'results' }>;
  tip: CommitOutcome;
  /** Ends tested here (no cached result), in order: their steps lead the table. */
  tested: { role: 'base' | 'tip'; commit: BisectCommit; outcome: CommitOutcome }[];
}

/** Which tests decide the verdict, from the ends (or why there is nothing to bisect). */
function targetsOf(req: BisectRequest, ends: Ends, vopts: VerdictOptions): Targets {
  const { base, tip } = ends;
  const patterns = req.patterns ?? [];
  if (tip.kind === 'results') {
    const targets = deriveTargets(base.result, tip.result, patterns);
    if (targets.unmatched.length > 0) {
      throw new UsageError(
        `--test ${targets.unmatched.map((p) => `"${p}"`).join(', ')} matches no test at the base or the tip. Test names look like hmm.hmm_device_private.anon_read; a pattern may name the whole name or its tail (anon_read, hmm_device_private.anon_*). \`hmmci parse --json\` lists them.`,
      );
    }
    return targets;
  }
  if (tip.kind === 'build-failure') {
    const c = req.commits[req.commits.length - 1]!;
    if (!req.buildFailureIsBad) {
      throw new HmmciError(
        `The bad end of the bisect, ${c.sha.slice(0, 12)} (${c.subject}), does not build, and a commit that does not build is skipped, so there is no failing test to bisect. To find the first commit that breaks the build, run again with --build-failure-is-bad.`,
        { exitCode: ExitCode.BUILD_FAILED, logPath: tip.logPath },
      );
    }
    return {
      names: [],
      definition: 'the kernel does not build (--build-failure-is-bad)',
      unmatched: [],
      matchedNotFlipped: [],
    };
  }
  vopts.noResultsIsBad = true;
  return targetsForSilentTip(base.result, patterns);
}

/**
 * One bisect's state and its named moves: test a commit, judge it, test it again, report. The
 * search itself (`search`) only sequences them with `decide()`.
 */
class BisectRun {
  readonly n: number;
  readonly steps: BisectStep[] = [];
  readonly outcomes = new Map<number, CommitOutcome>();
  readonly verdicts: (Verdict | undefined)[];
  readonly judged = new Map<number, CommitVerdict>();
  readonly observed = new Map<number, Map<string, TestStatus>>();
  readonly rerunDone = new Set<number>();
  readonly flaky: string[] = [];
  readonly notes: string[] = [];
  readonly vopts: VerdictOptions;
  readonly reporter: Reporter;
  readonly now: () => number;
  readonly started: number;
  builds = 0;
  /** Steps of the search so far. */
  k = 0;
  lastBuilt = -1;
  names: string[] = [];
  targets!: Targets;
  buildMode = false;

  constructor(readonly req: BisectRequest) {
    this.n = req.commits.length - 1;
    this.verdicts = new Array<Verdict | undefined>(this.n + 1).fill(undefined);
    this.vopts = { buildFailureIsBad: req.buildFailureIsBad };
    this.reporter = req.reporter ?? silentReporter;
    this.now = req.now ?? Date.now;
    this.started = this.now();
  }

  async runTester(c: BisectCommit, rerun: boolean): Promise<CommitOutcome> {
    const o = await this.req.tester.test(c, { rerun, signal: this.req.signal });
    if (o.built) this.builds++;
    this.req.onTested?.(c, o);
    return o;
  }

  /** The ends: cached results when a prior `hmmci run` left them, tested here otherwise. */
  async ends(): Promise<Ends> {
    const { commits } = this.req;
    const tested: Ends['tested'] = [];
    const testEnd = async (role: 'base' | 'tip', commit: BisectCommit): Promise<CommitOutcome> => {
      const stage = this.reporter.stage('bisect', `${role} ${commit.sha.slice(0, 12)}`);
      const outcome = await this.runTester(commit, false);
      stage.done();
      tested.push({ role, commit, outcome });
      return outcome;
    };
    const base = commits[0]!;
    const baseOutcome = this.req.base ?? (await testEnd('base', base));
    if (baseOutcome.kind !== 'results') {
      throw new HmmciError(
        `The good end of the bisect, ${base.sha.slice(0, 12)} (${base.subject}), ${baseOutcome.kind === 'build-failure' ? 'does not build' : `gives no test results (${baseOutcome.reason})`}, so there is nothing to compare against. Fix the base (or give another --good commit) and run again.`,
        {
          exitCode: ExitCode.BASELINE_BROKEN,
          logPath: baseOutcome.kind === 'build-failure' ? baseOutcome.logPath : baseOutcome.consoleLogPath,
        },
      );
    }
    const tipOutcome = this.req.tip ?? (await testEnd('tip', commits[this.n]!));
    this.outcomes.set(0, baseOutcome);
    this.outcomes.set(this.n, tipOutcome);
    return { base: baseOutcome, tip: tipOutcome, tested };
  }

  judge(i: number): CommitVerdict {
    const v =
      i === 0
        ? { verdict: 'good' as const, bad: [], missing: [] }
        : verdictOf(this.outcomes.get(i)!, this.names, this.vopts);
    this.judged.set(i, v);
    this.verdicts[i] = v.verdict;
    return v;
  }

  pushStep(c: BisectCommit, o: CommitOutcome, v: CommitVerdict, extra: Partial<BisectStep> = {}): void {
    this.steps.push({
      sha: c.sha,
      subject: c.subject,
      verdict: v.verdict,
      ms: o.ms,
      index: c.index,
      built: o.built,
      bad: v.bad,
      ...(v.reason ? { reason: v.reason } : {}),
      ...extra,
    });
  }

  report(
    status: BisectReport['status'],
    firstBadIndex: number | null,
    candidates: number[],
    flipped: string[],
  ): BisectReport {
    const { commits } = this.req;
    return {
      firstBad:
        firstBadIndex === null
          ? null
          : {
              index: firstBadIndex,
              total: this.n,
              sha: commits[firstBadIndex]!.sha,
              subject: commits[firstBadIndex]!.subject,
            },
      flipped,
      steps: this.steps,
      skipped: this.verdicts.flatMap((v, i) => (v === 'skip' ? [commits[i]!.sha] : [])),
      status,
      total: this.n,
      candidates: candidates.map((i) => ({ index: i, sha: commits[i]!.sha, subject: commits[i]!.subject })),
      flaky: this.flaky,
      targets: this.names,
      badDefinition: this.targets.definition,
      builds: this.builds,
      totalMs: this.now() - this.started,
      notes: this.notes,
    };
  }

  allFlaky(): boolean {
    return this.names.length === 0 && !this.buildMode;
  }

  /**
   * Test commit i a second time: a second boot of the built kernel when it is the one in the build
   * directory, an (incremental) rebuild otherwise. Target tests whose result changes are flaky:
   * named, left out of the verdict, and every verdict is judged again without them.
   * Returns the tests found flaky.
   */
  async retest(i: number, why: string): Promise<string[]> {
    this.rerunDone.add(i);
    const c = this.req.commits[i]!;
    const first = this.outcomes.get(i)!;
    this.reporter.info(`bisect: ${why}; testing ${c.sha.slice(0, 12)} again`);
    const o2 = await this.runTester(c, this.lastBuilt === i);
    this.lastBuilt = i;
    const unstable = disagreeing(first, o2, this.names);
    this.outcomes.set(i, o2);
    if (unstable.length > 0) {
      this.flaky.push(...unstable);
      this.names = this.names.filter((t) => !unstable.includes(t));
      this.reporter.warn(
        `flaky: ${unstable.join(', ')} changed result between two boots of ${c.sha.slice(0, 12)}; left out of the verdict`,
      );
      for (const statuses of this.observed.values()) for (const t of unstable) statuses.delete(t);
    }
    this.observed.set(i, targetStatuses(o2, this.names));
    if (unstable.length > 0) for (const j of this.outcomes.keys()) this.judge(j);
    else this.judge(i);
    this.pushStep(c, o2, this.judged.get(i)!, { rerun: true });
    return unstable;
  }

  /** One step of the search: test commit i, judge it, and test it again when it contradicts its neighbours. Returns 'all-flaky' when nothing is left to judge by. */
  async step(decision: Extract<Decision, { kind: 'test' }>): Promise<'all-flaky' | undefined> {
    const i = decision.index;
    const c = this.req.commits[i]!;
    const n = this.n;
    this.k++;
    const about = this.k - 1 + estimateRemaining(this.verdicts);
    const { good, bad } = decision.range;
    this.reporter.info(
      `bisect: step ${this.k} of about ${about}: testing ${describe(c, n)}; first bad is one of ${good + 1}..${bad} (${bad - good} left)`,
    );
    const stage = this.reporter.stage(`bisect step ${this.k}`, `${i}/${n}`);
    const o = await this.runTester(c, false);
    this.lastBuilt = i;
    this.outcomes.set(i, o);
    this.observed.set(i, targetStatuses(o, this.names));
    const v = this.judge(i);
    stage.done(v.verdict + (v.reason ? ` (${v.reason})` : v.bad.length ? ` (${v.bad.slice(0, 3).join(', ')})` : ''));
    this.pushStep(c, o, v);
    const contradictions = findContradictions(this.observed, i, this.names);
    if (contradictions.length === 0 || this.rerunDone.has(i)) return undefined;
    const what = contradictions
      .map((x) => `${x.test} is ${x.here} at ${x.index}/${n} but ${x.here === 'bad' ? 'ok' : 'bad'} at ${x.other}/${n}`)
      .join('; ');
    const unstable = await this.retest(i, what);
    if (this.allFlaky()) return 'all-flaky';
    if (unstable.length === 0)
      this.notes.push(
        `${what}; a second boot gave the same results, so the flip is real (or the other commit's result was a fluke)`,
      );
    return undefined;
  }

  /** Target tests bad at `badIdx` and ok at `goodIdx`. */
  flippedBetween(goodIdx: number, badIdx: number): string[] {
    const g = this.outcomes.get(goodIdx);
    const b = this.outcomes.get(badIdx);
    if (!g || !b) return [];
    const gs = targetStatuses(g, this.names);
    const bs = targetStatuses(b, this.names);
    return this.names.filter((t) => statusClass(bs.get(t)) === 'bad' && statusClass(gs.get(t)) === 'ok');
  }
}

/**
 * Bisect a history: test the ends when no cached result is given, decide what "bad" means from
 * them, then binary-search with `decide()`, re-running once any commit whose target-test results
 * contradict its neighbours. Side effects only through `tester`.
 */
export async function bisect(req: BisectRequest): Promise<BisectReport> {
  const { commits } = req;
  const n = commits.length - 1;
  if (n < 1)
    throw new UsageError(
      'Nothing to bisect: the range has no commit between the good base and the bad tip. Give a series with at least one patch, or a --good/--bad range with at least one commit.',
    );
  commits.forEach((c, i) => {
    if (c.index !== i) throw new RangeError(`commit ${c.sha} has index ${c.index}, expected ${i}`);
  });
  const run = new BisectRun(req);
  const ends = await run.ends();
  run.targets = targetsOf(req, ends, run.vopts);
  run.names = run.targets.names;
  run.buildMode = ends.tip.kind === 'build-failure';
  for (const e of ends.tested) {
    const v =
      e.role === 'base'
        ? { verdict: 'good' as const, bad: [], missing: [] }
        : verdictOf(e.outcome, run.names, run.vopts);
    run.pushStep(e.commit, e.outcome, v, { role: e.role });
  }
  if (!run.buildMode && run.names.length === 0) {
    run.verdicts[0] = 'good';
    const t = run.targets;
    run.reporter.info(
      `nothing to bisect: no ${t.definition.replace(/^a test/, 'test')}${t.matchedNotFlipped.length ? ` (matched but did not flip: ${t.matchedNotFlipped.slice(0, 5).join(', ')})` : ''}`,
    );
    return run.report('nothing-to-bisect', null, [], []);
  }
  run.judge(0);
  // Cannot happen with targets derived from the tip itself; kept as an invariant check.
  if (run.judge(n).verdict !== 'bad') throw new RangeError('the tip is not bad under its own targets');
  run.observed.set(0, targetStatuses(ends.base, run.names));
  run.observed.set(n, targetStatuses(ends.tip, run.names));
  for (const e of ends.tested) run.lastBuilt = e.commit.index;
  return search(run);
}

/** The binary search over the judged commits, confirming the answer before blaming it. */
async function search(run: BisectRun): Promise<BisectReport> {
  const { req, n } = run;
  let decision: Decision = decide(run.verdicts);
  for (;;) {
    if (req.signal?.aborted) throw req.signal.reason ?? new Error('aborted');
    if (
      decision.kind === 'found' &&
      !run.rerunDone.has(decision.index) &&
      run.outcomes.get(decision.index)?.kind === 'results'
    ) {
      // Confirm the answer before blaming it: the first bad commit is tested once more (this is the
      // "+ 1" of the ⌈log2 N⌉ + 1 build bound), so a one-off failure is not blamed on a patch.
      await run.retest(decision.index, `confirming the first bad commit ${decision.index}/${n}`);
      if (run.allFlaky()) return run.report('all-flaky', null, [], []);
      decision = decide(run.verdicts);
      continue;
    }
    if (decision.kind !== 'test') break;
    if ((await run.step(decision)) === 'all-flaky') return run.report('all-flaky', null, [], []);
    decision = decide(run.verdicts);
  }
  if (decision.kind === 'found') {
    const c = req.commits[decision.index]!;
    run.reporter.info(`bisect: first bad is ${describe(c, n)} after ${run.k} step${run.k === 1 ? '' : 's'}`);
    return run.report('found', decision.index, [], run.flippedBetween(decision.range.good, decision.index));
  }
  run.reporter.info(
    `bisect: ambiguous: the first bad commit is one of ${decision.candidates.map((i) => `${i}/${n}`).join(', ')} (skipped commits in between)`,
  );
  return run.report(
    'ambiguous',
    null,
    decision.candidates,
    run.flippedBetween(decision.range.good, decision.range.bad),
  );
}
