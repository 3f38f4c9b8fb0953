import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beginBuild, endBuild, MARKER } from '../../src/build/interrupted.js';

/** A build dir as a killed kbuild leaves it (constructed: file names from a real x86 O= tree). */
function killedBuild(t: { teardown: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'hmmci-interrupted-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const at = (p: string, text: string, s: number) => {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
    utimesSync(join(dir, p), s, s);
  };
  const t0 = 1_764_400_000;
  at('mm/hmm.o', 'whole object from an earlier build', t0);
  at('vmlinux', 'whole vmlinux', t0 + 10);
  at('.hmmci/build.log', 'log of the killed build', t0 + 30);
  at(MARKER, '4242\n', t0 + 20); // the killed build started here
  at('arch/x86/boot/compressed/vmlinux.bin.xz', 'truncated', t0 + 25);
  at('arch/x86/boot/bzImage', 'truncated', t0 + 26);
  at('.config', 'CONFIG_HMM_MIRROR=y\n', t0 + 40); // configured again after the kill
  return dir;
}

t.test('after a killed build, what it wrote is removed before make runs; older outputs stay', async (t) => {
  const dir = killedBuild(t);
  t.same(beginBuild(dir), { discarded: 2 });
  t.notOk(existsSync(join(dir, 'arch/x86/boot/compressed/vmlinux.bin.xz')), 'the truncated image goes');
  t.notOk(existsSync(join(dir, 'arch/x86/boot/bzImage')));
  t.ok(existsSync(join(dir, 'mm/hmm.o')), 'objects of earlier builds stay: the rebuild is incremental');
  t.ok(existsSync(join(dir, 'vmlinux')));
  t.equal(readFileSync(join(dir, '.config'), 'utf8'), 'CONFIG_HMM_MIRROR=y\n', 'the configuration is kept');
  t.ok(existsSync(join(dir, '.hmmci/build.log')), "hmmci's own files are kept");
  t.equal(readFileSync(join(dir, MARKER), 'utf8'), `${process.pid}\n`, 'this build is marked running');
  endBuild(dir);
  t.notOk(existsSync(join(dir, MARKER)), 'and unmarked when make has exited');
});

t.test('a build after a clean one removes nothing', async (t) => {
  const dir = killedBuild(t);
  rmSync(join(dir, MARKER));
  t.same(beginBuild(dir), { discarded: 0 });
  t.ok(existsSync(join(dir, 'arch/x86/boot/bzImage')));
  endBuild(dir);
});
