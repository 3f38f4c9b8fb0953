/**
 * `hmmci watch`: follow a public-inbox mirror or a Maildir, assemble series as b4 would, test each
 * new HMM series version once through the run pipeline, and answer (reply mail, check records).
 *
 * Durability: a batch of mails is ingested (parts stored under the state directory) and the state
 * saved with the position after that batch in one atomic write; a series' result is recorded
 * (status `tested`, run id) before its answers are written, and answers are idempotent (reply
 * file named by its Message-ID, check records keyed by run id). A series found `running` after a
 * crash had no result: the run record it left is adopted when it finished, else it runs again.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CacheLayout } from '../common/cache.js';
import { isHmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { RunCancelled } from '../common/run-cancelled.js';
import type { RunRecord } from '../report/record.js';
import { renderJunit, renderKcidb } from '../report/index.js';
import { readRecord } from '../run/index.js';
import { decide, forget, ingest, queued, type Limits } from './assemble.js';
import { appendChecks, checkRecords } from './checks.js';
import type { Executor } from './executor.js';
import type { WatchLog } from './log.js';
import type { MailStore } from './mail-store.js';
import { readWatchMail } from './mail-meta.js';
import type { Outbox } from './outbox.js';
import type { PositionStore } from './position-store.js';
import { renderReply, type ReplyOptions } from './reply.js';
import type { Selection } from './select.js';
import type { MailSource, SourceMail } from './sources.js';
import { FINISHED, type SeriesEntry, type WatchState } from './types.js';

export interface WatcherOptions {
  source: MailSource;
  store: PositionStore;
  mails: MailStore;
  executor: Executor;
  selection: Selection;
  settleMs: number;
  limits: Limits;
  log: WatchLog;
  cache: CacheLayout;
  outbox?: Outbox;
  checksFile?: string;
  reply: ReplyOptions;
  /** Base of the runs' page URLs in check records (`--url`); default file:// of the run directory. */
  urlBase?: string;
  signal: AbortSignal;
  now?: () => number;
}

export interface RoundSummary {
  scanned: number;
  tested: string[];
  skipped: number;
  incomplete: string[];
  superseded: string[];
  problems: number;
}

/** Read again after an await: a scan may have superseded it meanwhile. */
const superseded = (s: SeriesEntry): boolean => (s.status as string) === 'superseded';
const short = (s: SeriesEntry) => `${s.rootId} v${s.version} "${s.title}"`;

export class Watcher {
  readonly state: WatchState;
  private running?: { key: string; controller: AbortController };
  private summary: RoundSummary = { scanned: 0, tested: [], skipped: 0, incomplete: [], superseded: [], problems: 0 };

