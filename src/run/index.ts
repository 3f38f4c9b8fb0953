export { runSeries, type RunOutcome, type RunRequest } from './pipeline.js';
// The stage contract lives in src/stages (shared with bisect and the fleet); re-exported for callers of runSeries.
export type {
  ApplyOutcome,
  BuildOutcome,
  Built,
  ConfigVariant,
  Configured,
  ConfigureOutcome,
  FailureKind,
  KernelArtifacts,
  LoadedSeries,
  StageContext,
  StageFailure,
  Stages,
  Tested,
  TestOutcome,
} from '../stages/types.js';
export { BaselineStore, type BaselineEntry, type BaselineKey } from '../stages/baseline-store.js';
export {
  createRunDir,
  listRuns,
  markInterrupted,
  readRecord,
  resolveRunRef,
  writeRecord,
  INTERRUPTED_MARKER,
  type RunListing,
} from './run-dir.js';
export { planConcurrency, type ConcurrencyPlan, type MachineShape } from './concurrency.js';
export { aggregateExit, exitForComparison, exitForFailure } from './exit-status.js';
export { patchsetHash } from './patchset-hash.js';
