/**
 * Polling (no --once): v1 is being tested when v2 arrives; the next scan supersedes v1, its run is
 * cancelled (the guest stops, the run directory says interrupted), v2 is tested and its reply says so.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cacheLayout } from '../../src/common/cache.js';
import { RunCancelled } from '../../src/common/run-cancelled.js';
import { silentReporter } from '../../src/common/progress.js';
import { readRecord } from '../../src/run/index.js';
import { createWatcher } from '../../src/watch/setup.js';
import { createPublicInbox, publicInboxMissing } from '../../tools/public-inbox/fixture.js';
import { fakeKernelStages, makeTraffic, watchSetup } from './traffic.js';

t.setTimeout(300_000);

t.test('a newer version cancels the running older one', { skip: publicInboxMissing() }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'hmmci-watch-poll-'));
  const inbox = createPublicInbox({ root: join(work, 'pi') });
  t.teardown(async () => {
    await inbox.close();
    rmSync(work, { recursive: true, force: true });
  });
  const traffic = makeTraffic(work);
  inbox.deliverMany(traffic.v1.mails);
  let patchedStarted = 0;
  // v1's patched boot hangs for 10 minutes (until cancelled); v2's returns at once.
  const stages = fakeKernelStages({ guestMs: (n) => (n === 1 ? 600_000 : 0), onTest: () => patchedStarted++ });
  // The signal each test stage got: v1's is aborted as a cancel (RunCancelled), not as an interrupt.
  const signals: AbortSignal[] = [];
  const test = stages.test.bind(stages);
  stages.test = (req, ctx) => (signals.push(ctx.signal), test(req, ctx));
  const stop = new AbortController();
  const cache = cacheLayout(join(work, 'cache'));
  const { watcher } = await createWatcher(
    watchSetup(traffic.repo, join(work, 'state'), { inbox: inbox.dir, outbox: join(work, 'outbox') }),
    { stages, cache, reporter: silentReporter, signal: stop.signal, keepLog: true },
  );
  const polling = watcher.poll(300);
  const v1key = `${traffic.v1.cover} v1`;
  const v2key = `${traffic.v2.cover} v2`;
  const until = async (what: () => boolean, ms = 200_000) => {
    const end = Date.now() + ms;
    while (!what() && Date.now() < end) await sleep(100);
    return what();
  };
  t.ok(
    await until(() => patchedStarted >= 2 && watcher.state.series[v1key]?.status === 'running'),
    'v1 is in its patched boot',
  );
  inbox.deliverMany(traffic.v2.mails);
  t.ok(await until(() => watcher.state.series[v2key]?.status === 'answered'), 'v2 tested and answered');
  stop.abort();
  await polling;
  const v1 = watcher.state.series[v1key];
  t.equal(v1?.status, 'superseded');
  const reason: unknown = signals[0]?.reason;
  t.ok(
    reason instanceof RunCancelled,
    "v1's run was aborted as a cancel (over the fleet: its test jobs are cancelled)",
  );
  t.match((reason as Error).message, `superseded by ${v2key}`);
  t.match(v1?.reason, /while it was being tested: the run was cancelled/);
  const runs = readdirSync(cache.runs).map((d) => readRecord(join(cache.runs, d)));
  t.equal(runs.filter((r) => r.status === 'interrupted').length, 1, "v1's run is marked interrupted");
  t.equal(runs.filter((r) => r.status === 'complete').length, 1, "v2's run completed");
  const replies = readdirSync(join(work, 'outbox', 'new'));
  t.equal(replies.length, 1, 'only v2 is answered');
  t.match(
    readFileSync(join(work, 'outbox', 'new', replies[0] as string), 'utf8'),
    /supersedes v1 .*whose run was cancelled when this one arrived/,
  );
});
