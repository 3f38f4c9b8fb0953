export type {
  Artifacts,
  ConfigSummary,
  EnvInfo,
  RunRecord,
  SeriesSummary,
  Side,
  SideResult,
  StageTiming,
} from './record.js';
export { changeRows, compactRows, headline, type ChangeRow } from './changes.js';
export { renderTerminal } from './terminal.js';
export { renderJson, toJsonReport, type JsonReport } from './json.js';
export { renderJunit } from './junit.js';
export { renderKcidb, kcidbStatus, KCIDB_VERSION, KCIDB_ORIGIN } from './kcidb.js';
export { renderMail, type MailOptions } from './mail.js';
export { emitReports, perJobFile, testedBy, type ReportFlags, type ReportSink } from './emit.js';
