/**
 * Benchmark of `hmmci watch` scanning (a script, not a test): a real public-inbox holding N
 * non-HMM messages (default 10,000: single patches and 3-part series touching mm/page_alloc.c,
 * review replies, chatter), then one `--once` round that reads, assembles and skips them all.
 * Prints messages per second and memory (peak RSS), and writes bench/watch-results.json. The round
 * runs twice in one process: with the position in the history database (the default), then with
 * the JSON state file of older versions, so the two compare as a ratio on one machine.
 *
 *   npm run bench:watch            # HMMCI_BENCH_WATCH_N=2000 for a quick run
 */
import { existsSync, mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheLayout } from '../src/common/cache.js';
import { silentReporter } from '../src/common/progress.js';
import { DEFAULT_FRAGMENTS, realStages } from '../src/run/real-stages.js';
import { historyPath } from '../src/history/index.js';
import { StateFileStore } from '../src/watch/position-store.js';
import { createWatcher, defaultWatchSetup } from '../src/watch/setup.js';
import { fakeKernelRepo } from './fake-kernel/fixture.js';
import { createPublicInbox } from './public-inbox/fixture.js';

const N = Number(process.env.HMMCI_BENCH_WATCH_N ?? 10_000);
const ROOT = fileURLToPath(new URL('../', import.meta.url));

function patchMail(i: number, part: number, total: number, root?: string): string {
  const subj =
    total > 1 ? `[PATCH ${part}/${total}] mm/page_alloc: tune batch ${i}` : `[PATCH] mm/page_alloc: tune batch ${i}`;
  const body =
    part === 0
      ? `A series about batches (${i}).\n`
      : `Tune the pcp batch ${i}.\n\nSigned-off-by: Dev ${i % 97} <dev${i % 97}@example.org>\n---\n mm/page_alloc.c | 2 +-\n\ndiff --git a/mm/page_alloc.c b/mm/page_alloc.c\nindex 1111111..2222222 100644\n--- a/mm/page_alloc.c\n+++ b/mm/page_alloc.c\n@@ -${100 + i},7 +${100 + i},7 @@ static int zone_batchsize(struct zone *zone)\n \tbatch = zone_managed_pages(zone) / 1024;\n \tif (batch * PAGE_SIZE > 1024 * 1024)\n \t\tbatch = (1024 * 1024) / PAGE_SIZE;\n-\tbatch /= 4;\n+\tbatch /= ${4 + (i % 3)};\n \tif (batch < 1)\n \t\tbatch = 1;\n \n`;
  return `From: Dev ${i % 97} <dev${i % 97}@example.org>\nTo: linux-mm@kvack.org\nSubject: ${subj}\nDate: Sun, 29 Nov 2026 08:00:00 +0000\nMessage-ID: <bench.${i}.${part}@example.org>\n${root ? `In-Reply-To: <${root}>\nReferences: <${root}>\n` : ''}MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\n${body}`;
}

function traffic(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const kind = i % 10;
    if (kind < 5) out.push(patchMail(i, 1, 1));
    else if (kind < 7)
      for (let p = 0; p <= 3; p++) out.push(patchMail(i, p, 3, p ? `bench.${i}.0@example.org` : undefined));
    else {
      const to = `bench.${i - (kind - 6)}.1@example.org`;
      out.push(
        `From: Rev ${i} <rev${i}@example.org>\nTo: linux-mm@kvack.org\nSubject: Re: [PATCH] mm/page_alloc: tune batch ${i - 1}\nDate: Sun, 29 Nov 2026 08:10:00 +0000\nMessage-ID: <reply.${i}@example.org>\nIn-Reply-To: <${to}>\nReferences: <${to}>\n\n> -\tbatch /= 4;\n> +\tbatch /= 5;\n\nWhy 5? Numbers please.\n${i % 2 ? `\nReviewed-by: Rev ${i} <rev${i}@example.org>\n` : ''}`,
      );
    }
  }
  return out.slice(0, n);
}

/** One `--once` round over the inbox (then an idle one) with the position in the history database or a state file. */
async function round(work: string, inbox: string, tree: string, kind: 'history' | 'state-file') {
  const cache = cacheLayout(join(work, `cache-${kind}`));
  const stateDir = join(work, `state-${kind}`);
  mkdirSync(cache.root, { recursive: true });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const rssBefore = process.memoryUsage().rss;
  const { watcher } = await createWatcher(
    defaultWatchSetup(DEFAULT_FRAGMENTS, { inbox, state: stateDir, tree, reruns: 0 }),
    {
      stages: realStages(),
      cache,
      reporter: silentReporter,
      signal: new AbortController().signal,
      ...(kind === 'state-file' ? { store: new StateFileStore(stateDir) } : {}),
    },
  );
  let t0 = Date.now();
  const first = await watcher.once();
  const scanMs = Date.now() - t0;
  t0 = Date.now();
  const second = await watcher.once();
  const idleMs = Date.now() - t0;
  watcher.close();
  clearInterval(sampler);
  const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
  const db = historyPath(cache);
  return {
    messages: first.scanned,
    tested: first.tested.length,
    skippedSeries: first.skipped,
    scanMs,
    messagesPerSecond: Math.round(first.scanned / (scanMs / 1000)),
    idleRoundMs: idleMs,
    idleScanned: second.scanned,
    rssBeforeMiB: Math.round(rssBefore / 2 ** 20),
    peakRssMiB: Math.round(peak / 2 ** 20),
    stateBytes: kind === 'history' ? size(db) + size(`${db}-wal`) : size(join(stateDir, 'state.json')),
  };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'hmmci-bench-watch-'));
  try {
    const inbox = createPublicInbox({ root: join(work, 'pi'), indexLevel: 'basic' });
    const mails = traffic(N);
    const t0 = Date.now();
    for (let i = 0; i < mails.length; i += 2000) inbox.deliverMany(mails.slice(i, i + 2000));
    const importMs = Date.now() - t0;
    process.stderr.write(
      `imported ${mails.length} messages into ${inbox.dir} in ${(importMs / 1000).toFixed(1)} s (PublicInbox::V2Writable)\n`,
    );
    const tree = fakeKernelRepo(join(work, 'linux'));
    const history = await round(work, inbox.dir, tree, 'history');
    const stateFile = await round(work, inbox.dir, tree, 'state-file');
    const result = {
      date: new Date().toISOString(),
      ...history,
      importMs,
      // The same round with the JSON state file of older versions, in the same run (ratio).
      stateFile,
      historyVsStateFile: Number((history.scanMs / stateFile.scanMs).toFixed(2)),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    mkdirSync(join(ROOT, 'bench'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'watch-results.json'), `${JSON.stringify(result, null, 2)}\n`);
    await inbox.close();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
