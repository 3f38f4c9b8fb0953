import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { HmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { run } from '../common/exec.js';
import { shortHash } from '../common/hash.js';
import { parseListing } from '../results/listing.js';

export const HMM_TESTS_DIR = 'tools/testing/selftests/mm';

/**
 * gcc arguments for a static hmm-tests, from the flags the selftest Makefile really uses
 * (tools/testing/selftests/mm/Makefile + lib.mk): `-I $(top_srcdir)` so <lib/test_hmm_uapi.h>
 * and <mm/gup_test.h> come from the tree under test (a series may change them),
 * `-isystem tools/include/uapi`, -U_FORTIFY_SOURCE, -D_GNU_SOURCE=. KHDR_INCLUDES
 * (usr/include from headers_install) is left out: the host's kernel headers serve, and
 * hmm-tests only needs test_hmm_uapi.h from the tree.
 */
export function hmmTestsCompileArgs(srcDir: string, out: string): string[] {
  return [
    '-static',
    '-Wall',
    '-O2',
    '-U_FORTIFY_SOURCE',
    '-D_GNU_SOURCE=',
    '-I',
    srcDir,
    '-isystem',
    join(srcDir, 'tools/include/uapi'),
    join(srcDir, HMM_TESTS_DIR, 'hmm-tests.c'),
    '-lpthread',
    '-o',
    out,
  ];
}

export interface HmmTestsBinary {
  path: string;
  /** Case names from `hmm-tests -l`, in run order. */
  cases: string[];
  ms: number;
  cached: boolean;
}

/**
 * Compile hmm-tests statically from srcDir into `dir`, keyed by the hash of its sources (the .c,
 * the harness headers and the uapi headers it includes), and list its cases with its own `-l`.
 */
export async function buildHmmTests(opts: {
  srcDir: string;
  dir: string;
  signal?: AbortSignal;
}): Promise<HmmTestsBinary> {
  const started = Date.now();
  const sources = [
    join(HMM_TESTS_DIR, 'hmm-tests.c'),
    'tools/testing/selftests/kselftest_harness.h',
    'tools/testing/selftests/kselftest.h',
    'lib/test_hmm_uapi.h',
    'mm/gup_test.h',
  ];
  const main = join(opts.srcDir, sources[0]!);
  if (!existsSync(main)) {
    throw new HmmciError(
      `The kernel tree ${opts.srcDir} has no ${sources[0]}: hmmci needs the hmm selftest from the tree under test. Point --tree at a Linux source tree (5.9 or later).`,
      { exitCode: ExitCode.TREE },
    );
  }
  const key = shortHash(
    ...sources.map((s) => (existsSync(join(opts.srcDir, s)) ? readFileSync(join(opts.srcDir, s), 'utf8') : '')),
  );
  mkdirSync(opts.dir, { recursive: true });
  const out = join(opts.dir, `hmm-tests-${key}`);
  const cached = existsSync(out);
  if (!cached) await compileOnce(opts.srcDir, out, opts.signal);
  const list = await run(out, ['-l'], { timeoutMs: 10_000 });
  const cases = parseListing(`${list.stdout}\n${list.stderr}`);
  return { path: out, cases, ms: Date.now() - started, cached };
}

/**
 * Compiles of this process by output path: the test stage and a `prepare` that overlaps the
 * kernel build (or a baseline boot beside the patched build) may ask for the same binary at once;
 * the second waits for the first instead of compiling it again into the same file.
 */
const inFlight = new Map<string, Promise<void>>();

function compileOnce(srcDir: string, out: string, signal?: AbortSignal): Promise<void> {
  const running = inFlight.get(out);
  if (running) return running;
  const p = compile(srcDir, out, signal).finally(() => inFlight.delete(out));
  inFlight.set(out, p);
  return p;
}

async function compile(srcDir: string, out: string, signal?: AbortSignal): Promise<void> {
  const tmp = `${out}.tmp${process.pid}-${randomBytes(4).toString('hex')}`;
  const args = hmmTestsCompileArgs(srcDir, tmp);
  const r = await run('gcc', args, { cwd: join(srcDir, HMM_TESTS_DIR), signal });
  if (r.exitCode !== 0) {
    throw new HmmciError(
      `hmm-tests from ${srcDir} does not compile (static, gcc). If the series changes hmm-tests.c or lib/test_hmm_uapi.h, that is its bug; otherwise check that glibc's static libraries (libc6-dev) are installed.`,
      {
        exitCode: ExitCode.BUILD_FAILED,
        command: ['gcc', ...args],
        commandExitCode: r.exitCode,
        details: r.stderr
          .trim()
          .split('\n')
          .filter((l) => /error/.test(l))
          .slice(0, 8),
      },
    );
  }
  renameSync(tmp, out);
}
