export type { Comparison, CompareOptions, GoneEvent, NewEvent, TestChange } from './types.js';
export {
  compareResults,
  failureDetail,
  eventKey,
  eventSummary,
  needsRerun,
  statusClass,
  testsToConfirm,
  type StatusClass,
} from './compare.js';
export {
  barnardExact,
  compareRates,
  describeRates,
  failures,
  RATE_ALPHA,
  RATE_TEST,
  type RateComparison,
} from './rates.js';
