export { runSeries, type RunOutcome, type RunRequest } from './pipeline.js';
export type { ApplyOutcome, BuildOutcome, ConfigVariant, ConfigureOutcome, LoadedSeries, StageContext, Stages, TestOutcome } from './stages.js';
export { createRunDir, listRuns, markInterrupted, readRecord, resolveRunRef, writeRecord, INTERRUPTED_MARKER, type RunListing } from './run-dir.js';
export { baselineCacheDir, readBaseline, storeBaseline, type BaselineEntry, type BaselineKey } from './baseline-cache.js';
export { planConcurrency, type ConcurrencyPlan, type MachineShape } from './concurrency.js';
export { aggregateExit, exitForComparison } from './exit-status.js';
export { patchsetHash } from './patchset-hash.js';
