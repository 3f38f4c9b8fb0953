import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeArtifact,
  kernelEntries,
  materialize,
  readManifest,
  verifyManifest,
  withEntries,
  writeManifest,
  type ArtifactManifest,
} from '../../src/stages/manifest.js';

function buildDir(root: string) {
  const dir = join(root, 'build');
  mkdirSync(join(dir, 'arch/x86/boot'), { recursive: true });
  mkdirSync(join(dir, 'lib'), { recursive: true });
  writeFileSync(join(dir, 'arch/x86/boot/bzImage'), 'kernel image bytes\n');
  writeFileSync(join(dir, 'lib/test_hmm.ko'), 'module bytes\n');
  writeFileSync(join(dir, '.config'), 'CONFIG_TEST_HMM=m\n');
  return {
    bzImage: join(dir, 'arch/x86/boot/bzImage'),
    testHmmKo: join(dir, 'lib/test_hmm.ko'),
    config: join(dir, '.config'),
  };
}

t.test('kernel files are named with their sha256 and laid out again as a build dir', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'hmmci-manifest-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const k = buildDir(root);
  const entries = kernelEntries('baseline', k);
  t.same(
    entries.map((e) => [e.name, e.path]),
    [
      ['bzImage', 'baseline/arch/x86/boot/bzImage'],
      ['test_hmm.ko', 'baseline/lib/test_hmm.ko'],
      ['config', 'baseline/.config'],
    ],
  );
  t.equal(entries[0]?.sha256, createHash('sha256').update('kernel image bytes\n').digest('hex'));
  t.equal(entries[0]?.bytes, 19);
  t.equal(
    describeArtifact('hmm-tests', 'patched', join(root, 'nope')),
    undefined,
    'a file that does not exist is not described',
  );
  const m: ArtifactManifest = withEntries({ schema: 1, job: 'job-1', entries: [] }, entries);
  const file = writeManifest(root, m);
  t.same(readManifest(file), m);
  const copy = join(root, 'elsewhere');
  const dir = materialize(m, copy, { side: 'baseline' });
  t.equal(dir, join(copy, 'baseline'));
  t.equal(
    readFileSync(join(dir, 'arch/x86/boot/bzImage'), 'utf8'),
    'kernel image bytes\n',
    'the guest finds bzImage where kbuild puts it',
  );
  t.same(verifyManifest(m, copy), []);
  writeFileSync(join(dir, 'lib/test_hmm.ko'), 'other bytes\n');
  t.same(
    verifyManifest(m, copy).map((b) => [b.entry.name, b.problem]),
    [['test_hmm.ko', 'changed']],
  );
  rmSync(join(dir, '.config'));
  t.same(
    verifyManifest(m, copy).map((b) => [b.entry.name, b.problem]),
    [
      ['test_hmm.ko', 'changed'],
      ['config', 'missing'],
    ],
  );
});

t.test('a damaged copy, a missing file or a path out of the directory is refused', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'hmmci-manifest-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const k = buildDir(root);
  const m: ArtifactManifest = { schema: 1, job: 'job-2', entries: kernelEntries('patched', k) };
  writeFileSync(k.bzImage, 'rebuilt since\n');
  t.throws(() => materialize(m, join(root, 'a')), {
    exitCode: 3,
    message: /bzImage \(patched\) of job-2 .* has sha256 .* the manifest names/,
  });
  rmSync(k.config);
  t.throws(() => materialize({ ...m, entries: m.entries.filter((e) => e.name === 'config') }, join(root, 'b')), {
    exitCode: 3,
    message: /config \(patched\) of job-2 is missing/,
  });
  const evil = { ...m, entries: [{ ...m.entries[1]!, path: '../../etc/passwd' }] };
  t.throws(() => materialize(evil, join(root, 'c')), { exitCode: 3, message: /outside its directory/ });
  t.same(
    verifyManifest(evil, join(root, 'c')).map((b) => b.problem),
    ['missing'],
  );
  writeFileSync(join(root, 'bad.json'), '{"schema":2}');
  t.throws(() => readManifest(join(root, 'bad.json')), { exitCode: 3, message: /not an hmmci artifact manifest/ });
  t.throws(() => readManifest(join(root, 'none.json')), { exitCode: 3, message: /cannot be read/ });
});

t.test('entries with the same laid-out path replace each other; others are kept', async (t) => {
  const base = { name: 'results' as const, side: 'patched' as const, source: '/a', sha256: 'x', bytes: 1 };
  const m = withEntries({ schema: 1, job: 'j', entries: [{ ...base, path: 'patched/results.json' }] }, [
    { ...base, path: 'patched/results.json', sha256: 'y' },
    undefined,
    { ...base, path: 'patched/rerun1/results.json' },
  ]);
  t.same(
    m.entries.map((e) => [e.path, e.sha256]),
    [
      ['patched/results.json', 'y'],
      ['patched/rerun1/results.json', 'x'],
    ],
  );
});
