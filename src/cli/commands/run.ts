import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { interruptSignal } from '../../common/cleanup.js';
import { emitReports, type ReportFlags } from '../../report/emit.js';
import { listRuns, readRecord, resolveRunRef, runSeries, type RunListing, type RunRequest } from '../../run/index.js';
import { DEFAULT_FRAGMENTS, realStages } from '../../stages/real-stages.js';
import type { ConfigVariant } from '../../stages/types.js';
import { resolveVariantSpec } from '../../kconfig/variants.js';
import { withFleet } from '../../fleet/submit.js';
import { loadRunPageData, renderRunReport } from '../../web/index.js';
import { collect, contextFrom, wholeNumber, type CliContext } from '../context.js';
import { addGuestOptions, guestOptionsFrom } from '../guest-options.js';
import { runnerFragments } from '../../guest/vng-config.js';

/** `emitReports` moved to src/report/emit.ts; re-exported for older imports. */
export { emitReports } from '../../report/emit.js';

interface RunFlags {
  repeat?: number;
  smp?: number;
  memoryPressure?: boolean;
  shards?: string;
  fleet?: string;
  store?: string;
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

export function registerRun(program: Command): void {
  const run = program
    .command('run')
    .description(
      'Test series against the unpatched baseline: apply, configure, build, boot, run hmm-tests, compare per subtest, report.',
    )
    .argument(
      '<series...>',
      'mbox file, folder of .patch/.eml, A..B range of the tree, or a message-id (fetched with b4)',
    )
    .option(
      '--tree <dir>',
      'kernel git checkout to use (never modified; default: the default tree from linux-source-6.12)',
    )
    .option('--base <rev>', 'base revision when a series does not name one (default: the tree baseline)')
    .option('--kconfig <fragment>', 'extra config fragment (repeatable)', collect, [])
    .option('--config <CONFIG_X=y>', 'extra config option (repeatable)', collect, [])
    .option(
      '--variant <name:items>',
      'a config variant to run as its own job: a named one (debug: KASAN, lockdep, hung-task…; see `hmmci config --list-variants`) or name:fragment.config,CONFIG_X=y (repeatable)',
      collect,
      [],
    )
    .addOption(
      new Option('--runner <runner>', 'how the kernel is booted (vng adds kernel-configs/vng.config)')
        .choices(['qemu', 'vng'])
        .default('qemu'),
    )
    .option(
      '--reruns <n>',
      're-runs of the patched kernel that confirm a changed result before it is called a regression',
      wholeNumber('--reruns', 0),
      1,
    )
    .option('--jobs <n>', 'make -j for builds (default: from cores and memory)', wholeNumber('--jobs', 0))
    .option('--no-baseline-cache', 'rebuild and rerun the baseline even when a cached result matches')
    .option('--json', 'print the JSON report on stdout (progress stays on stderr)')
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--kcidb <file>', 'write KernelCI KCIDB JSON (checkouts, builds, tests)')
    .option('--mail <file>', 'write a plain-text reply for the mailing list')
    .option('--tested-by <who>', 'Tested-by identity for --mail (default: git config user.name/user.email)')
    .option(
      '--fleet <url>',
      'submit the builds and boots to the fleet behind this Redis (redis://HOST:PORT) instead of running them here',
    )
    .option(
      '--store <dir|url>',
      'with --fleet: the artifact store every worker reaches (a shared directory or an http:// WebDAV URL; default $HMMCI_STORE or <cache>/fleet/store)',
    );
  addGuestOptions(run).action(async (inputs: string[], opts: RunFlags, cmd: Command) => {
    const ctx = contextFrom(cmd);
    const request = runRequest(ctx, inputs, opts);
    const outcome = opts.fleet
      ? await withFleet(
          opts.fleet,
          { cache: ctx.cache, store: opts.store, local: realStages(), runner: opts.runner, reporter: ctx.reporter },
          // On a fleet the baseline's boot is a test job of its own; its kernel lives in the store,
          // not in a build dir a snapshot could copy: no overlap with the patched build here.
          (stages, machine) => runSeries({ ...request, machine, overlapBaselineBoot: false }, stages),
        )
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
      ctx.out(opts.json ? JSON.stringify(runs, null, 2) : runsTable(runs, ctx.cache.runs));
    });
}
