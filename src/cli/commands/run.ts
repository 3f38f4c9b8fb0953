import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../common/errors.js';
import { interruptSignal } from '../../common/cleanup.js';
import { run as exec } from '../../common/exec.js';
import { renderJson, renderJunit, renderKcidb, renderMail, renderTerminal, type RunRecord } from '../../report/index.js';
import { listRuns, readRecord, resolveRunRef, runSeries, type ConfigVariant } from '../../run/index.js';
import { realStages, DEFAULT_FRAGMENTS } from '../../run/real-stages.js';
import { resolveVariantSpec } from '../../kconfig/variants.js';
import { withFleet } from '../../fleet/submit.js';
import { loadRunPageData, renderRunReport } from '../../web/index.js';
import { collect, contextFrom, wholeNumber, type CliContext } from '../context.js';
import { addGuestOptions, guestOptionsFrom } from '../guest-options.js';

interface ReportFlags {
  json?: boolean;
  junit?: string | boolean;
  kcidb?: string | boolean;
  mail?: string | boolean;
  testedBy?: string;
}

/** `Name <email>` from --tested-by, else from git config; undefined when neither is set. */
async function testedBy(flag: string | undefined): Promise<string | undefined> {
  if (flag) return flag;
  const get = async (k: string) => (await exec('git', ['config', '--get', k]).catch(() => undefined))?.stdout.trim() || undefined;
  const [name, email] = [await get('user.name'), await get('user.email')];
  return name && email ? `${name} <${email}>` : undefined;
}

/** With several jobs, each mail goes to its own file: `reply.txt` → `reply.<run id>.txt`. */
function perJobFile(file: string, id: string, many: boolean): string {
  if (!many) return file;
  const m = /^(.*?)(\.[^./]*)?$/.exec(file);
  return `${m?.[1] ?? file}.${id}${m?.[2] ?? ''}`;
}

/**
 * Print the terminal report (or --json on stdout) and write the --junit/--kcidb/--mail files. A
 * flag given without a file (`hmmci report` only) prints that format on stdout instead.
 */
export async function emitReports(ctx: CliContext, records: readonly RunRecord[], flags: ReportFlags): Promise<void> {
  const stdoutFormats = [flags.junit === true, flags.kcidb === true, flags.mail === true, Boolean(flags.json)].filter(Boolean).length;
  if (stdoutFormats > 1) throw new UsageError('Only one format can go to standard output; give --junit/--kcidb/--mail a FILE.');
  const write = (file: string, text: string) => {
    writeFileSync(resolve(file), text);
    ctx.reporter.info(`wrote ${resolve(file)}`);
  };
  if (flags.junit) typeof flags.junit === 'string' ? write(flags.junit, renderJunit(records)) : ctx.out(renderJunit(records));
  if (flags.kcidb) {
    const text = `${JSON.stringify(renderKcidb(records), null, 2)}\n`;
    typeof flags.kcidb === 'string' ? write(flags.kcidb, text) : ctx.out(text);
  }
  if (flags.mail) {
    const who = await testedBy(flags.testedBy);
    for (const r of records) {
      const text = renderMail(r, { testedBy: who });
      typeof flags.mail === 'string' ? write(perJobFile(flags.mail, r.id, records.length > 1), text) : ctx.out(text);
    }
  }
  if (flags.json) ctx.out(renderJson(records));
  else if (!stdoutFormats) ctx.out(records.map(renderTerminal).join('\n'));
}

/** `--variant debug` (kernel-configs/debug.config) or `name:frag.config,CONFIG_X=y,...` → a config variant after `defaults`. */
export function parseVariant(spec: string, defaults: readonly string[]): ConfigVariant {
  const v = resolveVariantSpec(spec);
  return { name: v.name, fragments: [...defaults, ...v.fragments], extra: v.extra };
}

