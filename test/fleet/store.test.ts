import t from 'tap';

/** The assertions contract() uses (a subtest's t). */
type Tap = Pick<typeof t, 'equal' | 'same' | 'ok' | 'notOk' | 'rejects'>;
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { DirStore, HttpStore, objectPath, openStore, fetchCached, type ArtifactStore } from '../../src/fleet/store.js';
import { startNginx } from './helpers/nginx.js';
import { scratchDir } from '../helpers/scratch.js';

const dir = scratchDir('hmmci-store-');
const file = join(dir, 'bzImage');
const content = Buffer.concat([Buffer.from('MZ fake kernel image\n'), Buffer.alloc(300_000, 7)]);
writeFileSync(file, content);
const sha = createHash('sha256').update(content).digest('hex');

async function contract(t: Tap, store: ArtifactStore, corrupt: (sha: string) => void) {
  t.equal(await store.has(sha), false, 'absent before put');
  const put = await store.put(file);
  t.same(put, { sha256: sha, size: content.length }, 'put names the content by sha256');
  t.equal(await store.has(sha), true);
  t.same(await store.put(file), put, 'a second put of the same content is the same object');
  const out = join(dir, `got-${Math.random()}`);
  await store.get(sha, out);
  t.ok(readFileSync(out).equals(content), 'get gives the bytes back');
  await t.rejects(store.get('0'.repeat(64), join(dir, 'missing')), /0{64}/, 'an absent object is an error naming it');
  await t.rejects(store.get('../../etc/passwd', join(dir, 'x')), /not a sha256/, 'a name that is no sha256 is refused');
  corrupt(sha);
  const bad = join(dir, `bad-${Math.random()}`);
  await t.rejects(
    store.get(sha, bad),
    /corrupt: its content hashes to [0-9a-f]{64}/,
    'a corrupt object is detected on read',
  );
  t.notOk(existsSync(bad), 'and never lands as a file');
}

t.test('shared directory store', async (t) => {
  const root = join(dir, 'dir-store');
  const s = openStore(root);
  t.ok(s instanceof DirStore);
  await contract(t, s, (h) => writeFileSync(join(root, objectPath(h)), 'tampered'));
});

t.test('HTTP store on Debian nginx with WebDAV PUT', async (t) => {
  const nginx = await startNginx();
  t.teardown(() => nginx.stop());
  const s = openStore(`${nginx.url}/objects/`);
  t.ok(s instanceof HttpStore);
  await contract(t, s, (h) => writeFileSync(join(nginx.root, 'objects', objectPath(h)), 'tampered'));
});

t.test('a worker caches what it fetched', async (t) => {
  const remote = new DirStore(join(dir, 'remote'));
  const local = new DirStore(join(dir, 'local'));
  await remote.put(file);
  await fetchCached(remote, local, sha, join(dir, 'c1'));
  t.ok(await local.has(sha), 'kept locally');
  await fetchCached(new DirStore(join(dir, 'empty')), local, sha, join(dir, 'c2'));
  t.ok(readFileSync(join(dir, 'c2')).equals(content), 'served from the local copy without the remote');
});
