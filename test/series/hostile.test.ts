/**
 * Issue 9: every hostile fixture (fixtures/series/hostile, see its README) applied into a fresh
 * repository, then the worktree walked on disk: no symlink in it leaves it, whatever the series
 * did; a refusal leaves the worktree at the base and clean. Each fixture's own route is checked too.
 */
import t from 'tap';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { HmmciError } from '../../src/common/errors.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import { applySeries } from '../../src/series/apply.js';
import { ApplyError, UnsafePatchError } from '../../src/series/errors.js';
import { loadSeries } from '../../src/series/load.js';
import { renderSeriesText, summariseWarnings } from '../../src/series/render.js';
import { toSeriesJson } from '../../src/series/series.js';
import type { ApplyResult } from '../../src/series/types.js';
import { cleanup, FIXTURES, gitSync, hmmRepo, tempDir } from './helpers.js';

t.setTimeout(300_000);
const HOSTILE = join(FIXTURES, 'hostile');
const work = tempDir();
t.teardown(() => cleanup(work));
let n = 0;

/**
 * Where `path` really leads on disk, as the kernel resolves it: component by component, `..`
 * from where the walk physically is (never lexically), links followed, dangling rest appended.
 */
function physical(path: string, from = '/', hops = { n: 0 }): string {
  let cur = path.startsWith('/') ? '/' : from;
  const parts = path.split('/').filter((x) => x && x !== '.');
  for (const [i, part] of parts.entries()) {
    if (part === '..') {
      cur = dirname(cur);
      continue;
    }
    const next = join(cur, part);
    let st;
    try {
      st = lstatSync(next);
    } catch {
      return [next, ...parts.slice(i + 1)].join('/');
    }
    if (st.isSymbolicLink()) {
      if (++hops.n > 40) return '/(loop)';
      cur = physical(readlinkSync(next), cur, hops);
    } else cur = next;
  }
  return cur;
}

/** Every symlink under `dir` (not .git) whose destination is outside `dir`. */
function linksLeaving(dir: string, root = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (dir === root && name === '.git') continue;
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) {
      const dest = physical(p);
      if (dest !== root && !dest.startsWith(`${root}${sep}`)) out.push(`${p.slice(root.length + 1)} -> ${dest}`);
    } else if (st.isDirectory()) out.push(...linksLeaving(p, root));
  }
  return out;
}

async function attempt(name: string): Promise<{ repo: string; base: string; result?: ApplyResult; error?: unknown }> {
  const { path: repo, base } = hmmRepo(join(work, `repo-${++n}`));
  try {
    const series = await loadSeries(join(HOSTILE, name));
    return { repo, base, result: await applySeries({ series, worktree: repo }) };
  } catch (error) {
    return { repo, base, error };
  }
}

const fixtures = readdirSync(HOSTILE).filter((f) => /\.(mbox|eml)$/.test(f));

t.test('every hostile fixture, applied into a fresh repository: no symlink leaves the worktree', async (t) => {
  t.ok(fixtures.length >= 12, `${fixtures.length} fixtures`);
  for (const name of fixtures) {
    const r = await attempt(name);
    t.same(linksLeaving(r.repo), [], `${name}: no link leaves the worktree (${r.error ? 'refused' : 'applied'})`);
    if (r.error) {
      t.ok(
        r.error instanceof HmmciError,
        `${name}: refused with a hmmci error, not a crash (${String(r.error).slice(0, 120)})`,
      );
      t.equal(gitSync(r.repo, ['rev-parse', 'HEAD']).trim(), r.base, `${name}: nothing left applied`);
      t.equal(gitSync(r.repo, ['status', '--porcelain']), '', `${name}: worktree clean`);
    }
  }
});

t.test('a symlink whose target hides in a GIT binary patch is refused after git am (exit 3)', async (t) => {
  const r = await attempt('symlink-target-in-binary-patch.mbox');
  t.type(r.error, UnsafePatchError);
  t.equal((r.error as HmmciError).exitCode, ExitCode.BAD_INPUT);
  t.match((r.error as Error).message, /symlink mm\/hmm-data -> "\/etc\/passwd" points at the absolute path/);
});

t.test('a file section after a one-block binary patch is seen and checked', async (t) => {
  const s = await loadSeries(join(HOSTILE, 'hidden-section-after-binary-block.mbox'));
  t.same(
    s.patches[0]!.changes.map((c) => c.to),
    ['tools/testing/selftests/mm/hmm-data.bin', 'tools/testing/selftests/mm/hmm-data'],
  );
  const r = await attempt('hidden-section-after-binary-block.mbox');
  t.type(r.error, UnsafePatchError);
  t.match(
    (r.error as Error).message,
    /hmm-data, which is a symlink to "..\/..\/..\/..\/..\/..\/etc\/shadow", outside the tree/,
  );
});

t.test('a chain of links the text check accepts (mm/x/a -> ../.., mm/b -> x/a/../etc) is refused', async (t) => {
  const r = await attempt('symlink-chain-out-of-tree.mbox');
  t.type(r.error, UnsafePatchError);
  t.match((r.error as Error).message, /symlink mm\/b -> "x\/a\/..\/etc" climbs above the top of the worktree/);
});

