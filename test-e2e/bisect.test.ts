import t from 'tap';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheLayout, cacheRoot } from '../src/common/cache.js';
import { resolveTree } from '../src/tree/resolve.js';

// End to end, real stages: the default tree from linux-source-6.12, real incremental kbuild
// builds in one slot, real QEMU boots running hmm-tests. fixtures/series/break-test-at-2.mbox
// breaks exactly one test (hmm2.hmm2_device_coherent.snapshot) from patch 2 of 4 on.
const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'bin', 'hmmci.js');
const SERIES = 'fixtures/series/break-test-at-2.mbox';
const SNAPSHOT = 'hmm2.hmm2_device_coherent.snapshot';
const work = mkdtempSync(join(tmpdir(), 'hmmci-e2e-bisect-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

function hmmci(
  args: string[],
  opts: { cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: opts.cwd ?? root, maxBuffer: 256 * 1024 * 1024, timeout: 50 * 60_000 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

interface Report {
  firstBad: { index: number; total: number; sha: string; subject: string } | null;
  flipped: string[];
  steps: Array<{
    sha: string;
    subject: string;
    verdict: string;
    ms: number;
    index: number;
    built: boolean;
    role?: string;
    rerun?: boolean;
  }>;
  skipped: string[];
  status: string;
  builds: number;
  totalMs: number;
  flaky: string[];
}

/** Report figures for the lead: steps, builds and wall time (tap comments). */
function measured(t: { comment(...args: unknown[]): void }, what: string, r: Report, wallMs: number) {
  const search = r.steps.filter((s) => !s.role);
  t.comment(
    `${what}: ${search.length} steps (${r.steps.length} incl. ends), ${r.builds} builds, bisect ${(r.totalMs / 1000).toFixed(1)} s, command ${(wallMs / 1000).toFixed(1)} s`,
  );
  for (const s of r.steps)
    t.comment(
      `  ${s.role ?? (s.rerun ? 'again' : 'step')} ${s.index}/${r.firstBad?.total ?? '?'} ${s.verdict} ${(s.ms / 1000).toFixed(1)} s${s.built ? '' : ' (no build)'} ${s.subject}`,
    );
}

t.test('bisect of a series: the planted regression at patch 2 of 4 is found', async (t) => {
  const r = await hmmci(['bisect', SERIES, '--json']);
  t.equal(r.code, 0, 'exits 0', { stderr: r.stderr.slice(-3000) });
  const report = JSON.parse(r.stdout) as Report;
  measured(t, 'bisect break-test-at-2 (4 patches)', report, r.ms);
  t.equal(report.status, 'found');
  t.equal(report.firstBad?.index, 2);
  t.equal(report.firstBad?.total, 4);
  t.match(report.firstBad?.subject, /report device coherent pages as local/);
  t.same(report.flipped, [SNAPSHOT]);
  t.same(report.skipped, []);
  t.same(report.flaky, []);
  const searchBuilds = report.steps.filter((s) => !s.role && s.built).length;
  t.ok(searchBuilds <= Math.ceil(Math.log2(4)) + 1, `${searchBuilds} builds between the ends ≤ ⌈log2 4⌉ + 1`);
  t.match(r.stderr, /step 1 of about \d+/, 'progress names the step and the estimate');
  t.match(r.stderr, /first bad is one of \d+\.\.\d+/, 'and the range left');
});

/** A user's checkout: the default tree cloned (objects shared) with the series committed on a branch. */
async function userCheckout(): Promise<{ repo: string; base: string; tip: string }> {
  const env = {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Dev',
    GIT_AUTHOR_EMAIL: 'dev@example.org',
    GIT_COMMITTER_NAME: 'Dev',
    GIT_COMMITTER_EMAIL: 'dev@example.org',
  };
  const git = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();
  const tree = await resolveTree({ cache: cacheLayout(cacheRoot()) });
  const repo = join(work, 'linux');
  git(work, ['clone', '-q', '--shared', '--no-checkout', tree.path, repo]);
  git(repo, ['checkout', '-q', '-b', 'topic', tree.baseline]);
  const base = tree.baseline;
  // git am the four patches (mailsplit, then everything but the 0/4 cover letter).
  const split = join(work, 'split');
  mkdirSync(split);
  git(work, ['mailsplit', `-o${split}`, join(root, SERIES)]);
  git(repo, ['am', '-q', '-3', ...['0002', '0003', '0004', '0005'].map((n) => join(split, n))]);
  return { repo, base, tip: git(repo, ['rev-parse', 'HEAD']) };
}

t.test("bisect --good/--bad over a user checkout runs in hmmci's worktree; the checkout is untouched", async (t) => {
  const { repo, base, tip } = await userCheckout();
  writeFileSync(
    join(repo, 'mm', 'hmm.c'),
    `${readFileSync(join(repo, 'mm', 'hmm.c'), 'utf8')}/* work in progress */\n`,
  );
  const state = () =>
    execFileSync('git', ['-C', repo, 'status', '--porcelain=v2', '--branch', '--untracked-files=all'], {
      encoding: 'utf8',
    }) + readFileSync(join(repo, '.git', 'index')).toString('hex');
  const before = state();
  const r = await hmmci(['bisect', '--good', base, '--bad', tip, '--tree', repo, '--json']);
  t.equal(r.code, 0, 'exits 0', { stderr: r.stderr.slice(-3000) });
  const report = JSON.parse(r.stdout) as Report;
  measured(t, 'bisect --good/--bad (4 commits, ends tested)', report, r.ms);
  t.equal(report.firstBad?.index, 2);
  t.same(report.flipped, [SNAPSHOT]);
  t.equal(state(), before, 'branch, HEAD, index and the work in progress are as they were');
  t.match(readFileSync(join(repo, 'mm', 'hmm.c'), 'utf8'), /work in progress/);
});

t.test('git bisect run hmmci bisect-step finds the same commit', async (t) => {
  const repo = join(work, 'linux');
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  const git = (args: string[]) => execFileSync('git', args, { cwd: repo, env, encoding: 'utf8' });
  git(['checkout', '-q', '-f', 'topic']);
  const started = Date.now();
  git(['bisect', 'start', 'topic', 'topic~4']);
  const out = git(['bisect', 'run', process.execPath, bin, 'bisect-step', '--test', SNAPSHOT]);
  t.comment(`git bisect run: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.match(out, /is the first bad commit/);
  t.match(out, /report device coherent pages as local/);
  git(['bisect', 'reset']);
  t.equal(
    execFileSync('git', ['-C', repo, 'status', '--porcelain', '--untracked-files=all'], { encoding: 'utf8' }).trim(),
    '',
    'bisect-step left no build output in the checkout',
  );
});
