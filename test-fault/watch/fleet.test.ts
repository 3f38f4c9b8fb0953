/**
 * `hmmci watch --once --fleet redis://…` with a real redis-server on a random loopback port and
 * real `hmmci worker` processes on the fake kernel (the fleet's fault-test harness): with no live
 * worker the series stays queued and the round stops with exit 12; with workers, v2 is built and
 * booted on them, the watcher writes the run, the reply and the check records; a second --once
 * does nothing; and a watcher killed with -9 while its fleet run is in flight tests the series to
 * the end exactly once when started again.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cacheLayout } from '../../src/common/cache.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import { historyPath, openHistory } from '../../src/history/index.js';
import { watchOutcomes } from '../../src/watch/outcomes.js';
import { startRedis, stopRedis } from '../../test/fleet/helpers/redis.js';
import { CLI, fleetEnv, runCli, startWorkerProc } from '../../test/fleet/helpers/fleet.js';
import { makeTraffic } from '../../test/watch/traffic.js';
import { createPublicInbox, publicInboxMissing } from '../../tools/public-inbox/fixture.js';

t.setTimeout(600_000);

interface Summary {
  scanned: number;
  tested: string[];
  superseded: string[];
  skipped: number;
}

const outcome = (cache: string, key: string) => {
  const db = openHistory(historyPath(cacheLayout(cache)), { readonly: true });
  try {
    return watchOutcomes(db).find((o) => o.key === key);
  } finally {
    db.close();
  }
};

t.test('watch --once --fleet: tested on the workers, once', { skip: publicInboxMissing() }, async (t) => {
  const redis = await startRedis();
  t.teardown(() => stopRedis(redis));
  const e = fleetEnv();
  const inbox = createPublicInbox({ root: join(e.dir, 'pi') });
  t.teardown(() => inbox.close());
  const traffic = makeTraffic(e.dir);
  inbox.deliverMany([...traffic.v1.mails, ...traffic.v2.mails, ...traffic.pageAlloc.mails]);
  const cache = join(e.dir, 'cache-watch');
  const state = join(e.dir, 'state');
  const outbox = join(e.dir, 'outbox');
  const args = [
    'watch',
    '--once',
    '--json',
    '--inbox',
    inbox.dir,
    '--state',
    state,
    '--tree',
    traffic.repo,
    '--outbox',
    outbox,
    '--reruns',
    '0',
    '--fleet',
    redis.url,
  ];
  const v2key = `${traffic.v2.cover} v2`;

  // No worker yet: the round stops with the fleet's paragraph; v2 stays queued for the next one.
  const none = await runCli(args, e.env(cache));
  t.equal(none.code, ExitCode.FLEET, none.stderr.slice(-1500));
  t.match(none.stderr, /No live worker can build kernels for x86_64/);
  t.equal(outcome(cache, v2key)?.status, 'queued', 'v2 is queued, not skipped');
  t.notOk(existsSync(join(outbox, 'new')) && readdirSync(join(outbox, 'new')).length, 'no reply');

  const a = startWorkerProc(e, redis.url, 'wa');
  const b = startWorkerProc(e, redis.url, 'wb');
  t.teardown(() => {
    for (const w of [a, b]) w.proc.kill('SIGKILL');
  });
  await Promise.all([a.waitFor(/serving/), b.waitFor(/serving/)]);

  const first = await runCli(args, e.env(cache));
  t.equal(first.code, 0, first.stderr.slice(-2000));
  const summary = JSON.parse(first.stdout) as Summary;
  t.same(summary.tested, [v2key], 'v2 tested');
  t.equal(summary.scanned, 0, 'nothing read again: the first round had read it all');
  t.match(first.stderr, /testing .* \(fleet 127\.0\.0\.1:\d+\)/, 'through the fleet');
  const workers = a.output() + b.output();
  t.match(workers, /took build-x86_64 job/, 'a worker built');
  t.match(workers, /took test-x86_64-qemu job/, 'a worker booted');
  const runs = readdirSync(join(cache, 'runs'));
  t.equal(runs.length, 1, 'one run directory, on the watcher side');
  const replies = readdirSync(join(outbox, 'new'));
  t.equal(replies.length, 1, 'one reply');
  t.match(readFileSync(join(outbox, 'new', replies[0] as string), 'utf8'), /Tested-by: /);
  const done = outcome(cache, v2key);
  t.equal(done?.status, 'answered');
  t.equal(done?.runId, runs[0], 'its run in the history');

  const second = await runCli(args, e.env(cache));
  t.equal(second.code, 0, second.stderr.slice(-1500));
  t.same((JSON.parse(second.stdout) as Summary).tested, [], 'a second --once does nothing');
  t.equal(readdirSync(join(cache, 'runs')).length, 1);

  // A watcher killed with -9 while its v3 run is on the fleet, then --once: v3 is tested to the
  // end once (the build key makes the resubmitted builds the same jobs).
  const v3 = (await import('../../test/watch/traffic.js')).formatSeries(
    traffic.repo,
    'v3',
    traffic.base,
    [{ file: 'mm/hmm.c', line: '/* v3 */', subject: 'mm/hmm: say what an empty range returns' }],
    { version: 3, cover: 'mm/hmm: small documentation fixes', inReplyTo: traffic.v2.cover },
  );
  inbox.deliverMany(v3.mails);
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: e.env(cache),
    stdio: 'ignore',
    detached: true,
  });
  const exited = new Promise((r) => child.once('exit', r));
  const v3key = `${v3.cover} v3`;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && outcome(cache, v3key)?.status !== 'running') await sleep(100);
  t.equal(outcome(cache, v3key)?.status, 'running', 'the watcher got as far as running v3');
  await sleep(1000);
  process.kill(-(child.pid as number), 'SIGKILL');
  await exited;
  const again = await runCli(args, e.env(cache));
  t.equal(again.code, 0, again.stderr.slice(-1500));
  t.same((JSON.parse(again.stdout) as Summary).tested, [v3key], 'v3 tested to the end');
  t.equal(outcome(cache, v3key)?.status, 'answered');
  t.equal(readdirSync(join(outbox, 'new')).length, 2, 'one reply per tested version');
  const last = await runCli(args, e.env(cache));
  t.same((JSON.parse(last.stdout) as Summary).tested, [], 'and nothing after that');
});
