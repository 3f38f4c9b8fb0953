import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { interruptSignal } from '../../common/cleanup.js';
import { emitReports, type ReportFlags } from '../../report/emit.js';
import { listRuns, readRecord, resolveRunRef, runSeries, type RunListing, type RunRequest } from '../../run/index.js';
import { DEFAULT_FRAGMENTS, realStages } from '../../stages/real-stages.js';
import type { ConfigVariant } from '../../stages/types.js';
import { resolveVariantSpec } from '../../kconfig/variants.js';
import { collect, contextFrom, wholeNumber, type CliContext } from '../context.js';
import { addGuestOptions, guestOptionsFrom } from '../guest-options.js';
import { addOptions, type OptionSpec } from '../option-table.js';
import { runnerFragments } from '../../guest/vng-config.js';
import { WAIT_WORKERS_OPTION } from '../fleet-options.js';

/** `emitReports` moved to src/report/emit.ts; re-exported for older imports. */
export { emitReports } from '../../report/emit.js';

interface RunFlags {
  repeat?: number;
  smp?: number;
  memoryPressure?: boolean;
  shards?: string;
  fleet?: string;
  store?: string;
  waitWorkers: number;
  tree?: string;
  base?: string;
  kconfig: string[];
  config: string[];
  variant: string[];
  runner: 'qemu' | 'vng';
  reruns: number;
  jobs?: number;
  baselineCache: boolean;
  json?: boolean;
  junit?: string;
  kcidb?: string;
  mail?: string;
  testedBy?: string;
}

/** `--variant debug` (kernel-configs/debug.config) or `name:frag.config,CONFIG_X=y,...` → a config variant after `defaults`. */
export function parseVariant(spec: string, defaults: readonly string[]): ConfigVariant {
  const v = resolveVariantSpec(spec);
  return { name: v.name, fragments: [...defaults, ...v.fragments], extra: v.extra };
}

/** The run flags as a request: the default fragments plus --kconfig, each --variant on top. */
export function runRequest(ctx: CliContext, inputs: string[], opts: RunFlags): RunRequest {
  const base: ConfigVariant = {
    fragments: [...DEFAULT_FRAGMENTS, ...runnerFragments(opts.runner), ...opts.kconfig.map((f) => resolve(f))],
    extra: opts.config,
  };
  const variants = opts.variant.length
    ? opts.variant.map((v) => {
        const parsed = parseVariant(v, base.fragments);
        return { ...parsed, extra: [...base.extra, ...parsed.extra] };
      })
    : [base];
  return {
    inputs,
    tree: opts.tree,
    base: opts.base,
    variants,
    runner: opts.runner,
    reruns: opts.reruns,
    jobs: opts.jobs,
    useBaselineCache: opts.baselineCache,
    cache: ctx.cache,
    reporter: ctx.reporter,
    signal: interruptSignal(),
    guest: guestOptionsFrom(opts),
  };
}

/** `hmmci runs`: id, status, summary, title in aligned columns. */
function runsTable(runs: readonly RunListing[], dir: string): string {
  if (runs.length === 0) return `No runs in ${dir} yet.`;
  const rows = runs.map((r) => [
    r.id,
    r.status === 'complete' ? `exit ${r.exitCode ?? '?'}` : r.status,
    r.summary,
    r.title,
  ]);
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i < 3 ? c.padEnd(w[i] ?? 0) : c))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The options of `hmmci run` (the guest options follow them). */
const RUN_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--tree <dir>',
    description: 'kernel git checkout to use (never modified; default: the default tree from linux-source-6.12)',
  },
  { flags: '--base <rev>', description: 'base revision when a series does not name one (default: the tree baseline)' },
  { flags: '--kconfig <fragment>', description: 'extra config fragment (repeatable)', parse: collect, default: [] },
  { flags: '--config <CONFIG_X=y>', description: 'extra config option (repeatable)', parse: collect, default: [] },
  {
    flags: '--variant <name:items>',
    description:
      'a config variant to run as its own job: a named one (debug: KASAN, lockdep, hung-task…; see `hmmci config --list-variants`) or name:fragment.config,CONFIG_X=y (repeatable)',
    parse: collect,
    default: [],
  },
  {
    flags: '--runner <runner>',
    description: 'how the kernel is booted (vng adds kernel-configs/vng.config)',
    choices: ['qemu', 'vng'],
    default: 'qemu',
  },
  {
    flags: '--reruns <n>',
    description: 're-runs of the patched kernel that confirm a changed result before it is called a regression',
    parse: wholeNumber('--reruns', 0),
    default: 1,
  },
  {
    flags: '--jobs <n>',
    description: 'make -j for builds (default: from cores and memory)',
    parse: wholeNumber('--jobs', 0),
  },
  {
    flags: '--no-baseline-cache',
    description: 'rebuild and rerun the baseline even when a cached result matches',
  },
  { flags: '--json', description: 'print the JSON report on stdout (progress stays on stderr)' },
  { flags: '--junit <file>', description: 'write a JUnit XML report' },
  { flags: '--kcidb <file>', description: 'write KernelCI KCIDB JSON (checkouts, builds, tests)' },
  { flags: '--mail <file>', description: 'write a plain-text reply for the mailing list' },
  {
    flags: '--tested-by <who>',
    description: 'Tested-by identity for --mail (default: git config user.name/user.email)',
  },
  {
    flags: '--fleet <url>',
    description:
      'submit the builds and boots to the fleet behind this Redis (redis://HOST:PORT) instead of running them here',
  },
  {
    flags: '--store <dir|url>',
    description:
      'with --fleet: the artifact store every worker reaches (a shared directory or an http:// WebDAV URL; default $HMMCI_STORE or <cache>/fleet/store)',
  },
  WAIT_WORKERS_OPTION,
];

