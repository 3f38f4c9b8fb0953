import t from 'tap';
import { mkdtempSync, rmSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/common/exec.js';
import { cpioNewc, readCpioNewc } from '../../src/guest/cpio.js';

t.test('newc archive round-trips and is reproducible', async (t) => {
  const entries = [
    { type: 'dir' as const, path: 'bin' },
    { type: 'file' as const, path: 'bin/hello', data: 'odd length\n', mode: 0o755 },
    { type: 'symlink' as const, path: 'bin/sh', target: 'busybox' },
    { type: 'char' as const, path: 'dev/console', major: 5, minor: 1 },
  ];
  const a = cpioNewc(entries);
  t.ok(a.equals(cpioNewc(entries)), 'same entries, same bytes');
  t.equal(a.length % 4, 0);
  const back = readCpioNewc(a);
  t.same(
    back.map((e) => e.name),
    ['bin', 'bin/hello', 'bin/sh', 'dev/console'],
  );
  t.equal(back[1]!.data.toString(), 'odd length\n');
  t.equal(back[1]!.mode, 0o100755);
  t.equal(back[2]!.data.toString(), 'busybox');
  t.same(back[3]!.rdev, [5, 1]);
  t.equal(back[3]!.mode & 0o170000, 0o020000, 'character device');
});

t.test('GNU cpio reads our archive (the format the kernel unpacks)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hmmci-cpio-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const archive = cpioNewc([
    { type: 'dir', path: 'lib' },
    { type: 'file', path: 'lib/test_hmm.ko', data: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]) },
    { type: 'file', path: 'init', data: '#!/bin/busybox sh\necho hi\n', mode: 0o755 },
    { type: 'symlink', path: 'sh', target: 'busybox' },
  ]);
  const list = await run('cpio', ['-t'], { input: archive.toString('latin1') });
  t.equal(list.exitCode, 0, list.stderr);
  t.same(list.stdout.trim().split('\n'), ['lib', 'lib/test_hmm.ko', 'init', 'sh']);
  // Extract (binary-safe through a file) and compare contents.
  const file = join(dir, 'a.cpio');
  (await import('node:fs')).writeFileSync(file, archive);
  const x = await run('cpio', ['-id', '--quiet', '-F', file], { cwd: dir });
  t.equal(x.exitCode, 0, x.stderr);
  t.same([...readFileSync(join(dir, 'lib/test_hmm.ko'))], [0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]);
  t.equal(statSync(join(dir, 'init')).mode & 0o777, 0o755);
  t.equal(readlinkSync(join(dir, 'sh')), 'busybox');
});
