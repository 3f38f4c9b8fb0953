import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../common/errors.js';
import { run as exec } from '../common/exec.js';
import type { Reporter } from '../common/progress.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderKcidb } from './kcidb.js';
import { renderMail } from './mail.js';
import type { RunRecord } from './record.js';
import { renderTerminal } from './terminal.js';

/** Which reports to make: a FILE writes it there; `true` (`hmmci report --junit`) prints it on stdout. */
export interface ReportFlags {
  json?: boolean;
  junit?: string | boolean;
  kcidb?: string | boolean;
  mail?: string | boolean;
  testedBy?: string;
}

/** Where reports go: results on stdout (`out`), "wrote FILE" notes through the reporter. */
export interface ReportSink {
  out(text: string): void;
  reporter: Reporter;
}

/** `Name <email>` from --tested-by, else from git config; undefined when neither is set. */
export async function testedBy(flag: string | undefined): Promise<string | undefined> {
  if (flag) return flag;
  const get = async (k: string) =>
    (await exec('git', ['config', '--get', k]).catch(() => undefined))?.stdout.trim() || undefined;
  const [name, email] = [await get('user.name'), await get('user.email')];
  return name && email ? `${name} <${email}>` : undefined;
}

/** With several jobs, each mail goes to its own file: `reply.txt` → `reply.<run id>.txt`. */
export function perJobFile(file: string, id: string, many: boolean): string {
  if (!many) return file;
  const m = /^(.*?)(\.[^./]*)?$/.exec(file);
  return `${m?.[1] ?? file}.${id}${m?.[2] ?? ''}`;
}

/**
 * Print the terminal report (or --json on stdout) and write the --junit/--kcidb/--mail files. A
 * flag given without a file (`hmmci report` only) prints that format on stdout instead.
 */
export async function emitReports(sink: ReportSink, records: readonly RunRecord[], flags: ReportFlags): Promise<void> {
  const stdoutFormats = [flags.junit === true, flags.kcidb === true, flags.mail === true, Boolean(flags.json)].filter(
    Boolean,
  ).length;
  if (stdoutFormats > 1)
    throw new UsageError('Only one format can go to standard output; give --junit/--kcidb/--mail a FILE.');
  const emit = (to: string | boolean, text: string) => {
    if (typeof to !== 'string') return sink.out(text);
    writeFileSync(resolve(to), text);
    sink.reporter.info(`wrote ${resolve(to)}`);
  };
  if (flags.junit) emit(flags.junit, renderJunit(records));
  if (flags.kcidb) emit(flags.kcidb, `${JSON.stringify(renderKcidb(records), null, 2)}\n`);
  if (flags.mail) {
    const who = await testedBy(flags.testedBy);
    const mail = flags.mail;
    for (const r of records)
      emit(
        typeof mail === 'string' ? perJobFile(mail, r.id, records.length > 1) : mail,
        renderMail(r, { testedBy: who }),
      );
  }
  if (flags.json) sink.out(renderJson(records));
  else if (!stdoutFormats) sink.out(records.map(renderTerminal).join('\n'));
}
