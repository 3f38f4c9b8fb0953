export type { Comparison, CompareOptions, GoneEvent, NewEvent, TestChange } from './types.js';
export { compareResults, failureDetail, eventKey, eventSummary, needsRerun, statusClass, testsToConfirm, type StatusClass } from './compare.js';
