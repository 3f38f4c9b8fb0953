/**
 * Durability: a watcher killed with SIGKILL in the middle of a run (its guest booting), then
 * `--once` again: the series is tested to the end exactly once, one reply, and the interrupted
 * run stays what it was. And a run that finished just before the kill is adopted, not re-run.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { cacheLayout } from '../../src/common/cache.js';
import { silentReporter } from '../../src/common/progress.js';
import { readRecord } from '../../src/run/index.js';
import { openHistoryPositionStore } from '../../src/watch/history-store.js';
import { createWatcher } from '../../src/watch/setup.js';
import { createPublicInbox, publicInboxMissing } from '../../tools/public-inbox/fixture.js';
import { fakeKernelStages, makeTraffic, watchSetup } from './traffic.js';
import { EXT, LOADER_ARGS } from '../helpers/child-node.js';

t.setTimeout(400_000);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

t.test('kill -9 mid-run, then --once: tested once, answered once', { skip: publicInboxMissing() }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'hmmci-watch-kill-'));
  const inbox = createPublicInbox({ root: join(work, 'pi') });
  t.teardown(async () => {
    await inbox.close();
    rmSync(work, { recursive: true, force: true });
  });
  const traffic = makeTraffic(work);
  t.equal(inbox.deliverMany([...traffic.v1.mails, ...traffic.v2.mails]), 7);
  const state = join(work, 'state');
  const cache = join(work, 'cache');
  const marker = join(work, 'guest-started');
  const child = spawn(
    process.execPath,
    [
      ...LOADER_ARGS,
      join(ROOT, `test/watch/watch-child${EXT}`),
      inbox.dir,
      state,
      cache,
      traffic.repo,
      '120000',
      marker,
    ],
    { cwd: ROOT, detached: true, stdio: 'ignore' },
  );
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, sig) => r(sig)));
  const deadline = Date.now() + 240_000;
  // Wait for the patched guest (the second boot) to start, then kill the whole process group.
  while (Date.now() < deadline && !(existsSync(marker) && readFileSync(marker, 'utf8').trim().split('\n').length >= 2))
    await sleep(200);
  t.ok(existsSync(marker), 'the child reached the guest');
  process.kill(-(child.pid as number), 'SIGKILL');
  t.equal(await exited, 'SIGKILL');
  const v2key = `${traffic.v2.cover} v2`;
  const peek = openHistoryPositionStore(cacheLayout(cache), state);
  const saved = peek.load(inbox.dir);
  peek.close();
  t.equal(saved.series[v2key]?.status, 'running', 'killed while running: the history database says so');
  t.notOk(existsSync(join(state, 'state.json')), 'no state file: the position is in the database');
  const runsAfterKill = readdirSync(join(cache, 'runs'));
  t.equal(runsAfterKill.length, 1);
  t.equal(
    readRecord(join(cache, 'runs', runsAfterKill[0] as string)).status,
    'running',
    'the killed run never finished',
  );

  const stages = fakeKernelStages();
  const setup = watchSetup(traffic.repo, state, { inbox: inbox.dir });
  const again = await createWatcher(setup, {
    stages,
    cache: cacheLayout(cache),
    reporter: silentReporter,
    signal: new AbortController().signal,
  });
  const summary = await again.watcher.once();
  t.same(summary.tested, [v2key], 'v2 tested to the end once');
  t.equal(summary.scanned, 0, 'no message read twice');
  t.equal(readdirSync(join(state, 'outbox', 'new')).length, 1, 'one reply');
  const third = await createWatcher(setup, {
    stages,
    cache: cacheLayout(cache),
    reporter: silentReporter,
    signal: new AbortController().signal,
  });
  t.same((await third.watcher.once()).tested, [], 'and never again');
  t.equal(readdirSync(join(state, 'outbox', 'new')).length, 1);

  // A run that finished before the watcher could record it (kill between the two) is adopted.
  const store = openHistoryPositionStore(cacheLayout(cache), state);
  const st = store.load(inbox.dir);
  const v2 = st.series[v2key];
  if (!v2) throw new Error('no v2');
  const runDir = v2.runDir as string;
  Object.assign(v2, { status: 'running', runId: undefined, runDir: undefined });
  store.save(st);
  store.close();
  const tests = stages.tests;
  const fourth = await createWatcher(setup, {
    stages,
    cache: cacheLayout(cache),
    reporter: silentReporter,
    signal: new AbortController().signal,
    keepLog: true,
  });
  await fourth.watcher.once();
  t.equal(stages.tests, tests, 'no new boot: the finished run was adopted');
  t.equal(fourth.watcher.state.series[v2key]?.runDir, runDir);
  t.ok(fourth.log.events.some((e) => e.event === 'recovered'));
  t.equal(readdirSync(join(state, 'outbox', 'new')).length, 1, 'its reply is not written twice');
});
