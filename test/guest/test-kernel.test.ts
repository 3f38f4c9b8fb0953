import t from 'tap';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheLayout } from '../../src/common/cache.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import type { Reporter } from '../../src/common/progress.js';
import { HMM_TESTS_DIR } from '../../src/guest/hmm-tests-binary.js';
import { GuestError, testKernel, type TestKernelRequest } from '../../src/guest/test-kernel.js';
import { fixturePath } from '../results/fixtures.js';

// testKernel end to end around a stand-in guest: the real hmm-tests compile (a constructed
// hmm-tests.c that lists the 58 cases of clean-58-pass.log with kselftest_harness.h's `-l`
// format), the real initramfs (busybox), and test/guest/stand-in/vng as `qemu-system-x86_64` and
// `vng` on PATH, replaying a real console log. What is checked is testKernel's own work: boots,
// shards, repeat, the files beside the log, the stages it reports, the result it returns.

const standIn = fileURLToPath(new URL('./stand-in/vng', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'hmmci-test-kernel-'));
const savedEnv = { PATH: process.env.PATH, STANDIN_LOG: process.env.STANDIN_LOG, STANDIN_CONSOLE: undefined };
t.teardown(() => {
  process.env.PATH = savedEnv.PATH;
  for (const k of ['STANDIN_LOG', 'STANDIN_CONSOLE']) delete process.env[k];
  rmSync(root, { recursive: true, force: true });
});

const bin = join(root, 'bin');
mkdirSync(bin);
symlinkSync(standIn, join(bin, 'qemu-system-x86_64'));
symlinkSync(standIn, join(bin, 'vng'));
process.env.PATH = `${bin}${delimiter}${process.env.PATH ?? ''}`;

const CASES = [...readFileSync(fixturePath('clean-58-pass.log'), 'utf8').matchAll(/^ok \d+ (\S+)$/gm)].map(
  (m) => m[1]!,
);

/** A tree with what testKernel reads of it: hmm-tests.c, its uapi header, a harness with `-r`. */
function sourceTree(): string {
  const src = join(root, 'src');
  mkdirSync(join(src, HMM_TESTS_DIR), { recursive: true });
  mkdirSync(join(src, 'lib'), { recursive: true });
  writeFileSync(join(src, 'lib/test_hmm_uapi.h'), '#define HMM_DMIRROR_READ 0\n');
  // harnessSelectsCases: the harness of this tree takes `-r FIXTURE.VARIANT.TEST` (shards need it).
  writeFileSync(join(src, 'tools/testing/selftests/kselftest_harness.h'), "/* case 'r': */\n");
  const rows = CASES.map((c) => {
    const [f, v, n] = c.split('.');
    return `    printf("%-20s %-25s %s\\n", "${f}", "${v}", "${n}");`;
  });
  writeFileSync(
    join(src, HMM_TESTS_DIR, 'hmm-tests.c'),
    `#include <stdio.h>
#include <string.h>
#include <lib/test_hmm_uapi.h>
int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "-l")) {
    printf("# %-18s %-25s %s\\n", "FIXTURE", "VARIANT", "TEST");
    printf("%-20s\\n", "global");
    printf("------------------------------------------------------------------------\\n");
${rows.join('\n')}
    return 0;
  }
  return HMM_DMIRROR_READ;
}
`,
  );
  return src;
}

const srcDir = sourceTree();
const buildDir = join(root, 'build');
mkdirSync(join(buildDir, 'arch/x86/boot'), { recursive: true });
mkdirSync(join(buildDir, 'lib'), { recursive: true });
writeFileSync(join(buildDir, 'arch/x86/boot/bzImage'), 'not a kernel: the stand-in guest does not read it\n');
writeFileSync(join(buildDir, 'lib/test_hmm.ko'), 'not a module\n');
const cache = cacheLayout(join(root, 'cache'));

/** A reporter that keeps every stage with its side and how it ended. */
function recorder(): { reporter: Reporter; stages: string[] } {
  const stages: string[] = [];
  const reporter: Reporter = {
    stage: (name, side) => {
      const label = side ? `${name} [${side}]` : name;
      return {
        update: () => {},
        done: (s) => (stages.push(`${label}: done ${s ?? ''}`.trim()), 0),
        fail: (s) => (stages.push(`${label}: fail ${s ?? ''}`.trim()), 0),
      };
    },
    info: () => {},
    warn: (w) => stages.push(`warn: ${w}`),
  };
  return { reporter, stages };
}

let runs = 0;
async function run(log: string, extra: Partial<TestKernelRequest> = {}) {
  process.env.STANDIN_LOG = fixturePath(log);
  const logDir = join(root, 'runs', `r${++runs}`);
  const { reporter, stages } = recorder();
  const req: TestKernelRequest = { srcDir, buildDir, cache, accel: 'tcg', logDir, reporter, ...extra };
  return { logDir, stages, req };
}

function commandOf(logDir: string, tag: string): string[] {
  return JSON.parse(readFileSync(join(logDir, `command-${tag}.json`), 'utf8')) as string[];
}

