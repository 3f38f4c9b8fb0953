/**
 * A watcher in its own process, for the kill -9 tests (not a test file itself): `--once` over the
 * inbox (or Maildir: a folder with new/) with the fake-kernel stages, its guest slow (argv[5] ms)
 * so the parent can kill it mid-run.
 * argv: inbox|maildir state cache tree guestMs marker
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheLayout } from '../../src/common/cache.js';
import { silentReporter } from '../../src/common/progress.js';
import { DEFAULT_FRAGMENTS } from '../../src/run/real-stages.js';
import { createWatcher } from '../../src/watch/setup.js';
import { fakeKernelStages } from './traffic.js';

const [inbox, state, cache, tree, guestMs, marker] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const stages = fakeKernelStages({
  guestMs: Number(guestMs),
  onTest: () => writeFileSync(marker, `${process.pid}\n`, { flag: 'a' }),
});
const { watcher } = await createWatcher(
  {
    ...(existsSync(join(inbox, 'new')) ? { maildir: inbox } : { inbox }),
    state,
    settleMs: 30 * 60_000,
    maxParts: 100,
    outbox: `${state}/outbox`,
    replyTo: 'author',
    tree,
    variant: { fragments: [...DEFAULT_FRAGMENTS], extra: [] },
    configArgs: [],
    runner: 'qemu',
    reruns: 0,
  },
  { stages, cache: cacheLayout(cache), reporter: silentReporter, signal: new AbortController().signal },
);
const summary = await watcher.once();
process.stdout.write(`${JSON.stringify(summary)}\n`);