export function registerRun(program: Command): void {
  const run = program
    .command('run')
    .description('Test series against the unpatched baseline: apply, configure, build, boot, run hmm-tests, compare per subtest, report.')
    .argument('<series...>', 'mbox file, folder of .patch/.eml, A..B range of the tree, or a message-id (fetched with b4)')
    .option('--tree <dir>', 'kernel git checkout to use (never modified; default: the default tree from linux-source-6.12)')
    .option('--base <rev>', 'base revision when a series does not name one (default: the tree baseline)')
    .option('--kconfig <fragment>', 'extra config fragment (repeatable)', collect, [])
    .option('--config <CONFIG_X=y>', 'extra config option (repeatable)', collect, [])
    .option('--variant <name:items>', 'a config variant to run as its own job: a named one (debug: KASAN, lockdep, hung-task…; see `hmmci config --list-variants`) or name:fragment.config,CONFIG_X=y (repeatable)', collect, [])
    .addOption(new Option('--runner <runner>', 'how the kernel is booted').choices(['qemu', 'vng']).default('qemu'))
    .option('--reruns <n>', 're-runs of the patched kernel that confirm a changed result before it is called a regression', wholeNumber('--reruns', 0), 1)
    .option('--jobs <n>', 'make -j for builds (default: from cores and memory)', wholeNumber('--jobs', 0))
    .option('--no-baseline-cache', 'rebuild and rerun the baseline even when a cached result matches')
    .option('--json', 'print the JSON report on stdout (progress stays on stderr)')
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--kcidb <file>', 'write KernelCI KCIDB JSON (checkouts, builds, tests)')
    .option('--mail <file>', 'write a plain-text reply for the mailing list')
    .option('--tested-by <who>', 'Tested-by identity for --mail (default: git config user.name/user.email)')
    .option('--fleet <url>', "submit the builds and boots to the fleet behind this Redis (redis://HOST:PORT) instead of running them here")
    .option('--store <dir|url>', 'with --fleet: the artifact store every worker reaches (a shared directory or an http:// WebDAV URL; default $HMMCI_STORE or <cache>/fleet/store)');
  addGuestOptions(run)
    .action(async (inputs: string[], opts: {
      fleet?: string; store?: string;
      tree?: string; base?: string; kconfig: string[]; config: string[]; variant: string[]; runner: 'qemu' | 'vng';
      reruns: number; jobs?: number; baselineCache: boolean; json?: boolean; junit?: string; kcidb?: string; mail?: string; testedBy?: string;
      repeat?: number; smp?: number; memoryPressure?: boolean; shards?: string;
    }, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const base: ConfigVariant = { fragments: [...DEFAULT_FRAGMENTS, ...opts.kconfig.map((f) => resolve(f))], extra: opts.config };
      const variants = opts.variant.length ? opts.variant.map((v) => {
        const parsed = parseVariant(v, base.fragments);
        return { ...parsed, extra: [...base.extra, ...parsed.extra] };
      }) : [base];
      const request = {
        inputs, tree: opts.tree, base: opts.base, variants, runner: opts.runner, reruns: opts.reruns, jobs: opts.jobs,
        useBaselineCache: opts.baselineCache, cache: ctx.cache, reporter: ctx.reporter, signal: interruptSignal(), guest: guestOptionsFrom(opts),
      };
      const outcome = opts.fleet
        ? await withFleet(opts.fleet, { cache: ctx.cache, store: opts.store, local: realStages(), runner: opts.runner }, (stages, machine) => runSeries({ ...request, machine }, stages))
        : await runSeries(request, realStages());
      await emitReports(ctx, outcome.records, opts);
      process.exitCode = outcome.exitCode;
    });

  program
    .command('report')
    .description('Render a past run again: terminal (default), --json, --junit, --kcidb, --mail or --html.')
    .argument('[run]', 'run id, a unique part of one, "last", or a run directory', 'last')
    .option('--json', 'the JSON report')
    .option('--junit [file]', 'JUnit XML (to FILE, or stdout)')
    .option('--kcidb [file]', 'KCIDB JSON (to FILE, or stdout)')
    .option('--mail [file]', 'plain-text reply for the list (to FILE, or stdout)')
    .option('--tested-by <who>', 'Tested-by identity for --mail (default: git config user.name/user.email)')
    .option('--html <file>', 'write one self-contained HTML page of the run (no network needed to open it)')
    .action(async (ref: string, opts: ReportFlags & { html?: string }, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const record = readRecord(resolveRunRef(ctx.cache, ref));
      if (opts.html) {
        writeFileSync(resolve(opts.html), renderRunReport(await loadRunPageData(record)));
        ctx.reporter.info(`wrote ${resolve(opts.html)}`);
      }
      if (!opts.html || opts.json || opts.junit || opts.kcidb || opts.mail) await emitReports(ctx, [record], opts);
      process.exitCode = record.exitCode ?? 0;
    });

  program
    .command('runs')
    .description('List past runs, newest first.')
    .option('--json', 'as JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const runs = listRuns(ctx.cache);
      if (opts.json) {
        ctx.out(JSON.stringify(runs, null, 2));
        return;
      }
      if (runs.length === 0) {
        ctx.out(`No runs in ${ctx.cache.runs} yet.`);
        return;
      }
      const rows = runs.map((r) => [r.id, r.status === 'complete' ? `exit ${r.exitCode ?? '?'}` : r.status, r.summary, r.title]);
      const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
      ctx.out(rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(w[i] ?? 0) : c)).join('  ').trimEnd()).join('\n'));
    });
}
