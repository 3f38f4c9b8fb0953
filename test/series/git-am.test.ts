/**
 * Differential testing against the installed git (issue 9): for every fixture git am can take as
 * it is, the commits `hmmci apply` makes have the author, date, subject and tree that `git am`
 * gives them; where git am refuses a mail, so does hmmci (exceptions named, on purpose).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { applySeries } from '../../src/series/apply.js';
import { ApplyError, UnsafePatchError } from '../../src/series/errors.js';
import { loadSeries } from '../../src/series/load.js';
import { isMboxrd, textLines } from '../../src/series/mbox.js';
import { gitMailCount, mailFiles } from './git-oracle.js';
import { cleanup, FIXTURES, gitSync, hmmRepo, tempDir } from './helpers.js';

t.setTimeout(300_000);

/** Mails git am refuses and hmmci applies on purpose. */
const APPLY_EXCEPTIONS: Record<string, string> = {
  'malformed/attached-patch-octet-stream.eml':
    'the patch is an attached format-patch mail (its part says US-ASCII but holds UTF-8, which git cannot convert)',
  'malformed/attached-patch-x-patch.eml':
    'the patch is an attached format-patch mail (its part says US-ASCII but holds UTF-8, which git cannot convert)',
};

const files = mailFiles(FIXTURES);
const work = tempDir();
t.teardown(() => cleanup(work));

/** `%an %ae %aI %s %T` of the commits base..HEAD. */
function commits(repo: string, base: string): string[] {
  return gitSync(repo, ['log', '--reverse', '--format=%an%x00%ae%x00%aI%x00%s%x00%T', `${base}..HEAD`])
    .split('\n')
    .filter(Boolean);
}

const AM_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_COMMITTER_NAME: 'c',
  GIT_COMMITTER_EMAIL: 'c@c',
  LANG: 'C',
  LC_ALL: 'C',
};

/** Run git (no shell) without blocking the other worker: exit status and stderr. */
function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = AM_ENV): Promise<Exit> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const p = spawn('git', args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject).on('close', (status) => resolve({ status, stderr }));
  });
}

async function reset(repo: { path: string; base: string }): Promise<void> {
  for (const args of [
    ['checkout', '-q', '-f', '--detach', repo.base],
    ['clean', '-fdxq'],
  ]) {
    const r = await git(repo.path, args);
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} in ${repo.path}: ${r.stderr}`);
  }
}

interface Exit {
  status: number | null;
  stderr: string;
}

/** What one fixture showed: the assertions are made from these, in fixture order. */
type Seen =
  | { kind: 'skipped' }
  | { kind: 'exception'; am: Exit; ours?: Error }
  | { kind: 'both-refuse'; am: Exit; ours?: Error }
  | { kind: 'applied'; ours?: Error; theirs: string[]; mine: string[] };

/** One fixture through git am (repo `a`) and hmmci apply (repo `b`), each reset first. */
async function compare(
  file: string,
  a: { path: string; base: string },
  b: { path: string; base: string },
): Promise<Seen> {
  let series;
  try {
    series = await loadSeries(file);
  } catch {
    return { kind: 'skipped' };
  }
  // git am takes a whole mbox only when every mail is a patch, in order, without a cover letter.
  const plain =
    !series.cover &&
    series.warnings.every(
      (w) => !['not-a-patch', 'out-of-order', 'duplicate', 'mixed-versions', 'missing-patch'].includes(w.kind),
    );
  if (!plain || (await gitMailCount(file)) !== series.patches.length) return { kind: 'skipped' };
  await git(a.path, ['am', '--abort']);
  await reset(a);
  await reset(b);
  const am = await git(a.path, [
    'am',
    '--quiet',
    ...(isMboxrd(textLines(readFileSync(file, 'latin1'))) ? ['--patch-format=mboxrd'] : []),
    file,
  ]);
  const ours = await applySeries({ series, worktree: b.path }).then(
    () => undefined,
    (err: Error) => err,
  );
  if (APPLY_EXCEPTIONS[relative(FIXTURES, file)]) return { kind: 'exception', am, ours };
  if (am.status !== 0) return { kind: 'both-refuse', am, ours };
  return { kind: 'applied', ours, theirs: commits(a.path, a.base), mine: commits(b.path, b.base) };
}

t.test(
  'hmmci apply commits what git am commits (author, date, subject, tree) for every fixture git am takes as it is',
  async (t) => {
    let compared = 0;
    // Two workers, each with one repository per side, reset between fixtures (applySeries resets
    // its own on failure); the fixtures alternate between them, the assertions keep fixture order.
    const pairs = [0, 1].map((k) => [hmmRepo(join(work, `git-${k}`)), hmmRepo(join(work, `hmmci-${k}`))] as const);
    const seen = new Map<string, Seen>();
    await Promise.all(
      pairs.map(async ([a, b], k) => {
        for (const file of files.filter((_, i) => i % pairs.length === k)) seen.set(file, await compare(file, a, b));
      }),
    );
    for (const file of files) {
      const name = relative(FIXTURES, file);
      const s = seen.get(file) as Seen;
      if (s.kind === 'skipped') continue;
      if (s.kind === 'exception') {
        t.ok(
          s.am.status !== 0 && !s.ours,
          `${name}: git am refuses it, hmmci applies it on purpose: ${APPLY_EXCEPTIONS[name]}`,
        );
        continue;
      }
      if (s.kind === 'both-refuse') {
        t.ok(s.ours, `${name}: git am refuses it (${s.am.stderr.trim().split('\n')[0]}), and so does hmmci`);
        continue;
      }
      if (s.ours instanceof UnsafePatchError) {
        t.pass(`${name}: git am applies it, hmmci refuses it on purpose: ${s.ours.problems[0]}`);
        continue;
      }
      if (s.ours instanceof ApplyError && s.ours.failure.failures.every((f) => f.reason === 'corrupt')) {
        t.pass(
          `${name}: git am commits it without a file of its diff, hmmci refuses it on purpose: ${s.ours.failure.gitOutput}`,
        );
        continue;
      }
      t.error(s.ours, `${name}: git am applies it, so does hmmci`);
      t.same(s.mine, s.theirs, `${name}: same commits`);
      compared++;
    }
    t.ok(compared >= 20, `${compared} fixtures compared commit by commit`);
  },
);
