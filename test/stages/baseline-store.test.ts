import t from 'tap';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheLayout } from '../../src/common/cache.js';
import { BaselineStore, type BaselineKey } from '../../src/stages/baseline-store.js';

const fixture = (name: string) => new URL(`../../fixtures/logs/${name}`, import.meta.url).pathname;
const key: BaselineKey = {
  base: 'e99202409799cb2283dd3a2186d3b289af2a2732',
  configHash: 'abc123',
  toolchain: 'gcc (Debian 12.2.0-14) 12.2.0',
  runner: 'qemu',
};

t.test('a cached baseline is re-parsed from its console log, so a parser fix reaches old entries', async (t) => {
  const cache = cacheLayout(mkdtempSync(join(tmpdir(), 'hmmci-bl-')));
  t.teardown(() => rmSync(cache.root, { recursive: true, force: true }));
  const store = new BaselineStore(cache);
  const log = join(cache.root, 'console.log');
  copyFileSync(fixture('listing-split-by-kernel-message.log'), log);
  // What an older parser stored for this real log: 58 passes plus 9 phantom cases from the split listing.
  const stale = {
    tests: [
      { name: 'hmm.hmm_device_private.open_close', status: 'pass' as const },
      { name: 'migrate_shared.compound.exclusive', status: 'notrun' as const },
    ],
    counts: { pass: 1, notrun: 1 },
    events: [],
  };
  store.save({ key, result: stale, accel: 'tcg', fromRun: 'r1', createdAt: '2026-11-21T11:00:00Z' }, { console: log });
  const hit = store.lookup(key);
  t.ok(hit);
  t.same(hit!.result.counts, { pass: 58 });
  t.equal(hit!.result.tests.length, 58);
  t.notOk(store.lookup({ ...key, runner: 'vng' }), 'another runner is another baseline');
});

t.test(
  'a shaped baseline (--repeat, shards) keeps its merged result: its one console log is not the whole run',
  async (t) => {
    const cache = cacheLayout(mkdtempSync(join(tmpdir(), 'hmmci-bl-')));
    t.teardown(() => rmSync(cache.root, { recursive: true, force: true }));
    const store = new BaselineStore(cache);
    const log = join(cache.root, 'console.log');
    // The first shard's log of a real 58-case boot stands in for "one of two shards": re-parsing it
    // alone would lose the other shard's cases and every repeat count.
    copyFileSync(fixture('listing-split-by-kernel-message.log'), log);
    const merged = {
      tests: [
        { name: 'hmm.hmm_device_private.open_close', status: 'pass' as const, repeat: { pass: 2, total: 2 } },
        { name: 'hmm.hmm_device_private.anon_read', status: 'pass' as const, repeat: { pass: 2, total: 2 } },
      ],
      counts: { pass: 2 },
      events: [],
    };
    const shape = { repeat: 2, runs: [2, 2], boots: [1, 1], shards: [29, 29] };
    const k = { ...key, runner: 'qemu repeat=2' };
    store.save(
      { key: k, result: merged, shape, accel: 'tcg', fromRun: 'r1', createdAt: '2026-11-29T11:00:00Z' },
      { console: log },
    );
    const hit = store.lookup(k);
    t.same(hit!.result, merged, 'the merged result, repeat counts included');
    t.same(hit!.shape, shape);
  },
);

t.test('an entry without its console log keeps the stored result; a torn entry is a miss', async (t) => {
  const cache = cacheLayout(mkdtempSync(join(tmpdir(), 'hmmci-bl-')));
  t.teardown(() => rmSync(cache.root, { recursive: true, force: true }));
  const store = new BaselineStore(cache);
  const result = {
    tests: [{ name: 'hmm.hmm_device_private.open_close', status: 'pass' as const }],
    counts: { pass: 1 },
    events: [],
  };
  const stored = store.save({ key, result, accel: 'tcg', fromRun: 'r1', createdAt: '2026-11-21T11:00:00Z' }, {});
  t.same(store.lookup(key)!.result, result);
  t.notOk(stored.consoleLog);
  const [entryDir] = readdirSync(join(cache.root, 'baselines'));
  writeFileSync(join(cache.root, 'baselines', entryDir!, 'entry.json'), '{"key":');
  t.notOk(store.lookup(key));
});

t.test('one key from the facts; the lock is per (tree, base, config key, gcc, runner)', async (t) => {
  const cache = cacheLayout(mkdtempSync(join(tmpdir(), 'hmmci-bl-')));
  t.teardown(() => rmSync(cache.root, { recursive: true, force: true }));
  const store = new BaselineStore(cache);
  t.same(store.key({ ...key }), key);
  t.not(store.entryDir(key), store.entryDir({ ...key, toolchain: 'gcc 14' }));
  const lock = { treeId: 'linux-6.12.117', base: key.base, configKey: 'k1', toolchain: key.toolchain, runner: 'qemu' };
  t.not(store.lockPath(lock), store.lockPath({ ...lock, configKey: 'k2' }));
  t.equal(await store.withLock(lock, async () => 42), 42);
  t.same(store.list(), []);
  store.save({
    key,
    result: { tests: [], counts: {}, events: [] },
    accel: 'tcg',
    fromRun: 'r1',
    createdAt: '2026-11-21T11:00:00Z',
  });
  t.same(
    store.list().map((e) => e.fromRun),
    ['r1'],
  );
});
