import t from 'tap';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHmmTests, HMM_TESTS_DIR, hmmTestsCompileArgs } from '../../src/guest/hmm-tests-binary.js';
import { HmmciError } from '../../src/common/errors.js';
import { ExitCode } from '../../src/common/exit-codes.js';

// A tree holding only what buildHmmTests reads: a hmm-tests.c (constructed: it prints a listing in
// kselftest_harness.h's `-l` format, printf("%-20s %-25s %s"), the way test_harness_list_tests does)
// and a lib/test_hmm_uapi.h it includes through -I <tree>, as the real one does.
const root = mkdtempSync(join(tmpdir(), 'hmmci-hmmtests-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

function tree(name: string, body: string): string {
  const src = join(root, name);
  mkdirSync(join(src, HMM_TESTS_DIR), { recursive: true });
  mkdirSync(join(src, 'lib'), { recursive: true });
  writeFileSync(join(src, 'lib/test_hmm_uapi.h'), '#define HMM_DMIRROR_READ 0\n');
  writeFileSync(join(src, HMM_TESTS_DIR, 'hmm-tests.c'), body);
  return src;
}

const LISTING_C = (extraTest: string) => `#include <stdio.h>
#include <string.h>
#include <lib/test_hmm_uapi.h>
int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "-l")) {
    printf("# %-18s %-25s %s\\n", "FIXTURE", "VARIANT", "TEST");
    printf("%-20s\\n", "global");
    printf("------------------------------------------------------------------------\\n");
    printf("%-20s %-25s %s\\n", "hmm", "hmm_device_private", "open_close");
    printf("%-20s %-25s %s\\n", "", "hmm_device_coherent", "anon_read");
    ${extraTest}
    return 0;
  }
  return HMM_DMIRROR_READ;
}
`;

t.test('the compile arguments are the selftest Makefile flags, tree headers first', async (t) => {
  const args = hmmTestsCompileArgs('/src', '/out/hmm-tests');
  t.same(args.slice(0, 5), ['-static', '-Wall', '-O2', '-U_FORTIFY_SOURCE', '-D_GNU_SOURCE=']);
  t.ok(args.join(' ').includes('-I /src -isystem /src/tools/include/uapi /src/tools/testing/selftests/mm/hmm-tests.c'));
  t.same(args.slice(-3), ['-lpthread', '-o', '/out/hmm-tests']);
});

t.test('compiled statically once, cases from its own -l, then cached by source hash', async (t) => {
  const src = tree('a', LISTING_C(''));
  const dir = join(root, 'bin');
  const first = await buildHmmTests({ srcDir: src, dir });
  t.equal(first.cached, false);
  t.same(first.cases, [
    'hmm.hmm_device_private.open_close',
    'hmm.hmm_device_private.anon_read',
    'hmm.hmm_device_coherent.open_close',
    'hmm.hmm_device_coherent.anon_read',
  ]);
  const again = await buildHmmTests({ srcDir: src, dir });
  t.equal(again.cached, true, 'the same sources are not compiled again');
  t.equal(again.path, first.path);
  // A series that adds a test changes the source hash: a new binary, with the new case listed.
  const changed = tree('b', LISTING_C('printf("%-20s %-25s %s\\n", "", "", "migrate");'));
  const third = await buildHmmTests({ srcDir: changed, dir });
  t.not(third.path, first.path);
  t.equal(third.cached, false);
  t.equal(third.cases.length, 6);
});

t.test('a hmm-tests.c that does not compile: BUILD_FAILED naming the tree, with the errors', async (t) => {
  const src = tree('broken', 'int main(void) { return undeclared_thing; }\n');
  const err = await buildHmmTests({ srcDir: src, dir: join(root, 'bin2') }).catch((e: unknown) => e);
  t.ok(err instanceof HmmciError);
  t.equal((err as HmmciError).exitCode, ExitCode.BUILD_FAILED);
  t.match((err as HmmciError).message, /hmm-tests from .*broken does not compile/);
  t.match((err as HmmciError).details?.join('\n') ?? '', /undeclared_thing/);
});

t.test('a tree without the hmm selftest: TREE, saying what is needed', async (t) => {
  const src = join(root, 'empty');
  mkdirSync(src, { recursive: true });
  const err = await buildHmmTests({ srcDir: src, dir: join(root, 'bin3') }).catch((e: unknown) => e);
  t.equal((err as HmmciError).exitCode, ExitCode.TREE);
  t.match((err as HmmciError).message, /has no tools\/testing\/selftests\/mm\/hmm-tests\.c/);
});

t.test('asked for twice at once (the test stage and a prepare beside the build): compiled once', async (t) => {
  const src = tree('twice', LISTING_C(''));
  const dir = join(root, 'bin4');
  const [a, b] = await Promise.all([buildHmmTests({ srcDir: src, dir }), buildHmmTests({ srcDir: src, dir })]);
  t.equal(a.path, b.path);
  t.same(a.cases, b.cases);
  t.equal(a.cases.length, 4);
  t.same(
    readdirSync(dir).filter((f) => f.includes('.tmp')),
    [],
    'no temporary file left behind',
  );
  t.equal(readdirSync(dir).length, 1, 'one binary');
});
