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
import { createWatcher } from '../../src/watch/setup.js';
import { fakeKernelStages, watchSetup } from './traffic.js';

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
  watchSetup(tree, state, existsSync(join(inbox, 'new')) ? { maildir: inbox } : { inbox }),
  { stages, cache: cacheLayout(cache), reporter: silentReporter, signal: new AbortController().signal },
);
const summary = await watcher.once();
process.stdout.write(`${JSON.stringify(summary)}\n`);
