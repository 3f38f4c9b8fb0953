export { openHistory, openCacheHistory, historyPath, type HistoryDb, type OpenOptions } from './db.js';
export { MIGRATIONS, migrate } from './migrations.js';
export { storeRecord, storeRecords } from './store.js';
export { recordRows, configDesc, repeatOf, type RecordRows, type RepeatCount } from './rows.js';
export { importRuns, runDirsOf, type ImportResult } from './import.js';
export {
  testHistory,
  flakyRanking,
  knownFlaky,
  matchTests,
  knownTests,
  type TestHistory,
  type HistoryRow,
  type FlakyEntry,
  type KnownFlaky,
} from './queries.js';
export { listJobs, jobById, type JobListing, type JobFilter } from './jobs.js';
export { testStats, outcomeOf, baselineFailures, type Observation, type TestStats, type Outcome } from './stats.js';
export { recordRunInHistory, labelKnownFlaky } from './record-run.js';
export { printable, printableLines } from './printable.js';
export { renderHistoryText, renderFlakyText, statsLine } from './render-text.js';
