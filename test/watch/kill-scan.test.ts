/**
 * Durability of the position in the history database: a watcher killed with SIGKILL in the middle
 * of reading a Maildir of 4,000 messages (some batches committed, one in flight), then `--once`
 * again: every message is counted exactly once over both processes (the count and the position
 * commit in one transaction), every non-HMM series is recorded once, and the HMM series is tested
 * once.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { cacheLayout } from '../../src/common/cache.js';
import { silentReporter } from '../../src/common/progress.js';
import { historyPath, openHistory } from '../../src/history/index.js';
import { watchOutcomes } from '../../src/watch/outcomes.js';
import { createWatcher } from '../../src/watch/setup.js';
import { fakeKernelStages, makeTraffic, watchSetup } from './traffic.js';
import { EXT, LOADER_ARGS } from '../helpers/child-node.js';

t.setTimeout(300_000);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OTHERS = 2000;

/** A one-patch series touching mm/page_alloc.c only (constructed). */
const pageAllocPatch = (i: number) =>
  `From: P${i} <p${i}@example.org>\nTo: linux-mm@kvack.org\nSubject: [PATCH] mm/page_alloc: comment ${i}\nDate: Sun, 29 Nov 2026 08:00:00 +0000\nMessage-ID: <pa.${i}@example.org>\n\nA comment.\n\nSigned-off-by: P${i} <p${i}@example.org>\n---\ndiff --git a/mm/page_alloc.c b/mm/page_alloc.c\n--- a/mm/page_alloc.c\n+++ b/mm/page_alloc.c\n@@ -1 +1,2 @@\n // SPDX-License-Identifier: GPL-2.0-only\n+/* ${i} */\n`;

/** Read-only peek at the watcher's committed count (the database may not exist yet). */
function committedScanned(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const db = openHistory(file, { readonly: true, busyTimeoutMs: 1000 });
    try {
      return db.prepare('SELECT scanned FROM watchers').pluck().get() as number | undefined;
    } finally {
      db.close();
    }
  } catch {
    return undefined; // not migrated yet
  }
}

t.test('kill -9 mid-scan, then --once: every message once, every series once', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'hmmci-watch-killscan-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const traffic = makeTraffic(work);
  const md = join(work, 'Maildir');
  for (const d of ['new', 'cur', 'tmp']) mkdirSync(join(md, d), { recursive: true });
  let n = 0;
  const put = (raw: string) => writeFileSync(join(md, 'new', `${1764400000 + n++}.M${n}P1.host`), raw);
  for (const m of traffic.v2.mails) put(m);
  for (let i = 0; i < OTHERS; i++) {
    put(pageAllocPatch(i));
    put(`From: L${i} <l${i}@example.org>\nSubject: lunch ${i}\nMessage-ID: <chat.${i}@example.org>\n\nNo patch.\n`);
  }
  const total = n;
  const state = join(work, 'state');
  const cache = join(work, 'cache');
  const db = historyPath(cacheLayout(cache));
  const child = spawn(
    process.execPath,
    [...LOADER_ARGS, join(ROOT, `test/watch/watch-child${EXT}`), md, state, cache, traffic.repo, '0', join(work, 'm')],
    { cwd: ROOT, detached: true, stdio: 'ignore' },
  );
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, sig) => r(sig)));
  let atKill: number | undefined;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    atKill = committedScanned(db);
    if (atKill !== undefined && atKill > 0) break;
    await sleep(10);
  }
  process.kill(-(child.pid as number), 'SIGKILL');
  t.equal(await exited, 'SIGKILL');
  const committed = committedScanned(db) as number;
  t.ok(committed > 0 && committed < total, `killed mid-scan: ${committed} of ${total} messages committed`);

  const stages = fakeKernelStages();
  const again = await createWatcher(watchSetup(traffic.repo, state, { maildir: md }), {
    stages,
    cache: cacheLayout(cache),
    reporter: silentReporter,
    signal: new AbortController().signal,
  });
  const summary = await again.watcher.once();
  again.watcher.close();
  t.equal(summary.scanned, total - committed, 'the rest read, the committed part not again');
  t.equal(again.watcher.state.scanned, total, 'every message counted exactly once over both processes');
  t.same(summary.tested, [`${traffic.v2.cover} v2`], 'the HMM series tested');
  t.equal(stages.tests, 2, 'one baseline and one patched boot');
  const h = openHistory(db, { readonly: true });
  t.teardown(() => h.close());
  const skipped = watchOutcomes(h, { statuses: ['skipped'] });
  t.equal(skipped.length, OTHERS, 'each non-HMM series recorded once');
  t.equal(new Set(skipped.map((o) => o.key)).size, OTHERS);
  t.equal(watchOutcomes(h, { statuses: ['answered'] }).length, 1);
});