/** The options of `hmmci report`. */
const REPORT_OPTIONS: readonly OptionSpec[] = [
  { flags: '--json', description: 'the JSON report' },
  { flags: '--junit [file]', description: 'JUnit XML (to FILE, or stdout)' },
  { flags: '--kcidb [file]', description: 'KCIDB JSON (to FILE, or stdout)' },
  { flags: '--mail [file]', description: 'plain-text reply for the list (to FILE, or stdout)' },
  {
    flags: '--tested-by <who>',
    description: 'Tested-by identity for --mail (default: git config user.name/user.email)',
  },
  {
    flags: '--html <file>',
    description: 'write one self-contained HTML page of the run (no network needed to open it)',
  },
];

/**
 * The run on the fleet. Its Redis client (like the web pages of `report --html`) is imported only
 * when asked for: most runs never need it, and every start of the CLI would pay for loading it.
 */
async function onFleet(ctx: CliContext, request: RunRequest, url: string, opts: RunFlags) {
  const { withFleet } = await import('../../fleet/submit.js');
  return withFleet(
    url,
    {
      cache: ctx.cache,
      store: opts.store,
      local: realStages(),
      runner: opts.runner,
      reporter: ctx.reporter,
      waitWorkersMs: opts.waitWorkers * 1000,
    },
    // On a fleet the baseline's boot is a test job of its own; its kernel lives in the store,
    // not in a build dir a snapshot could copy: no overlap with the patched build here.
    (stages, machine) => runSeries({ ...request, machine, overlapBaselineBoot: false }, stages),
  );
}

/** `hmmci run`: the request runs here, or on the fleet with --fleet; reports as the flags ask. */
async function runAction(inputs: string[], opts: RunFlags, cmd: Command): Promise<void> {
  const ctx = contextFrom(cmd);
  const request = runRequest(ctx, inputs, opts);
  const outcome = opts.fleet ? await onFleet(ctx, request, opts.fleet, opts) : await runSeries(request, realStages());
  await emitReports(ctx, outcome.records, opts);
  process.exitCode = outcome.exitCode;
}

/** `hmmci report [run]`: a past run's reports again (and --html). */
async function reportAction(ref: string, opts: ReportFlags & { html?: string }, cmd: Command): Promise<void> {
  const ctx = contextFrom(cmd);
  const record = readRecord(resolveRunRef(ctx.cache, ref));
  if (opts.html) {
    const { loadRunPageData, renderRunReport } = await import('../../web/index.js');
    writeFileSync(resolve(opts.html), renderRunReport(await loadRunPageData(record)));
    ctx.reporter.info(`wrote ${resolve(opts.html)}`);
  }
  if (!opts.html || opts.json || opts.junit || opts.kcidb || opts.mail) await emitReports(ctx, [record], opts);
  process.exitCode = record.exitCode ?? 0;
}

/** `hmmci run`, `hmmci report` and `hmmci runs`. */
export function registerRun(program: Command): void {
  const run = program
    .command('run')
    .description(
      'Test series against the unpatched baseline: apply, configure, build, boot, run hmm-tests, compare per subtest, report.',
    )
    .argument(
      '<series...>',
      'mbox file, folder of .patch/.eml, A..B range of the tree, or a message-id (fetched with b4)',
    );
  addGuestOptions(addOptions(run, RUN_OPTIONS)).action(runAction);

  const report = program
    .command('report')
    .description('Render a past run again: terminal (default), --json, --junit, --kcidb, --mail or --html.')
    .argument('[run]', 'run id, a unique part of one, "last", or a run directory', 'last');
  addOptions(report, REPORT_OPTIONS).action(reportAction);

  program
    .command('runs')
    .description('List past runs, newest first.')
    .option('--json', 'as JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const runs = listRuns(ctx.cache);
      ctx.out(opts.json ? JSON.stringify(runs, null, 2) : runsTable(runs, ctx.cache.runs));
    });
}
