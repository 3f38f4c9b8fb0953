/** The series stage: intake (mbox, folder, git range, b4) and apply (git am -3 into a worktree). */
export type * from './types.js';
export { loadSeries, parseMailBytes, classifyInput, type LoadSeriesOptions } from './load.js';
export { buildSeries, toSeriesJson } from './series.js';
export { applySeries, assertApplicable, type ApplySeriesRequest } from './apply.js';
export { resolveBase, decideBase, type BaseFacts } from './base.js';
export { checkSeriesSafety, symlinkDestination } from './safety.js';
export { explainApplyFailure, formatApplyFailure } from './apply-report.js';
export { renderSeriesText, renderApplyText } from './render.js';
export { ApplyError, UnsafePatchError } from './errors.js';
export { HMM_AREAS, isHmmPath } from './hmm-areas.js';
