export type { BuildArtifacts, BuildLogSummary, BuildResult, Diagnostic, ProgressStep, Severity } from './types.js';
export {
  parseBuildLog,
  createBuildLogParser,
  progressFromLine,
  formatDiagnostic,
  treeRelative,
  type BuildLogParser,
} from './log-parse.js';
export {
  buildKernel,
  kbuildCommand,
  findArtifacts,
  DEFAULT_TARGETS,
  type BuildRequest,
  type KbuildCommand,
} from './build.js';
export { BuildError } from './errors.js';
