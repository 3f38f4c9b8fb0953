/**
 * Differential testing against the installed git (issue 9): for every fixture git am can take as
 * it is, the commits `hmmci apply` makes have the author, date, subject and tree that `git am`
 * gives them; where git am refuses a mail, so does hmmci (exceptions named, on purpose).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { applySeries } from '../../src/series/apply.js';
import { ApplyError, UnsafePatchError } from '../../src/series/errors.js';
import { loadSeries } from '../../src/series/load.js';
import { isMboxrd, textLines } from '../../src/series/mbox.js';
import { gitMailView, mailFiles } from './git-oracle.js';
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

t.test(
  'hmmci apply commits what git am commits (author, date, subject, tree) for every fixture git am takes as it is',
  async (t) => {
    let compared = 0;
    // One repository per side, reset between fixtures (applySeries resets its own on failure).
    const a = hmmRepo(join(work, 'git'));
    const b = hmmRepo(join(work, 'hmmci'));
    for (const file of files) {
      const name = relative(FIXTURES, file);
      let series;
      try {
        series = await loadSeries(file);
      } catch {
        continue;
      }
      // git am takes a whole mbox only when every mail is a patch, in order, without a cover letter.
      const plain =
        !series.cover &&
        series.warnings.every(
          (w) => !['not-a-patch', 'out-of-order', 'duplicate', 'mixed-versions', 'missing-patch'].includes(w.kind),
        );
      if (!plain || gitMailView(file).length !== series.patches.length) continue;
      spawnSync('git', ['am', '--abort'], { cwd: a.path });
      gitSync(a.path, ['checkout', '-q', '-f', '--detach', a.base]);
      gitSync(a.path, ['clean', '-fdxq']);
      gitSync(b.path, ['checkout', '-q', '-f', '--detach', b.base]);
      gitSync(b.path, ['clean', '-fdxq']);
      const am = spawnSync(
        'git',
        [
          'am',
          '--quiet',
          ...(isMboxrd(textLines(readFileSync(file, 'latin1'))) ? ['--patch-format=mboxrd'] : []),
          file,
        ],
        {
          cwd: a.path,
          env: {
            ...process.env,
            GIT_CONFIG_NOSYSTEM: '1',
            GIT_CONFIG_GLOBAL: '/dev/null',
            GIT_COMMITTER_NAME: 'c',
            GIT_COMMITTER_EMAIL: 'c@c',
            LANG: 'C',
            LC_ALL: 'C',
          },
          encoding: 'utf8',
        },
      );
      const ours = await applySeries({ series, worktree: b.path }).then(
        () => undefined,
        (err: Error) => err,
      );
      if (APPLY_EXCEPTIONS[name]) {
        t.ok(
          am.status !== 0 && !ours,
          `${name}: git am refuses it, hmmci applies it on purpose: ${APPLY_EXCEPTIONS[name]}`,
        );
        continue;
      }
      if (am.status !== 0) {
        t.ok(ours, `${name}: git am refuses it (${am.stderr.trim().split('\n')[0]}), and so does hmmci`);
        continue;
      }
      if (ours instanceof UnsafePatchError) {
        t.pass(`${name}: git am applies it, hmmci refuses it on purpose: ${ours.problems[0]}`);
        continue;
      }
      if (ours instanceof ApplyError && ours.failure.failures.every((f) => f.reason === 'corrupt')) {
        t.pass(
          `${name}: git am commits it without a file of its diff, hmmci refuses it on purpose: ${ours.failure.gitOutput}`,
        );
        continue;
      }
      t.error(ours, `${name}: git am applies it, so does hmmci`);
      t.same(commits(b.path, b.base), commits(a.path, a.base), `${name}: same commits`);
      compared++;
    }
    t.ok(compared >= 20, `${compared} fixtures compared commit by commit`);
  },
);
