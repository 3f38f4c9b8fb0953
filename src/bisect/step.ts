import type { TestRunResult } from '../results/types.js';
import type { CommitOutcome, Verdict } from './types.js';
import { testMatcher, verdictOf, type CommitVerdict } from './verdict.js';

/**
 * `hmmci bisect-step`: the verdict of the commit checked out in the current directory, as the
 * exit status `git bisect run` understands (0 good, 1 bad, 125 skip). Pure part: what "bad"
 * means and the verdict; the command does the build and the boot.
 *
 * "Bad" is given, never guessed:
 * - `--baseline RUN|FILE`: results of a known-good kernel (a past run's baseline, or a results
 *   JSON file as `hmmci parse --json` prints it). Bad = a test that passed there is failing,
 *   crashing or timing out now; `--test` narrows that set.
 * - `--test NAME` alone: bad = a matching test fails, crashes or times out now. A commit where no
 *   matching test ran is skipped (125).
 */
export const STEP_EXIT: Record<Verdict, number> = { good: 0, bad: 1, skip: 125 };

export interface StepDefinition {
  patterns: readonly string[];
  baseline?: TestRunResult;
}

export interface StepVerdict extends CommitVerdict {
  exitCode: number;
  targets: string[];
}

export function stepTargets(def: StepDefinition, now: TestRunResult | undefined): string[] {
  const match = testMatcher(def.patterns);
  if (def.baseline) return def.baseline.tests.filter((t) => t.status === 'pass' && match(t.name)).map((t) => t.name);
  return (now?.tests ?? []).filter((t) => match(t.name)).map((t) => t.name);
}

export function stepVerdict(
  def: StepDefinition,
  outcome: CommitOutcome,
  opts: { buildFailureIsBad?: boolean } = {},
): StepVerdict {
  if (def.patterns.length === 0 && !def.baseline) throw new RangeError('bisect-step needs --test or --baseline');
  const targets = stepTargets(def, outcome.kind === 'results' ? outcome.result : undefined);
  if (outcome.kind === 'results' && targets.length === 0) {
    return {
      verdict: 'skip',
      bad: [],
      missing: [],
      reason: `no test matching ${def.patterns.join(', ')} ran`,
      exitCode: STEP_EXIT.skip,
      targets,
    };
  }
  const v = verdictOf(outcome, targets, { buildFailureIsBad: opts.buildFailureIsBad });
  return { ...v, exitCode: STEP_EXIT[v.verdict], targets };
}