t.test('a mail ending in a GIT binary patch without signature: every file is committed', async (t) => {
  const r = await attempt('binary-patch-last-no-signature.mbox');
  t.error(r.error);
  const files = gitSync(r.repo, ['show', '--name-only', '--format=', 'HEAD']).trim().split('\n');
  t.same(files, ['mm/hmm.c', 'tools/testing/selftests/mm/hmm-data.bin']);
  t.equal(readFileSync(join(r.repo, 'tools/testing/selftests/mm/hmm-data.bin')).length, 1024);
  const text = renderSeriesText(await loadSeries(join(HOSTILE, 'binary-patch-last-no-signature.mbox')));
  t.match(text, /tools\/testing\/selftests\/mm\/hmm-data\.bin binary\n/, 'shown as binary, not +0 -0');
});

t.test(
  'a corrupt GIT binary patch git am commits without its file: refused, naming the file, nothing applied',
  async (t) => {
    const r = await attempt('binary-patch-corrupt-base85.mbox');
    t.type(r.error, ApplyError);
    t.equal((r.error as HmmciError).exitCode, ExitCode.APPLY_FAILED);
    t.match(
      (r.error as Error).message,
      /names "tools\/testing\/selftests\/mm\/hmm-data\.bin", but git am committed it without that file/,
    );
    t.equal(gitSync(r.repo, ['rev-parse', 'HEAD']).trim(), r.base);
  },
);

t.test(
  'terminal escapes in subject and author: visible on the terminal, exact in JSON and in the commit',
  async (t) => {
    const s = await loadSeries(join(HOSTILE, 'terminal-escapes.mbox'));
    const text = renderSeriesText(s);
    t.notMatch(text, /[\x07\x1b]/, 'no raw ESC or BEL');
    t.match(text, /mm\/hmm: \\x1b\[2J\\x1b\]0;owned\\x07clear the screen/);
    t.match(text, /Eve \\x1b\[31mRed\\x1b\[0m/);
    const json = toSeriesJson(s);
    t.equal(json.patches[0]!.subject, 'mm/hmm: \x1b[2J\x1b]0;owned\x07clear the screen');
    t.equal(json.patches[0]!.author, 'Eve \x1b[31mRed\x1b[0m <eve@example.org>');
    const r = await attempt('terminal-escapes.mbox');
    t.error(r.error);
    t.equal(gitSync(r.repo, ['log', '-1', '--format=%an']).trim(), 'Eve \x1b[31mRed\x1b[0m');
  },
);

t.test('an escape sequence in a file name: the refusal shows it as \\x1b', async (t) => {
  const r = await attempt('terminal-escape-in-file-name.mbox');
  t.type(r.error, UnsafePatchError);
  const e = r.error as UnsafePatchError;
  t.notMatch(`${e.message}\n${e.details.join('\n')}`, /\x1b/);
  t.match(e.message, /mm\/\\x1b\[2Jevil\.c, which contains control characters/);
});

t.test('a CRLF file sent base64: its CRs are kept, as git am keeps them', async (t) => {
  const r = await attempt('crlf-file-base64.mbox');
  t.error(r.error);
  t.equal(
    readFileSync(join(r.repo, 'Documentation/mm/hmm-crlf.txt'), 'latin1'),
    'HMM notes\r\nkept with CRLF line ends\r\n',
  );
});

t.test("an unreadable Date: null and a warning in show; git am's own refusal quoted by apply", async (t) => {
  const s = await loadSeries(join(HOSTILE, 'date-unreadable.mbox'));
  t.equal(toSeriesJson(s).patches[0]!.date, null);
  t.match(
    summariseWarnings(s.warnings)
      .map((w) => w.message)
      .join('\n'),
    /cannot read \("bogus"\)/,
  );
  const r = await attempt('date-unreadable.mbox');
  t.equal((r.error as HmmciError).exitCode, ExitCode.BAD_INPUT);
  t.match((r.error as Error).message, /git am refused patch 1\/1 .*"fatal: invalid date format: bogus"/);
});

t.test('a name git refuses and a NUL after 64 KiB: git am\'s message, not "does not apply"', async (t) => {
  const ident = await attempt('author-bad-ident.mbox');
  t.notOk(ident.error instanceof ApplyError);
  t.match((ident.error as Error).message, /"fatal: name consists only of disallowed characters: \."/);
  const nul = await attempt('nul-after-64k.mbox');
  t.notOk(nul.error instanceof ApplyError);
  t.match((nul.error as Error).message, /"error: a NUL byte in commit log message not allowed\."/);
});

t.test('MIME nested past the limit says "nested too deeply", not "no patch"', async (t) => {
  await t.rejects(
    loadSeries(join(HOSTILE, 'mime-nested-too-deeply.eml')),
    /MIME multiparts nested too deeply \(more than 16 levels\)/,
  );
});

t.test("a commit message quoting another mail's header block is applied, not refused as merged mails", async (t) => {
  const s = await loadSeries(join(HOSTILE, 'quoted-header-block-in-message.mbox'));
  t.notOk(s.warnings.some((w) => w.kind === 'merged-messages'));
  const r = await attempt('quoted-header-block-in-message.mbox');
  t.error(r.error);
  t.match(
    gitSync(r.repo, ['log', '-1', '--format=%B']),
    /\nFrom: Nit Picker <nit\.picker@example\.net>\nSubject: hmm\.c kernel-doc says "ie"\n/,
  );
});