t.test('one boot under QEMU: 58 results, console log, command line and result.json beside it', async (t) => {
  const { logDir, stages, req } = await run('clean-58-pass.log');
  const out = await testKernel(req);
  t.same(out.result.counts, { pass: 58 });
  t.equal(out.runner, 'qemu');
  t.equal(out.accel, 'tcg');
  t.equal(out.consoleLogPath, join(logDir, 'console.log'));
  t.same(out.consoleLogs, [join(logDir, 'console.log')]);
  t.equal(readFileSync(out.consoleLogPath, 'utf8'), readFileSync(fixturePath('clean-58-pass.log'), 'utf8'));
  const cmd = commandOf(logDir, 'tcg');
  t.equal(cmd[0], join(bin, 'qemu-system-x86_64'));
  t.ok(cmd.includes('-initrd'), 'the initramfs is given to QEMU');
  t.equal(cmd[cmd.indexOf('-kernel') + 1], join(buildDir, 'arch/x86/boot/bzImage'));
  t.equal(out.cmdline, cmd[cmd.indexOf('-append') + 1], 'the reported cmdline is the one QEMU got');
  t.same(JSON.parse(readFileSync(join(logDir, 'result.json'), 'utf8')), JSON.parse(JSON.stringify(out)));
  t.equal(out.shape, undefined, 'the default shape is not recorded');
  t.match(stages, [
    /^hmm-tests: done 58 cases/,
    /^initramfs: done [\d.]+ MiB/,
    'boot + hmm-tests [qemu/tcg]: done 58/58 pass',
  ]);
  t.equal(stages.length, 3);
});

t.test('--repeat 2 when a boot ran hmm-tests once: a second boot runs the rest', async (t) => {
  const { logDir, stages, req } = await run('clean-58-pass.log', { repeat: 2 });
  const out = await testKernel(req);
  t.same(out.consoleLogs, [join(logDir, 'console.log'), join(logDir, 'console-boot2.log')]);
  t.ok(
    commandOf(logDir, 'tcg').some((a) => a.includes('hmmci.repeat=2')),
    'first boot asked for 2 runs',
  );
  t.ok(
    commandOf(logDir, 'tcg-boot2').some((a) => a.includes('hmmci.repeat=1')),
    'second boot for the one left',
  );
  t.same(out.shape?.boots, [2]);
  t.same(out.result.tests[0]?.repeat, { pass: 2, total: 2 });
  t.equal(stages.filter((s) => s.startsWith('boot + hmm-tests [qemu/tcg]: done 58/58 pass')).length, 2);
});

t.test('two shards boot side by side, each with its own initramfs, command and log', async (t) => {
  const { logDir, stages, req } = await run('clean-58-pass.log', { shards: 2 });
  const out = await testKernel(req);
  t.same(out.consoleLogs, [join(logDir, 'console.log'), join(logDir, 'console-shard2.log')]);
  const a = commandOf(logDir, 'tcg');
  const b = commandOf(logDir, 'tcg-shard2');
  t.not(a[a.indexOf('-initrd') + 1], b[b.indexOf('-initrd') + 1], 'one initramfs per shard (its -r list)');
  t.equal(out.shape?.shards?.length, 2);
  t.equal(out.result.tests.length, 58, 'merged in listing order');
  t.same(
    out.result.tests.map((x) => x.name),
    CASES,
  );
  t.ok(stages.includes('boot + hmm-tests [qemu/tcg shard 1/2]: done 58/58 pass'));
  t.ok(stages.some((s) => s.startsWith('initramfs [shard 2]: done')));
});

t.test('the vng runner: a run script beside the log, the console read from stderr', async (t) => {
  process.env.STANDIN_CONSOLE = 'stderr';
  t.teardown(() => {
    delete process.env.STANDIN_CONSOLE;
  });
  const { logDir, stages, req } = await run('vng-clean-58-pass.log', { runner: 'vng' });
  const out = await testKernel(req);
  t.equal(out.runner, 'vng');
  t.same(out.result.counts, { pass: 58 });
  t.ok(existsSync(join(logDir, 'vng-run.sh')));
  const cmd = commandOf(logDir, 'tcg');
  t.equal(cmd[0], join(bin, 'vng'));
  t.equal(cmd.at(-1), `sh ${join(logDir, 'vng-run.sh')}`);
  t.ok(cmd.includes('--disable-kvm'));
  t.notOk(
    stages.some((s) => s.startsWith('initramfs')),
    'no initramfs for vng',
  );
  t.ok(stages.includes('boot + hmm-tests [vng/tcg]: done 58/58 pass'));
});

t.test('a guest that never starts hmm-tests: GuestError (exit GUEST), result.json saved all the same', async (t) => {
  const { logDir, req } = await run('boot-failure-no-init.log');
  const err = await testKernel(req).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof GuestError);
  t.equal((err as GuestError).exitCode, ExitCode.GUEST);
  t.match((err as GuestError).message, /never ran hmm-tests/);
  t.ok(existsSync(join(logDir, 'result.json')));
  t.same(
    readdirSync(logDir)
      .filter((f) => f.startsWith('console'))
      .sort(),
    ['console.log'],
  );
});

t.test('a build directory without a kernel image is refused before anything runs', async (t) => {
  const { req } = await run('clean-58-pass.log', { buildDir: join(root, 'nothing') });
  await t.rejects(testKernel(req), { exitCode: ExitCode.BAD_INPUT, message: /has no kernel image/ });
});
