/**
 * The fleet section of `hmmci serve --fleet`, in Chromium, over a real redis-server: a worker in
 * the registry (as `hmmci worker` publishes itself, with its probed capabilities) busy on a job,
 * a running BullMQ job with its progress, a failed one with its reason, an open run parent with
 * its test job. Text that may come from a mail (a run's title, a stage line, a failure reason)
 * carries markup and control characters: it must show as text, and nothing runs.
 */
import t from 'tap';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { cacheLayout } from '../../src/common/cache.js';
import { probeCapabilities } from '../../src/fleet/capabilities.js';
import { FleetClient } from '../../src/fleet/client.js';
import { connectFleet } from '../../src/fleet/connection.js';
import { QUEUE_PREFIX, type TestJobData } from '../../src/fleet/jobs.js';
import { registerWorker } from '../fleet/helpers/registry.js';
import { RUN_QUEUE, RunParents, testJobId } from '../../src/fleet/run-parent.js';
import { openCacheHistory } from '../../src/history/index.js';
import { startServer } from '../../src/web/server.js';
import { runCli } from '../fleet/helpers/fleet.js';
import { watchedPage } from './web-fixtures.js';
import { freePort, startRedis, stopRedis } from '../fleet/helpers/redis.js';

const HOSTILE = '<script>alert("mail")</script><img src=x onerror=alert(2)> \x1b]0;owned\x07';
const SHOWN = '<script>alert("mail")</script><img src=x onerror=alert(2)> \\x1b]0;owned\\x07';

t.setTimeout(120_000);

