/**
 * The abort reason of a run that is cancelled for good (the watcher's supersede), as opposed to an
 * interrupt (Ctrl-C, SIGTERM) after which the same run may be submitted again and adopt what it
 * left. Over the fleet, only a `RunCancelled` abort cancels the run's test jobs; both stop the run.
 */
export class RunCancelled extends Error {
  override readonly name = 'RunCancelled';
}

/** Whether an AbortSignal's reason cancels the run's fleet jobs (a `RunCancelled`). */
export function cancelsJobs(reason: unknown): reason is RunCancelled {
  return reason instanceof RunCancelled;
}