  constructor(private readonly o: WatcherOptions) {
    this.state = o.store.load(o.source.name);
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  private save(): void {
    this.o.store.save(this.state);
  }

  /** One round: recover, scan, decide, test what is queued, answer. Returns what happened. */
  async once(): Promise<RoundSummary> {
    this.summary = { scanned: 0, tested: [], skipped: 0, incomplete: [], superseded: [], problems: 0 };
    this.recover();
    await this.scan();
    await this.drain();
    return this.summary;
  }

  /** Poll forever (until the signal): scan every interval, also while a run is in progress (supersede). */
  async poll(intervalMs: number): Promise<void> {
    this.recover();
    const sleep = () =>
      new Promise<void>((r) => {
        const t = setTimeout(r, intervalMs);
        this.o.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
      });
    let draining: Promise<void> | undefined;
    const failed = (what: string) => (err: unknown) => {
      this.o.log.warn(
        { event: 'round-error', reason: (err as Error).message },
        `${what} failed (${(err as Error).message.split('\n')[0]}); trying again in ${Math.round(intervalMs / 1000)} s`,
      );
    };
    while (!this.o.signal.aborted) {
      await this.scan().catch(failed('reading the source'));
      if (!draining)
        draining = this.drain()
          .catch(failed('testing'))
          .finally(() => (draining = undefined));
      await sleep();
    }
    await draining;
  }

  /** After a crash: `running` series get their finished run adopted or run again; `tested` ones are answered. */
  recover(): void {
    for (const s of Object.values(this.state.series)) {
      if (s.status !== 'running') continue;
      const done = this.finishedRunOf(s);
      if (done) {
        this.recordResult(s, done);
        this.o.log.say(
          { event: 'recovered', series: s.key, run: done.id },
          `${short(s)}: its run ${done.id} finished before the watcher stopped; using it`,
        );
      } else {
        s.status = 'queued';
        this.o.log.say(
          { event: 'requeued', series: s.key },
          `${short(s)} was being tested when the watcher stopped; its run never finished, so it is tested again`,
        );
      }
    }
    this.save();
  }

  private finishedRunOf(s: SeriesEntry): RunRecord | undefined {
    {
      const mbox = this.o.mails.mboxPathOf(s);
      const tag = mbox.replace(/^.*\//, '').replace(/\.mbox$/, '');
      let dirs: string[];
      try {
        dirs = readdirSync(this.o.cache.runs).filter((d) => d.includes(tag));
      } catch {
        return undefined;
      }
      for (const d of dirs.sort().reverse()) {
        try {
          const r = readRecord(join(this.o.cache.runs, d));
          if (r.series.input === mbox && (r.status === 'complete' || r.status === 'failed')) return r;
        } catch {
          /* unreadable: not finished */
        }
      }
    }
    return undefined;
  }

  /** Read what is new in the source, ingest it batch by batch (saving each), then decide. */
  async scan(): Promise<void> {
    await this.o.source.scan(
      this.state.position,
      (mails, next) => this.ingestBatch(mails, next),
      (p) => {
        this.summary.problems++;
        this.o.log.warn({ event: 'source-problem', where: p.where, reason: p.reason }, `${p.where}: ${p.reason}`);
      },
    );
    this.decideNow();
  }

  private ingestBatch(mails: SourceMail[], next: WatchState['position']): void {
    const now = this.now();
    for (const m of mails) {
      this.summary.scanned++;
      this.state.scanned++;
      let mail;
      try {
        mail = readWatchMail(m.raw);
      } catch (err) {
        this.summary.problems++;
        this.o.log.warn(
          { event: 'unreadable', where: m.where, reason: (err as Error).message },
          `${m.where}: a mail that cannot be decoded (${(err as Error).message}); skipped`,
        );
        continue;
      }
      const r = ingest(this.state, mail, now, this.o.limits, () => this.o.mails.put(mail.messageId, m.raw));
      if (r.action === 'ignored')
        this.o.log.record({
          event: 'ignored',
          msgid: mail.messageId,
          where: m.where,
          ...(r.key ? { series: r.key } : {}),
          reason: r.reason,
        });
      else if (r.action === 'skipped-series') {
        this.summary.skipped++;
        this.o.log.say(
          { event: 'skipped', msgid: mail.messageId, series: r.key, reason: r.reason },
          `skipped ${mail.messageId}: ${r.reason}`,
        );
      } else if (r.action === 'trailers')
        this.o.log.record({ event: 'trailers', msgid: mail.messageId, series: r.key, count: r.count });
      else this.o.log.record({ event: 'part', msgid: mail.messageId, series: r.key, index: r.index });
    }
    this.state.position = next;
    this.o.log.flush();
    this.save();
  }

  private decideNow(): void {
    const decisions = decide(this.state, this.now(), { settleMs: this.o.settleMs, selects: this.o.selection.matches });
    for (const d of decisions) {
      const s = this.state.series[d.key] as SeriesEntry;
      if (d.status === 'queued')
        this.o.log.say(
          { event: 'queued', series: s.key, msgid: s.rootId },
          `queued ${short(s)}: ${s.total} patch(es), complete`,
        );
      else if (d.status === 'skipped') {
        this.summary.skipped++;
        this.o.log.say(
          { event: 'skipped', series: s.key, msgid: s.rootId, reason: d.reason },
          `skipped ${short(s)}: ${d.reason}`,
        );
      } else if (d.status === 'incomplete') {
        this.summary.incomplete.push(s.key);
        this.o.log.say(
          { event: 'incomplete', series: s.key, msgid: s.rootId, reason: d.reason },
          `incomplete ${short(s)}: ${d.reason}; recorded, no reply`,
        );
      } else if (d.status === 'superseded') {
        this.summary.superseded.push(s.key);
        this.o.log.say(
          { event: 'superseded', series: s.key, msgid: s.rootId, by: s.supersededBy, reason: d.reason },
          `superseded ${short(s)}: ${d.reason}`,
        );
        // A cancel, not an interrupt: over the fleet the run's test jobs are cancelled too.
        if (this.running?.key === s.key)
          this.running.controller.abort(new RunCancelled(`superseded by ${s.supersededBy ?? 'a newer version'}`));
      }
      if (FINISHED.includes(s.status)) this.finish(s);
    }
    this.save();
  }

  private finish(s: SeriesEntry): void {
    this.o.mails.drop(s);
    forget(this.state, s);
  }

  /** Test queued series one at a time (oldest first) and answer each; answers left over from a crash first. */
  async drain(): Promise<void> {
    for (const s of Object.values(this.state.series)) if (s.status === 'tested') await this.answer(s);
    for (let next = queued(this.state)[0]; next && !this.o.signal.aborted; next = queued(this.state)[0]) {
      const stop = await this.test(next);
      if (stop) break;
    }
  }

  /** Run one series; true when the round must stop (the machine or the tree failed, not the series). */
  private async test(s: SeriesEntry): Promise<boolean> {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    this.o.signal.addEventListener('abort', onAbort, { once: true });
    this.running = { key: s.key, controller };
    s.status = 'running';
    s.attempts++;
    const mbox = this.o.mails.writeMbox(s);
    this.save();
    this.o.log.say(
      { event: 'testing', series: s.key, msgid: s.rootId, executor: this.o.executor.name },
      `testing ${short(s)} (${this.o.executor.name})`,
    );
    try {
      const record = await this.o.executor.run({ key: s.key, mbox, signal: controller.signal });
      if (superseded(s)) {
        this.o.log.say(
          { event: 'cancelled', series: s.key, run: record.id },
          `${short(s)}: run ${record.id} cancelled (superseded by ${s.supersededBy})`,
        );
        this.finish(s);
        this.save();
        return false;
      }
      if (this.o.signal.aborted || record.status === 'interrupted') {
        s.status = 'queued';
        this.save();
        return true;
      }
      this.recordResult(s, record);
      await this.answer(s);
      return false;
    } catch (err) {
      if (superseded(s)) {
        this.finish(s);
        this.save();
        return false;
      }
      const machine =
        !isHmmciError(err) ||
        [ExitCode.INFRA, ExitCode.MISSING_TOOL, ExitCode.TREE, ExitCode.INTERRUPTED, ExitCode.FLEET].includes(
          err.exitCode as 7,
        );
      if (machine || this.o.signal.aborted) {
        s.status = 'queued';
        this.o.log.warn(
          { event: 'run-error', series: s.key, reason: (err as Error).message },
          `${short(s)} could not be run (${(err as Error).message.split('\n')[0]}); it stays queued for the next round`,
        );
        this.save();
        throw err;
      }
      s.status = 'skipped';
      s.reason = `could not be run: ${(err as Error).message.split('\n')[0]}`;
      this.summary.skipped++;
      this.o.log.say(
        { event: 'skipped', series: s.key, msgid: s.rootId, reason: s.reason },
        `skipped ${short(s)}: ${s.reason}`,
      );
      this.finish(s);
      this.save();
      return false;
    } finally {
      this.o.signal.removeEventListener('abort', onAbort);
      this.running = undefined;
    }
  }

  private recordResult(s: SeriesEntry, r: RunRecord): void {
    s.status = 'tested';
    s.runId = r.id;
    s.runDir = r.runDir;
    if (r.exitCode !== undefined) s.exitCode = r.exitCode;
    s.summary = r.comparison?.summary ?? r.error?.message.split('. ')[0] ?? r.status;
    this.summary.tested.push(s.key);
    this.o.log.say(
      { event: 'tested', series: s.key, msgid: s.rootId, run: r.id, exitCode: r.exitCode, summary: s.summary },
      `tested ${short(s)}: ${s.summary} (run ${r.id}, exit ${r.exitCode ?? '?'})`,
    );
    // The result and the run's history rows in one save (one transaction in the history database).
    this.o.store.save(this.state, {
      record: r,
      onRecordError: () =>
        this.o.log.warn(
          { event: 'history-error', series: s.key, run: r.id },
          `run ${r.id} of ${short(s)} is recorded as tested, but its rows could not be written into the history; \`hmmci history import\` adds them from its run directory`,
        ),
    });
  }

  /** Release the position store (the history database connection). */
  close(): void {
    this.o.store.close?.();
  }

  /** Reply and check records for a tested series; then it is answered. */
  private async answer(s: SeriesEntry): Promise<void> {
    if (!s.runDir || !existsSync(s.runDir)) {
      s.status = 'answered';
      s.answers = { checks: 0 };
      this.save();
      return;
    }
    const r = readRecord(s.runDir);
    // KCIDB and JUnit per run, as `hmmci run --kcidb/--junit` writes them.
    writeFileSync(join(s.runDir, 'kcidb.json'), `${JSON.stringify(renderKcidb([r]), null, 2)}\n`);
    writeFileSync(join(s.runDir, 'junit.xml'), renderJunit([r]));
    const answers: { reply?: string; checks: number } = { checks: 0 };
    if (this.o.checksFile) answers.checks = appendChecks(this.o.checksFile, checkRecords(s, r, this.o.urlBase));
    if (this.o.outbox) {
      const mail = renderReply(s, r, this.o.reply);
      const recipients = [
        s.replyTo?.from ?? s.author,
        ...(this.o.reply.policy === 'all' ? [s.replyTo?.to ?? '', s.replyTo?.cc ?? ''] : []),
      ].flatMap((l) => l.split(','));
      try {
        answers.reply = await this.o.outbox.send({ text: mail.text, messageId: mail.messageId, recipients });
      } catch (err) {
        this.o.log.warn(
          { event: 'reply-failed', series: s.key, reason: (err as Error).message },
          (err as Error).message,
        );
        return; // stays `tested`: answered on the next round
      }
      this.o.log.say(
        { event: 'replied', series: s.key, to: answers.reply },
        `reply for ${short(s)} → ${answers.reply}`,
      );
    }
    s.status = 'answered';
    s.answers = answers;
    this.finish(s);
    this.save();
  }
}
