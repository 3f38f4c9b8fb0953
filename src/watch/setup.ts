/**
 * Everything `hmmci watch` is made of, put together from its options: the source, the position
 * store (the history database), the selection from the tree's MAINTAINERS, the executor over the
 * run pipeline (local, or the fleet with --fleet), the outbox and the check file. The CLI passes
 * the real stages; tests pass stages over the fake kernel.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { CacheLayout } from '../common/cache.js';
import { BadInputError, HmmciError, UsageError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { acquireLock } from '../common/lock.js';
import type { Reporter } from '../common/progress.js';
import type { ConfigVariant, Stages } from '../run/index.js';
import { DEFAULT_LIMITS } from './assemble.js';
import { connectFleet } from '../fleet/connection.js';
import { fleetExecutor, localExecutor, type Executor, type LocalExecutorOptions } from './executor.js';
import { openHistoryPositionStore } from './history-store.js';
import { WatchLog } from './log.js';
import { MailStore } from './mail-store.js';
import { MaildirOutbox, SendmailOutbox, type Outbox } from './outbox.js';
import type { PositionStore } from './position-store.js';
import type { ReplyPolicy } from './reply.js';
import { DEFAULT_EXTRA_PATHS, loadSelection } from './select.js';
import { MaildirSource, PublicInboxSource, type MailSource } from './sources.js';
import { Watcher } from './watcher.js';

export interface WatchSetup {
  inbox?: string;
  maildir?: string;
  state?: string;
  settleMs: number;
  maxParts: number;
  /** Extra paths beside the MAINTAINERS entry (`--paths`); default DEFAULT_EXTRA_PATHS. */
  paths?: string[];
  outbox?: string;
  sendmail?: string;
  replyTo: ReplyPolicy;
  from?: string;
  testedBy?: string;
  checks?: string;
  url?: string;
  tree?: string;
  base?: string;
  variant: ConfigVariant;
  /** --kconfig/--config as given, for the reproduction command. */
  configArgs: string[];
  runner: 'qemu' | 'vng';
  reruns: number;
  jobs?: number;
  /** Run each series on the fleet behind this Redis (`--fleet redis://HOST:PORT`). */
  fleet?: string;
  /** With fleet: the artifact store (`--store`). */
  artifactStore?: string;
  /** With fleet: how long to wait for a live worker per queue before a round fails (ms). */
  waitWorkersMs?: number;
}

/** The watcher's defaults: `hmmci watch`'s flag defaults, and what tests and the bench start from. */
export const WATCH_DEFAULTS = {
  intervalMs: 5 * 60_000,
  settleMs: 30 * 60_000,
  maxParts: 100,
  replyTo: 'author',
  runner: 'qemu',
  reruns: 1,
} as const;

/** A setup of the defaults, config `fragments` and no extra option, with `over` on top. */
export function defaultWatchSetup(fragments: readonly string[], over: Partial<WatchSetup> = {}): WatchSetup {
  const { settleMs, maxParts, replyTo, runner, reruns } = WATCH_DEFAULTS;
  return {
    settleMs,
    maxParts,
    replyTo,
    runner,
    reruns,
    variant: { fragments: [...fragments], extra: [] },
    configArgs: [],
    ...over,
  };
}

export interface WatchDeps {
  stages: Stages;
  cache: CacheLayout;
  reporter: Reporter;
  signal: AbortSignal;
  /** Replace the executor made from the options (local, or the fleet with `fleet`). */
  executor?: Executor;
  /** Default: the history database of `cache` (history-store.ts). */
  store?: PositionStore;
  now?: () => number;
  keepLog?: boolean;
  /** Hold `<state>/watch.lock` (the CLI does): a second watcher on the same state stops at once. */
  lock?: boolean;
}

function sourceOf(o: WatchSetup): MailSource {
  if (Boolean(o.inbox) === Boolean(o.maildir))
    throw new UsageError(
      'hmmci watch follows one source: give --inbox DIR (a public-inbox v2 mirror) or --maildir DIR (a Maildir), not both and not neither.',
    );
  if (o.inbox) {
    const dir = resolve(o.inbox);
    if (!existsSync(join(dir, 'git')) || !statSync(join(dir, 'git')).isDirectory()) {
      throw new BadInputError(
        `--inbox ${o.inbox} is not a public-inbox v2 mirror: it has no git/ folder of epochs (git/0.git …). Mirror one with \`public-inbox-clone https://lore.kernel.org/linux-mm\` (or grokmirror), or make one with \`public-inbox-init -V2\`.`,
      );
    }
    return new PublicInboxSource(dir);
  }
  const dir = resolve(o.maildir as string);
  if (!existsSync(join(dir, 'new')) && !existsSync(join(dir, 'cur'))) {
    throw new BadInputError(
      `--maildir ${o.maildir} is not a Maildir: it has neither new/ nor cur/. Point it at the folder your mail delivery writes (the one holding new/, cur/ and tmp/).`,
    );
  }
  return new MaildirSource(dir);
}

