import t from 'tap';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../src/common/exit-codes.js';
import type { HmmciError } from '../../src/common/errors.js';
import { createReporter } from '../../src/common/progress.js';
import { buildKernel, kbuildCommand } from '../../src/build/build.js';
import { configure } from '../../src/kconfig/configure.js';
import { copyFakeKernel, tempDir } from '../../tools/fake-kernel/fixture.js';
import { writeFileSync } from 'node:fs';

const work = tempDir('hmmci-build-');
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const src = copyFakeKernel(join(work, 'src'));
const fragment = join(work, 'fake.config');
writeFileSync(
  fragment,
  '# base: tinyconfig\nCONFIG_64BIT=y\nCONFIG_MODULES=y\nCONFIG_MEMORY_HOTPLUG=y\nCONFIG_MEMORY_HOTREMOVE=y\nCONFIG_ZONE_DEVICE=y\nCONFIG_DEVICE_PRIVATE=y\nCONFIG_TRANSPARENT_HUGEPAGE=y\nCONFIG_RUNTIME_TESTING_MENU=y\nCONFIG_TEST_HMM=m\n',
);
const buildDir = join(work, 'out');

function capture() {
  const text: string[] = [];
  return { reporter: createReporter({ stream: { write: (s: string) => (text.push(s), true) }, throttleMs: 0 }), text };
}

t.before(async () => {
  await configure({ srcDir: src, buildDir, fragments: [fragment] });
});

t.test('the make command is data: O=, -j, ccache with CCACHE_BASEDIR, nice, targets', async (t) => {
  const c = kbuildCommand({ srcDir: '/w/src', buildDir: '/w/out', jobs: 2, nice: 10 }, true);
  t.same(
    [c.file, ...c.args],
    ['nice', '-n', '10', 'make', '-C', '/w/src', 'O=/w/out', '-j2', 'CC=ccache gcc', 'bzImage', 'modules'],
  );
  t.equal(c.env.CCACHE_BASEDIR, '/w/src');
  const plain = kbuildCommand({ srcDir: '/w/src', buildDir: '/w/out', jobs: 3, targets: ['vmlinux'] }, false);
  t.same([plain.file, ...plain.args], ['make', '-C', '/w/src', 'O=/w/out', '-j3', 'vmlinux']);
  t.equal(plain.env.CCACHE_BASEDIR, undefined);
});

t.test('a build produces bzImage and the modules, reports progress, logs everything', async (t) => {
  const { reporter, text } = capture();
  const r = await buildKernel({ srcDir: src, buildDir, jobs: 2, ccache: false, reporter });
  t.ok(r.ok);
  t.equal(r.artifacts.bzImage, join(buildDir, 'arch/x86/boot/bzImage'));
  t.equal(r.artifacts.vmlinux, join(buildDir, 'vmlinux'));
  t.same(r.artifacts.modules, [join(buildDir, 'lib/test_hmm.ko')]);
  t.equal(r.compiled, 5, 'init/main, mm/hmm, mm/migrate_device, lib/test_hmm, test_hmm.mod');
  t.ok(r.linked >= 4);
  t.notOk(r.noop);
  t.same(r.errors, []);
  const log = readFileSync(r.logPath, 'utf8');
  t.match(log, /CC \[M\]  lib\/test_hmm\.o/);
  t.match(log, /Kernel: arch\/x86\/boot\/bzImage is ready/);
  const out = text.join('');
  t.match(out, /==> build/);
  t.match(out, /compiled, \d+ linked/);
  t.match(out, /ok build .*5 compiled/);
});

t.test('a second build of an unchanged tree is a no-op', async (t) => {
  const r = await buildKernel({ srcDir: src, buildDir, jobs: 2, ccache: false });
  t.ok(r.ok);
  t.ok(r.noop);
  t.equal(r.compiled, 0);
  t.ok(existsSync(`${r.logPath}.1`), 'the previous log is kept');
});

t.test('a compile error: BuildError (exit 5) with file:line:col, no wall of output, log path', async (t) => {
  process.env.FAKE_KERNEL_FAIL = 'compile';
  t.teardown(() => {
    delete process.env.FAKE_KERNEL_FAIL;
  });
  const err = (await buildKernel({ srcDir: src, buildDir, jobs: 2, ccache: false }).catch(
    (e: unknown) => e,
  )) as HmmciError;
  t.equal(err.exitCode, ExitCode.BUILD_FAILED);
  t.match(err.message, /did not build \(make exit 2\)/);
  t.equal(err.details[0], "mm/hmm.c:9:9: error: expected ',' or ';' before 'return' (in hmm_range_fault)");
  t.ok(err.details.length <= 6);
  t.equal(err.logPath, join(buildDir, '.hmmci', 'build.log'));
  t.match(readFileSync(err.logPath!, 'utf8'), /Error 1/);
  const r = await buildKernel({ srcDir: src, buildDir, jobs: 2, ccache: false, throwOnError: false });
  t.notOk(r.ok);
  t.equal(r.errors[0]?.file, 'mm/hmm.c');
  t.equal(r.errors[0]?.line, 9);
  t.equal(r.warnings[0]?.message, "unused variable 'npages' [-Wunused-variable]");
});

t.test('a link error names the undefined symbol', async (t) => {
  process.env.FAKE_KERNEL_FAIL = 'link';
  t.teardown(() => {
    delete process.env.FAKE_KERNEL_FAIL;
  });
  const r = await buildKernel({ srcDir: src, buildDir, jobs: 2, ccache: false, throwOnError: false });
  t.notOk(r.ok);
  t.equal(r.errors[0]?.tool, 'ld');
  t.equal(r.errors[0]?.message, "undefined reference to `hmm_vma_walk_missing'");
  t.equal(r.errors[0]?.function, 'hmm_range_fault');
});

t.test('a warning does not fail the build; the next clean build recovers', async (t) => {
  process.env.FAKE_KERNEL_FAIL = 'warning';
  const r = await buildKernel({ srcDir: src, buildDir, jobs: 2, ccache: false });
  delete process.env.FAKE_KERNEL_FAIL;
  t.ok(r.ok);
  t.equal(r.warnings.length, 1);
  t.match(r.warnings[0]!, {
    file: 'mm/hmm.c',
    line: 12,
    column: 13,
    message: "unused variable 'unused_pfn' [-Wunused-variable]",
  });
  const again = await buildKernel({ srcDir: src, buildDir, jobs: 2, ccache: false });
  t.ok(again.ok);
});

t.test('no .config: a config error telling to run hmmci config', async (t) => {
  const err = (await buildKernel({ srcDir: src, buildDir: join(work, 'empty-out'), ccache: false }).catch(
    (e: unknown) => e,
  )) as HmmciError;
  t.equal(err.exitCode, ExitCode.CONFIG);
  t.match(err.message, /hmmci config/);
});

t.test('a full disk during the build is an infrastructure error (exit 7) saying what to free', async (t) => {
  process.env.FAKE_KERNEL_FAIL = 'enospc';
  t.teardown(() => {
    delete process.env.FAKE_KERNEL_FAIL;
  });
  const err = (await buildKernel({ srcDir: src, buildDir, jobs: 2, ccache: false }).catch(
    (e: unknown) => e,
  )) as HmmciError;
  t.equal(err.exitCode, ExitCode.INFRA);
  t.match(err.message, /is full \(ENOSPC\) while building the kernel/);
  t.match(err.message, /hmmci tree clean/);
  t.ok(err.logPath);
});
