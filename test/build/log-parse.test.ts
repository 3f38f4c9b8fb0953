import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createBuildLogParser,
  formatDiagnostic,
  parseBuildLog,
  progressFromLine,
  treeRelative,
} from '../../src/build/log-parse.js';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures', 'build-logs');
const read = (name: string) => readFileSync(join(FIX, name), 'utf8');

t.test(
  'a full clean build (O= outside the tree, absolute srctree): no errors, the two stock test_hmm.c frame-size warnings',
  async (t) => {
    const r = parseBuildLog(read('clean-full-build-absolute-srctree.log'), {
      srcDir: '/work/scratch/linux-source-6.12',
    });
    t.same(r.errors, []);
    t.same(r.failedTargets, []);
    t.same(
      r.warnings.map((w) => [w.file, w.line, w.column, w.function]),
      [
        ['lib/test_hmm.c', 1004, 1, 'dmirror_migrate_to_system.constprop'],
        ['lib/test_hmm.c', 1083, 1, 'dmirror_migrate_to_device.constprop'],
      ],
    );
    t.equal(r.warnings[0]!.message, 'the frame size of 1120 bytes is larger than 1024 bytes [-Wframe-larger-than=]');
    t.equal(
      formatDiagnostic(r.warnings[0]!),
      'lib/test_hmm.c:1004:1: warning: the frame size of 1120 bytes is larger than 1024 bytes [-Wframe-larger-than=] (in dmirror_migrate_to_system.constprop)',
    );
  },
);

t.test('progress: kbuild quiet lines, compile vs link, current folder', async (t) => {
  t.same(progressFromLine('  CC [M]  lib/test_hmm.o'), {
    command: 'CC [M]',
    target: 'lib/test_hmm.o',
    dir: 'lib',
    kind: 'compile',
  });
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

// Real incremental builds of the 6.12 tree with the build dir inside the worktree (kbuild prints
// `../mm/hmm.c`), each after breaking one file the way a patch would.
const WT = '/work/scratch/foundation/wt';

t.test('a no-op rebuild: nothing compiled or linked, no diagnostics', async (t) => {
  const text = read('noop-rebuild.log');
  const r = parseBuildLog(text, { srcDir: WT });
  t.same(r, { errors: [], warnings: [], failedTargets: [] });
  const steps = text
    .split('\n')
    .map(progressFromLine)
    .filter((s) => s !== undefined);
  t.same(
    steps.filter((s) => s.kind !== 'other'),
    [],
    'only GEN/DESCEND/CALL/INSTALL lines',
  );
});

t.test('touching mm/hmm.c: one CC, the vmlinux relink, no diagnostics', async (t) => {
  const text = read('touch-hmm-c.log');
  t.same(parseBuildLog(text).errors, []);
  const steps = text
    .split('\n')
    .map(progressFromLine)
    .filter((s) => s !== undefined);
  t.same(
    steps.filter((s) => s.command === 'CC').map((s) => s.target),
    ['mm/hmm.o', 'init/version-timestamp.o', 'arch/x86/boot/version.o', 'arch/x86/boot/compressed/misc.o'],
  );
  t.ok(steps.some((s) => s.target === 'vmlinux' && s.kind === 'link'));
});

t.test('a warning from a patch: file:line:col relative to the tree, with the function', async (t) => {
  const r = parseBuildLog(read('incremental-warning-unused-variable.log'), { srcDir: WT });
  t.same(r.errors, []);
  t.equal(r.warnings.length, 1);
  t.match(r.warnings[0]!, {
    tool: 'gcc',
    file: 'mm/hmm.c',
    line: 584,
    column: 13,
    function: 'hmm_range_fault',
    message: 'unused variable ‘hmmci_unused’ [-Wunused-variable]',
  });
});

t.test("a compile error: the gcc error first, make's cascade only as failed targets", async (t) => {
  const r = parseBuildLog(read('compile-error-no-member.log'), { srcDir: WT });
  t.equal(r.errors.length, 1);
  t.equal(
    formatDiagnostic(r.errors[0]!),
    'mm/hmm.c:584:18: error: ‘struct hmm_range’ has no member named ‘hmmci_no_such_field’ (in hmm_range_fault)',
  );
  t.same(r.failedTargets, ['mm/hmm.o', 'mm', '.', '__sub-make']);
});

t.test("a link error: ld's undefined reference in vmlinux.o, with the function", async (t) => {
  const r = parseBuildLog(read('link-error-undefined-reference.log'), { srcDir: WT });
  t.equal(r.errors.length, 1);
  t.match(r.errors[0]!, {
    tool: 'ld',
    file: 'vmlinux.o',
    function: 'hmm_range_fault',
    message: "undefined reference to `hmmci_missing_symbol'",
  });
  t.ok(r.failedTargets.includes('vmlinux'));
});

t.test('a module using an unexported symbol: the modpost error, and the two stock warnings', async (t) => {
  const r = parseBuildLog(read('modpost-error-undefined-symbol.log'), { srcDir: WT });
  t.same(
    r.errors.map((e) => [e.tool, e.message]),
    [['modpost', '"hmmci_missing_export" [lib/test_hmm.ko] undefined!']],
  );
  t.same(
    r.warnings.map((w) => `${w.file}:${w.line}`),
    ['lib/test_hmm.c:1007', 'lib/test_hmm.c:1086'],
  );
});
