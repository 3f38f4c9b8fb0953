import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBuildLogParser, formatDiagnostic, parseBuildLog, progressFromLine, treeRelative } from '../../src/build/log-parse.js';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures', 'build-logs');
const read = (name: string) => readFileSync(join(FIX, name), 'utf8');

t.test('a full clean build (O= outside the tree, absolute srctree): no errors, the two stock test_hmm.c frame-size warnings', async (t) => {
  const r = parseBuildLog(read('clean-full-build-absolute-srctree.log'), { srcDir: '/work/scratch/linux-source-6.12' });
  t.same(r.errors, []);
  t.same(r.failedTargets, []);
  t.same(r.warnings.map((w) => [w.file, w.line, w.column, w.function]), [
    ['lib/test_hmm.c', 1004, 1, 'dmirror_migrate_to_system.constprop'],
    ['lib/test_hmm.c', 1083, 1, 'dmirror_migrate_to_device.constprop'],
  ]);
  t.equal(r.warnings[0]!.message, 'the frame size of 1120 bytes is larger than 1024 bytes [-Wframe-larger-than=]');
  t.equal(formatDiagnostic(r.warnings[0]!), 'lib/test_hmm.c:1004:1: warning: the frame size of 1120 bytes is larger than 1024 bytes [-Wframe-larger-than=] (in dmirror_migrate_to_system.constprop)');
});

t.test('progress: kbuild quiet lines, compile vs link, current folder', async (t) => {
  t.same(progressFromLine('  CC [M]  lib/test_hmm.o'), { command: 'CC [M]', target: 'lib/test_hmm.o', dir: 'lib', kind: 'compile' });
  t.same(progressFromLine('  LD      vmlinux.o'), { command: 'LD', target: 'vmlinux.o', dir: '.', kind: 'link' });
  t.equal(progressFromLine('  AR      mm/built-in.a')?.kind, 'link');
  t.equal(progressFromLine('  GEN     Makefile')?.kind, 'other');
  t.equal(progressFromLine("make[1]: Entering directory '/x'"), undefined);
  t.equal(progressFromLine('/x/lib/test_hmm.c:1004:1: warning: y'), undefined);
  const lines = read('clean-full-build-absolute-srctree.log').split('\n');
  const steps = lines.map(progressFromLine).filter((s) => s !== undefined);
  t.ok(steps.filter((s) => s.command === 'CC').length > 1000, 'every CC line of a full build counted');
  t.ok(steps.some((s) => s.target === 'arch/x86/boot/bzImage' && s.command === 'BUILD'));
});

t.test('the streaming parser gives the same result line by line and never throws on junk', async (t) => {
  const text = read('clean-full-build-absolute-srctree.log');
  const p = createBuildLogParser({ srcDir: '/work/scratch/linux-source-6.12' });
  for (const l of text.split('\n')) p.push(l);
  t.same(p.result(), parseBuildLog(text, { srcDir: '/work/scratch/linux-source-6.12' }));
  const junk = createBuildLogParser();
  for (const l of ['\u0000\u0001', ':::', 'error:', 'make: *** [', '']) junk.push(l);
  t.same(junk.result().errors, []);
});

t.test('paths are made tree-relative', async (t) => {
  t.equal(treeRelative('../mm/hmm.c'), 'mm/hmm.c');
  t.equal(treeRelative('/w/tree/mm/hmm.c', '/w/tree'), 'mm/hmm.c');
  t.equal(treeRelative('/w/tree/mm/hmm.c', '/w/tree/'), 'mm/hmm.c');
  t.equal(treeRelative('./include/linux/hmm.h'), 'include/linux/hmm.h');
});
