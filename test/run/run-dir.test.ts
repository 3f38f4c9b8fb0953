import t from 'tap';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheLayout } from '../../src/common/cache.js';
import { BadInputError } from '../../src/common/errors.js';
import {
  createRunDir,
  listRuns,
  markInterrupted,
  newRunId,
  readRecord,
  resolveRunRef,
  slugOf,
  writeRecord,
} from '../../src/run/run-dir.js';
import { record } from '../report/records.js';
import { scratchDir } from '../helpers/scratch.js';

const cacheOf = () => cacheLayout(scratchDir('hmmci-runs-'));

t.test('run ids sort by time and name the series', async (t) => {
  t.equal(slugOf('fixtures/series/break-test-at-2.mbox'), 'break-test-at-2');
  t.equal(slugOf('/tmp/My Series/'), 'my-series');
  t.equal(slugOf('<20261120.1-dana@example.org>'), '20261120-1-dana-example-org');
  t.equal(slugOf('v6.12..HEAD'), 'v6-12-head');
  t.equal(newRunId('x/one-patch.mbox', new Date('2026-11-21T10:23:45.678Z'), 'abcd'), '20261121-102345-one-patch-abcd');
});

t.test('records round-trip; an interrupted run reads as interrupted', async (t) => {
  const cache = cacheOf();
  const rd = createRunDir(cache, 'fixtures/series/benign-3.mbox');
  const r = {
    ...record('baseline-58-pass', ['baseline-58-pass']),
    id: rd.id,
    runDir: rd.dir,
    status: 'running' as const,
  };
  writeRecord(rd.dir, r);
  t.same(readRecord(rd.dir), r);
  markInterrupted(rd.dir, 'SIGINT');
  t.match(readFileSync(join(rd.dir, 'interrupted'), 'utf8'), /^interrupted by SIGINT at /);
  const back = readRecord(rd.dir);
  t.equal(back.status, 'interrupted');
  t.equal(back.exitCode, 130);
  // A finished run is not rewritten by a late marker.
  const done = createRunDir(cache, 'b.mbox');
  writeRecord(done.dir, { ...r, id: done.id, runDir: done.dir, status: 'complete' });
  markInterrupted(done.dir, 'SIGTERM');
  t.equal(readRecord(done.dir).status, 'complete');
});

t.test('listing and finding runs', async (t) => {
  const cache = cacheOf();
  t.same(listRuns(cache), []);
  t.throws(() => resolveRunRef(cache, 'last'), BadInputError);
  const ids: string[] = [];
  for (const [i, name] of ['benign-3.mbox', 'break-test-at-2.mbox'].entries()) {
    const rd = createRunDir(cache, name, new Date(Date.UTC(2026, 10, 21, 10, i)));
    ids.push(rd.id);
    writeRecord(rd.dir, {
      ...record('baseline-58-pass', [i ? 'patched-coherent-remote-snapshot-fails' : 'baseline-58-pass']),
      id: rd.id,
      runDir: rd.dir,
    });
  }
  mkdirSync(join(cache.runs, 'test-20261121-1000'), { recursive: true });
  mkdirSync(join(cache.runs, 'garbage'));
  writeFileSync(join(cache.runs, 'garbage', 'record.json'), '{"half":');
  const list = listRuns(cache);
  t.same(
    list.map((l) => l.id),
    ['garbage', ids[1], ids[0]].sort().reverse(),
    'folders without record.json are not runs',
  );
  t.equal(list.find((l) => l.id === 'garbage')?.status, 'unreadable');
  t.equal(list.find((l) => l.id === ids[1])?.summary, 'regressed: 1 regression');
  t.equal(resolveRunRef(cache, 'last'), join(cache.runs, ids[1] as string));
  t.equal(resolveRunRef(cache, ids[0] as string), join(cache.runs, ids[0] as string));
  t.equal(resolveRunRef(cache, 'break-test'), join(cache.runs, ids[1] as string));
  t.equal(resolveRunRef(cache, join(cache.runs, ids[0] as string)), join(cache.runs, ids[0] as string));
  t.throws(() => resolveRunRef(cache, '20261121'), { message: /matches 2 runs/ });
  t.throws(() => resolveRunRef(cache, 'nope'), { message: /No run "nope".*hmmci runs/ });
});

t.test('parallel creations never collide', async (t) => {
  const cache = cacheOf();
  const now = new Date('2026-11-21T10:00:00Z');
  const dirs = Array.from({ length: 20 }, () => createRunDir(cache, 'same.mbox', now).dir);
  t.equal(new Set(dirs).size, 20);
  t.ok(dirs.every((d) => existsSync(d)));
  writeFileSync(join(cache.runs, 'stray-file'), '');
  t.equal(readdirSync(cache.runs).length, 21);
});
