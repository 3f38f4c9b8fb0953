import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../common/errors.js';
import { interruptSignal } from '../../common/cleanup.js';
import { run as exec } from '../../common/exec.js';
import { runnerFragments } from '../../guest/vng-config.js';
import { DEFAULT_FRAGMENTS, realStages } from '../../run/real-stages.js';
import { createWatcher, WATCH_DEFAULTS, type WatchSetup } from '../../watch/setup.js';
import { collect, contextFrom, wholeNumber } from '../context.js';
import { toOption } from '../option-table.js';
import { WAIT_WORKERS_OPTION } from '../fleet-options.js';

/** `30` (minutes), `90s`, `30m`, `2h` → milliseconds. */
export function duration(name: string): (v: string) => number {
  return (v: string) => {
    const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(v.trim());
    if (!m) throw new UsageError(`${name} wants a duration such as 30 (minutes), 90s, 30m or 2h; got "${v}".`);
    return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'm') as 's' | 'm' | 'h'];
  };
}

async function gitIdentity(): Promise<string | undefined> {
  const get = async (k: string) =>
    (await exec('git', ['config', '--get', k]).catch(() => undefined))?.stdout.trim() || undefined;
  const [name, email] = [await get('user.name'), await get('user.email')];
  return name && email ? `${name} <${email}>` : undefined;
}

interface WatchFlags {
  inbox?: string;
  maildir?: string;
  once?: boolean;
  interval: number;
  settle: number;
  state?: string;
  paths: string[];
  maxParts: number;
  outbox?: string;
  sendmail?: string;
  replyTo: 'author' | 'all';
  from?: string;
  testedBy?: string;
  checks?: string;
  url?: string;
  tree?: string;
  base?: string;
  kconfig: string[];
  config: string[];
  runner: 'qemu' | 'vng';
  reruns: number;
  jobs?: number;
  fleet?: string;
  store?: string;
  waitWorkers: number;
  json?: boolean;
}

/** Where mail comes from, how often, and what the watcher keeps. */
function addSourceOptions(cmd: Command): Command {
  return cmd
    .option(
      '--inbox <dir>',
      'a public-inbox v2 mirror (its git/N.git epochs), e.g. a public-inbox-clone of lore.kernel.org/linux-mm',
    )
    .option('--maildir <dir>', "a subscriber's Maildir (new/ and cur/ are read, never changed)")
    .option('--once', 'process what is new, then exit (cron, tests)')
    .option(
      '--interval <duration>',
      'poll interval without --once (30 = minutes; 90s, 5m, 1h)',
      duration('--interval'),
      WATCH_DEFAULTS.intervalMs,
    )
    .option(
      '--settle <duration>',
      'a series whose parts stop arriving for this long is recorded as incomplete (default 30 min)',
      duration('--settle'),
      WATCH_DEFAULTS.settleMs,
    )
    .option(
      '--state <dir>',
      "the watcher's folder: mails being assembled, log, checks (default <cache>/watch/<inbox>-<hash>/); its position is in the history database",
    )
    .option(
      '--paths <path>',
      'files tested beside the MAINTAINERS HMM entry (repeatable or comma-separated; default mm/migrate_device.c, include/linux/migrate.h, include/linux/memremap.h, mm/memremap.c)',
      collect,
      [],
    )
    .option(
      '--max-parts <n>',
      'a series announcing more parts is skipped as a patch bomb',
      wholeNumber('--max-parts', 1),
      WATCH_DEFAULTS.maxParts,
    );
}

/** How a tested series is answered. */
function addAnswerOptions(cmd: Command): Command {
  return cmd
    .option('--outbox <dir>', 'write each reply into this Maildir (new/)')
    .option(
      '--sendmail <cmd>',
      'pipe each reply to this sendmail-compatible command (git send-email convention: CMD -i recipients…)',
    )
    .addOption(
      new Option(
        '--reply-to <who>',
        'who a reply is addressed to: the author only, or the author with the list and Cc of the original',
      )
        .choices(['author', 'all'])
        .default(WATCH_DEFAULTS.replyTo),
    )
    .option('--from <addr>', 'From: of replies (default hmmci <hmmci@HOST>)')
    .option(
      '--tested-by <who>',
      'Tested-by identity in replies when nothing regressed (default: git config user.name/user.email)',
    )
    .option('--checks <file>', 'JSON Lines file of patchwork-style check records (default <state>/checks.jsonl)')
    .option(
      '--url <base>',
      "base URL of run pages for the check records' target_url (default: file:// of the run directory)",
    );
}