t.test('fleet page: workers, queues, running, runs, failed — escaped, read-only, loopback', async (t) => {
  const redis = await startRedis();
  t.teardown(() => stopRedis(redis));
  const connection = { host: '127.0.0.1', port: redis.port };
  const client = await FleetClient.connect(redis.url, { pollMs: 50 });
  t.teardown(() => client.close());
  const caps = probeCapabilities();
  await registerWorker(client.conn.redis, {
    id: 'w-1',
    host: 'buildhost',
    pid: 4242,
    capabilities: caps,
    queues: ['build-x86_64', 'test-x86_64-qemu', 'run'],
    current: [{ queue: 'build-x86_64', jobId: 'b-busy', stage: 'build', text: HOSTILE }],
    state: 'busy',
  });

  // A running job (its worker holds it, with a progress line) and a failed one (its reason).
  let release = () => undefined as void;
  const held = new Promise<void>((r) => (release = r));
  const builder = new Worker(
    'build-x86_64',
    async (job) => {
      if (job.id === 'b-fails') throw new Error(`git am failed on ${HOSTILE}`);
      await job.updateProgress({ phase: 'configured', stage: 'build', text: HOSTILE, worker: 'w-1' });
      await held;
      return { ok: true };
    },
    { connection, prefix: QUEUE_PREFIX, concurrency: 2 },
  );
  t.teardown(async () => {
    release();
    await builder.close();
  });
  const q = new Queue('build-x86_64', { connection, prefix: QUEUE_PREFIX });
  t.teardown(() => q.close());
  await q.add('build', { kind: 'build' }, { jobId: 'b-fails', attempts: 1 });
  await q.add('build', { kind: 'build' }, { jobId: 'b-busy' });
  for (let i = 0; i < 100 && ((await q.getFailedCount()) < 1 || (await q.getActiveCount()) < 1); i++) await sleep(50);

  // An open run with a hostile title and one test job waiting for a worker.
  const runDir = join(mkdtempSync(join(tmpdir(), 'hmmci-fleet-page-')), 'run-x');
  mkdirSync(join(runDir, 'guest', 'patched'), { recursive: true });
  writeFileSync(
    join(runDir, 'record.json'),
    JSON.stringify({
      id: 'run-x',
      status: 'running',
      series: { input: 'x.mbox', title: HOSTILE, patches: [], base: 'abc', patchsetHash: 'ph' },
      config: { fragments: [], extra: [], configHash: 'ch' },
    }),
  );
  const runs = new RunParents(client);
  const parent = await runs.parentFor(
    join(runDir, 'guest', 'patched'),
    { runner: 'qemu' },
    {
      side: 'patched',
      queue: 'build-x86_64',
      id: 'b-busy',
    },
  );
  const data: TestJobData = {
    kind: 'test',
    manifest: { key: 'k', arch: 'x86_64', configHash: 'ch', artifacts: [] },
    runner: 'qemu',
    arch: 'x86_64',
    store: '/nowhere',
    label: 'x',
  };
  await client.submitTest(data, { parent, id: testJobId(parent.id, 'patched', 'k') });

  const cache = cacheLayout(mkdtempSync(join(tmpdir(), 'hmmci-fleet-page-cache-')));
  openCacheHistory(cache).close();
  const db = openCacheHistory(cache, { readonly: true });
  const fleet = await connectFleet(redis.url, { flag: '--fleet' });
  const srv = await startServer({ db, port: 0, fleet });
  t.teardown(async () => {
    await srv.close();
    db.close();
    await fleet.close();
  });
  t.match(srv.url, /^http:\/\/127\.0\.0\.1:\d+\/$/, 'loopback by default');

  const { page, dialogs, requests } = await watchedPage(t);

  await page.goto(srv.url);
  await page.click('nav a[href="/fleet"]');
  await page.waitForSelector('table.workers');
  const worker = page.locator('table.workers tr[data-worker="w-1"]');
  t.match(await worker.textContent(), /busy/);
  t.match(await worker.textContent(), caps.arch, 'its capabilities');
  t.match(
    await worker.locator('.current').textContent(),
    `build-x86_64 b-busy — build: ${SHOWN}`,
    'its current job, as text',
  );
  t.match(await worker.locator('.heartbeat').textContent(), /^\d+ s ago$/, 'its last heartbeat');

  const depth = page.locator('table.queues tr[data-queue="build-x86_64"] td');
  t.same(await depth.allTextContents(), ['build-x86_64', '0', '1', '0', '0', '1'], 'build queue: 1 active, 1 failed');
  t.same(
    await page.locator('table.queues tr[data-queue="test-x86_64-qemu"] td').allTextContents(),
    ['test-x86_64-qemu', '1', '0', '0', '0', '0'],
    'test queue: the run’s test job waiting',
  );
  t.match(await page.locator('table.running tr[data-job="b-busy"]').textContent(), `build — ${SHOWN}`);
  t.match(await page.locator('table.failed tr[data-job="b-fails"] .reason').textContent(), `git am failed on ${SHOWN}`);
  const run = page.locator('table.fleet-runs tr[data-run="run-x"]');
  t.match(await run.textContent(), SHOWN, 'the run’s title, as text');
  t.match(await run.textContent(), /waiting-children.*open.*0 done, 1 pending, 0 failed.*patched: b-busy/s);
  await page.screenshot({ path: join(runDir, 'fleet-page.png'), fullPage: true });

  t.same(dialogs, [], 'no script from a mail ran');
  t.equal(await page.locator('table.failed img, table.fleet-runs img, table.workers img').count(), 0, 'no markup');
  t.same(
    requests.filter((u) => !u.startsWith(srv.url)),
    [],
    'nothing fetched from anywhere else',
  );
  const post = await fetch(`${srv.url}fleet`, { method: 'POST' });
  t.equal(post.status, 405, 'read-only');
  t.equal((await client.queue(RUN_QUEUE).getJob(parent.id))?.id, parent.id);
  t.comment(`screenshot: ${join(runDir, 'fleet-page.png')}`);

  // Redis gone: the page says so (503), the server stays up.
  release();
  await builder.close();
  await q.close();
  await runs.closeAll();
  await client.close();
  await redis.stop();
  for (let i = 0; i < 50 && fleet.redis.status === 'ready'; i++) await sleep(50);
  const down = await fetch(`${srv.url}fleet`);
  t.equal(down.status, 503);
  t.match(await down.text(), /Cannot read the fleet&#39;s Redis|Cannot read the fleet's Redis/);
  t.equal((await fetch(srv.url)).status, 200, 'the history pages still answer');
});

t.test('without --fleet there is no fleet page', async (t) => {
  const cache = cacheLayout(mkdtempSync(join(tmpdir(), 'hmmci-fleet-page-cache-')));
  openCacheHistory(cache).close();
  const db = openCacheHistory(cache, { readonly: true });
  const srv = await startServer({ db, port: 0 });
  t.teardown(async () => {
    await srv.close();
    db.close();
  });
  const r = await fetch(`${srv.url}fleet`);
  t.equal(r.status, 404);
  t.match(await r.text(), /hmmci serve --fleet/);
  t.notMatch(await (await fetch(srv.url)).text(), 'href="/fleet"');
});

t.test('serve --fleet: a bad URL or an absent Redis is one paragraph and its exit status', async (t) => {
  const env = { ...process.env, HMMCI_CACHE: mkdtempSync(join(tmpdir(), 'hmmci-fleet-page-cli-')) };
  const bad = await runCli(['serve', '--port', '0', '--fleet', 'not a url'], env, 60_000);
  t.equal(bad.code, 2, 'usage error');
  t.match(bad.stderr, /--fleet "not a url" is not a URL/);
  const port = await freePort();
  const down = await runCli(['serve', '--port', '0', '--fleet', `redis://127.0.0.1:${port}`], env, 60_000);
  t.equal(down.code, 12, 'the fleet is unusable');
  t.match(down.stderr, /Cannot reach the fleet's Redis at 127\.0\.0\.1:\d+ \(--fleet/);
});