function outboxOf(o: WatchSetup): Outbox | undefined {
  if (o.outbox && o.sendmail) throw new UsageError('Give --outbox DIR or --sendmail "CMD", not both.');
  if (o.outbox) return new MaildirOutbox(resolve(o.outbox));
  if (o.sendmail) return new SendmailOutbox(o.sendmail);
  return undefined;
}

/** The local run pipeline, or the fleet (its Redis checked now: down or too old is exit 12 before any mail is read). */
async function executorOf(o: WatchSetup, d: WatchDeps): Promise<Executor> {
  const local: LocalExecutorOptions = {
    stages: d.stages,
    cache: d.cache,
    reporter: d.reporter,
    tree: o.tree,
    base: o.base,
    variants: [o.variant],
    runner: o.runner,
    reruns: o.reruns,
    jobs: o.jobs,
  };
  if (!o.fleet) {
    if (o.artifactStore) throw new UsageError("--store names the fleet's artifact store: give it with --fleet.");
    return localExecutor(local);
  }
  await (await connectFleet(o.fleet, { flag: '--fleet' })).close();
  return fleetExecutor({ ...local, url: o.fleet, artifactStore: o.artifactStore, waitWorkersMs: o.waitWorkersMs });
}

export async function createWatcher(
  o: WatchSetup,
  d: WatchDeps,
): Promise<{ watcher: Watcher; stateDir: string; log: WatchLog; selectionSource: string }> {
  const source = sourceOf(o);
  const stateDir = resolve(
    o.state ??
      join(
        d.cache.root,
        'watch',
        `${basename(source.name)}-${createHash('sha1').update(source.name).digest('hex').slice(0, 8)}`,
      ),
  );
  if (d.lock) {
    await acquireLock(join(stateDir, 'watch.lock'), { waitMs: 0 }).catch((err: unknown) => {
      throw new HmmciError(
        `Another hmmci watch follows ${source.name} with the state ${stateDir} (${(err as Error).message.replace(/^.*\(pid (\d+)\).*$/s, 'pid $1')}). One watcher per state: stop that one, or give this one its own --state DIR.`,
        { exitCode: ExitCode.USAGE },
      );
    });
  }
  const outbox = outboxOf(o);
  const executor = d.executor ?? (await executorOf(o, d));
  const log = new WatchLog(join(stateDir, 'watch.log'), d.reporter, d.keepLog);
  const ctx = { cache: d.cache, reporter: d.reporter, signal: d.signal };
  const tree = await d.stages.resolveTree({ tree: o.tree }, ctx);
  const selection = loadSelection(tree.path, o.paths ?? DEFAULT_EXTRA_PATHS);
  const store = d.store ?? openHistoryPositionStore(d.cache, stateDir);
  log.say(
    {
      event: 'start',
      source: source.name,
      state: stateDir,
      position: store.location,
      executor: executor.name,
      selection: selection.patterns,
    },
    `following ${source.name} (state ${stateDir}, position in ${store.location}); testing series that touch ${selection.source} (${executor.name})`,
  );
  const reproduceArgs = [
    ...(o.tree ? ['--tree', o.tree] : []),
    ...o.configArgs,
    ...(o.runner !== 'qemu' ? ['--runner', o.runner] : []),
  ];
  const watcher = new Watcher({
    source,
    store,
    mails: new MailStore(stateDir),
    executor,
    selection,
    settleMs: o.settleMs,
    limits: { ...DEFAULT_LIMITS, maxParts: o.maxParts },
    log,
    cache: d.cache,
    outbox,
    checksFile: resolve(o.checks ?? join(stateDir, 'checks.jsonl')),
    reply: {
      from: o.from ?? `hmmci <hmmci@${hostname()}>`,
      policy: o.replyTo,
      testedBy: o.testedBy,
      domain: hostname() || 'localhost',
      reproduceArgs,
    },
    urlBase: o.url,
    signal: d.signal,
    now: d.now,
  });
  return { watcher, stateDir, log, selectionSource: selection.source };
}