/** How each series is run: as `hmmci run` would, here or on the fleet. */
function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--tree <dir>', 'kernel git checkout (never modified; default: the default tree)')
    .option('--base <rev>', "base when a series' base-commit is not in the tree (default: the tree baseline)")
    .option('--kconfig <fragment>', 'extra config fragment (repeatable)', collect, [])
    .option('--config <CONFIG_X=y>', 'extra config option (repeatable)', collect, [])
    .addOption(
      new Option('--runner <runner>', 'how kernels are booted').choices(['qemu', 'vng']).default(WATCH_DEFAULTS.runner),
    )
    .option('--reruns <n>', 're-runs that confirm a changed result', wholeNumber('--reruns', 0), WATCH_DEFAULTS.reruns)
    .option('--jobs <n>', 'make -j for builds', wholeNumber('--jobs', 1))
    .option(
      '--fleet <url>',
      'run each series on the fleet behind this Redis (redis://HOST:PORT), as `hmmci run --fleet` does',
    )
    .option(
      '--store <dir|url>',
      'with --fleet: the artifact store every worker reaches (default $HMMCI_STORE or <cache>/fleet/store)',
    )
    .addOption(toOption(WAIT_WORKERS_OPTION))
    .option('--json', "with --once: print the round's summary as JSON");
}

/** The flags as the watcher's setup (thin: defaults and parsing live in the options). */
export async function watchSetupOf(opts: WatchFlags): Promise<WatchSetup> {
  const paths = opts.paths
    .flatMap((p) => p.split(','))
    .map((p) => p.trim())
    .filter(Boolean);
  return {
    inbox: opts.inbox,
    maildir: opts.maildir,
    state: opts.state,
    settleMs: opts.settle,
    maxParts: opts.maxParts,
    paths: paths.length ? paths : undefined,
    outbox: opts.outbox,
    sendmail: opts.sendmail,
    replyTo: opts.replyTo,
    from: opts.from,
    testedBy: opts.testedBy ?? (await gitIdentity()),
    checks: opts.checks,
    url: opts.url,
    tree: opts.tree,
    base: opts.base,
    // As `hmmci run`: --runner vng adds kernel-configs/vng.config (its own config key and baseline).
    variant: {
      fragments: [...DEFAULT_FRAGMENTS, ...runnerFragments(opts.runner), ...opts.kconfig.map((f) => resolve(f))],
      extra: opts.config,
    },
    configArgs: [...opts.kconfig.flatMap((k) => ['--kconfig', k]), ...opts.config.flatMap((c) => ['--config', c])],
    runner: opts.runner,
    reruns: opts.reruns,
    jobs: opts.jobs,
    fleet: opts.fleet,
    artifactStore: opts.store,
    waitWorkersMs: opts.waitWorkers * 1000,
  };
}

async function runWatch(opts: WatchFlags, cmd: Command): Promise<void> {
  const ctx = contextFrom(cmd);
  const signal = interruptSignal();
  const { watcher } = await createWatcher(await watchSetupOf(opts), {
    stages: realStages(),
    cache: ctx.cache,
    reporter: ctx.reporter,
    signal,
    lock: true,
  });
  try {
    if (!opts.once) return await watcher.poll(opts.interval);
    const summary = await watcher.once();
    if (opts.json) ctx.out(JSON.stringify(summary, null, 2));
    else
      ctx.out(
        `watch: ${summary.scanned} message(s) read, ${summary.tested.length} series tested, ${summary.skipped} skipped, ${summary.incomplete.length} incomplete, ${summary.superseded.length} superseded, ${summary.problems} problem(s)`,
      );
  } finally {
    watcher.close();
  }
}

export function registerWatch(program: Command): void {
  const cmd = program
    .command('watch')
    .description(
      'Follow a public-inbox mirror or a Maildir, test every new series version that touches HMM once, and answer (reply mail, patchwork-style check records).',
    );
  addRunOptions(addAnswerOptions(addSourceOptions(cmd))).action(runWatch);
}
