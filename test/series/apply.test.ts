import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../../src/common/errors.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import { applySeries, assertApplicable } from '../../src/series/apply.js';
import { buildSeries } from '../../src/series/series.js';
import { parseMailBytes } from '../../src/series/load.js';
import { ApplyError, UnsafePatchError } from '../../src/series/errors.js';
import { loadSeries } from '../../src/series/load.js';
import { cleanup, FIXTURES, gitSync, hmmRepo, tempDir } from './helpers.js';

const work = tempDir();
t.teardown(() => cleanup(work));
let n = 0;

/** A repository of the real 6.12 HMM files plus a worktree of it, as hmmci's slots are. */
function setup() {
  const { path, base } = hmmRepo(join(work, `repo-${++n}`));
  const wt = join(work, `wt-${n}`);
  gitSync(path, ['worktree', 'add', '-q', '--detach', wt, base]);
  return { repo: path, wt, base };
}

function state(repo: string, wt: string) {
  return {
    repoHead: gitSync(repo, ['rev-parse', 'HEAD']),
    repoStatus: gitSync(repo, ['status', '--porcelain', '--ignored']),
    wtHead: gitSync(wt, ['rev-parse', 'HEAD']),
    wtStatus: gitSync(wt, ['status', '--porcelain', '--ignored']),
    branches: gitSync(repo, ['for-each-ref', 'refs/heads']),
  };
}

let sharedRepo: ReturnType<typeof setup> | undefined;
/** A setup reused by tests that must leave it untouched anyway. */
function shared() {
  sharedRepo ??= setup();
  return sharedRepo;
}

const series = (name: string) => loadSeries(join(FIXTURES, name));

t.test('benign-3 applies: one commit per patch, authors and messages kept, cover letter skipped', async (t) => {
  const { repo, wt, base } = setup();
  const before = gitSync(repo, ['rev-parse', 'HEAD']);
  const r = await applySeries({ series: await series('benign-3.mbox'), worktree: wt });
  t.equal(r.base, base);
  t.same(
    r.commits.map((c) => `${c.index} ${c.subject}`),
    [
      '1 mm/hmm: document the restart address in struct hmm_vma_walk',
      '2 lib/test_hmm: factor out the end address of a dmirror command',
      '3 selftests/mm: hmm-tests: hint at test_hmm when the device cannot be opened',
    ],
  );
  t.equal(gitSync(wt, ['rev-parse', 'HEAD']).trim(), r.commits[2]?.sha);
  t.equal(
    gitSync(wt, ['log', '-1', '--format=%an <%ae>|%ad|%s', '--date=iso-strict', r.commits[1]!.sha]).trim(),
    'Dana Mirror <dana.mirror@example.org>|2024-11-04T10:05:00+01:00|lib/test_hmm: factor out the end address of a dmirror command',
  );
  t.match(
    gitSync(wt, ['log', '-1', '--format=%b', r.commits[1]!.sha]),
    /Reviewed-by: Sam Reviewer <sam\.reviewer@example\.org>\nSigned-off-by: Dana Mirror/,
  );
  t.match(
    readFileSync(join(wt, 'lib/test_hmm.c'), 'utf8'),
    /static unsigned long dmirror_cmd_end\(const struct hmm_dmirror_cmd \*cmd\)/,
  );
  t.equal(gitSync(repo, ['rev-parse', 'HEAD']), before, "the repository's own checkout did not move");
  t.equal(gitSync(wt, ['status', '--porcelain']), '');
});

t.test('every series written against 6.12 applies, including the RFC (accented author kept)', async (t) => {
  // One worktree for all: applySeries resets it to the base each time.
  const { wt, base } = setup();
  // (oops and hang are applied through their quoted-printable and base64 copies; benign-3,
  // break-build and one-patch are applied by the other tests.)
  for (const name of [
    'break-test-at-2.mbox',
    'malformed/quoted-printable-oops.mbox',
    'malformed/base64-hang.mbox',
    'folder-v3-5',
  ]) {
    const s = await series(name);
    const r = await applySeries({ series: s, worktree: wt, base });
    t.equal(r.commits.length, s.patches.length, name);
  }
  const r = await applySeries({ series: await series('rfc-p2p-allow.mbox'), worktree: wt, base });
  t.equal(
    gitSync(wt, ['log', '-1', '--format=%an|%s', r.commits[0]!.sha]).trim(),
    'Thomas Hellström|mm/hmm, mm/migrate_device: Allow p2p access and p2p migration',
  );
  t.equal(
    gitSync(wt, ['rev-parse', 'HEAD:include/linux/hmm.h']).trim().slice(0, 12),
    '4de909a1e10a',
    "include/linux/hmm.h is the RFC's own post-image",
  );
  t.equal(
    gitSync(wt, ['rev-parse', 'HEAD:include/linux/migrate.h']).trim().slice(0, 12),
    '0ff085b633e3',
    "include/linux/migrate.h is the RFC's own post-image",
  );
  const rr = await applySeries({ series: await series('malformed/from-escapes.mboxrd'), worktree: wt, base });
  t.match(
    gitSync(wt, ['log', '-1', '--format=%B', rr.commits[0]!.sha]),
    /\nFrom the caller's side nothing else is needed: mmap_lock held for read\nis enough, and the walk never takes the page table lock for long\.\n>From lines in a commit message/,
    'mboxrd lines survive git am unchanged',
  );
});

t.test(
  'the stale 2019 rework: ApplyError (exit 4) naming 1/1, mm/hmm.c and all 18 hunks as context mismatch; worktree clean',
  async (t) => {
    const { repo, wt, base } = shared();
    const before = state(repo, wt);
    const err = await applySeries({ series: await series('stale-2019-hmm-rework.mbox'), worktree: wt, base }).catch(
      (e: unknown) => e,
    );
    t.ok(err instanceof ApplyError);
    const e = err as ApplyError;
    t.equal(e.exitCode, ExitCode.APPLY_FAILED);
    t.match(
      e.message,
      /^Patch 1\/1 "mm\/hmm: invalidate with struct hmm_update, use devm_memremap_pages\(\)" does not apply to [0-9a-f]{12} .*: mm\/hmm\.c \(18 hunks: context mismatch\)\./,
    );
    t.match(e.message, /The worktree was reset to the base; nothing else changed\./);
    t.equal(e.failure.failures.length, 18);
    t.ok(e.failure.failures.every((f) => f.file === 'mm/hmm.c' && f.reason === 'context-mismatch'));
    t.same(
      e.failure.failures.slice(0, 3).map((f) => `${f.hunk} @${f.line}`),
      ['@@ -11,7 +11,7 @@ @11', '@@ -43,7 +43,6 @@ @43', '@@ -52,7 +51,6 @@ @52'],
    );
    t.match(e.failure.failures[2]?.expected, ['struct hmm {']);
    t.match(
      e.details.join('\n'),
      /mm\/hmm\.c @@ -52,7 \+51,6 @@: context mismatch: the 7 lines the hunk expects at line 52 are not in the file/,
    );
    t.match(e.details.join('\n'), /… and 10 more/);
    t.same(state(repo, wt), before, 'worktree and repository exactly as before');
    t.notOk(
      existsSync(join(gitSync(wt, ['rev-parse', '--absolute-git-dir']).trim(), 'rebase-apply')),
      'no git am in progress',
    );
    t.equal(gitSync(wt, ['rev-parse', 'HEAD']).trim(), base);
  },
);

t.test('the stale hmm.txt conversion: file missing, with where the file went', async (t) => {
  const { repo, wt, base } = shared();
  const before = state(repo, wt);
  const err = (await applySeries({ series: await series('stale-hmm-txt.mbox'), worktree: wt, base }).catch(
    (e: unknown) => e,
  )) as ApplyError;
  t.ok(err instanceof ApplyError);
  t.match(
    err.message,
    /^Patch 1\/1 "docs\/vm: hmm\.txt: convert to ReST format" does not apply .*: Documentation\/vm\/hmm\.txt \(file missing\)\. The patch was written for a different tree/,
  );
  t.same(
    err.failure.failures.map((f) => f.reason),
    ['file-missing'],
  );
  t.match(
    err.failure.failures[0]?.explanation,
    /the tree has no Documentation\/vm\/hmm\.txt \(moved or renamed\? the tree has Documentation\/mm\/hmm\.rst/,
  );
  t.same(state(repo, wt), before);
});

t.test('a series applied twice: the second time says already applied', async (t) => {
  const { wt } = setup();
  const first = await applySeries({ series: await series('one-patch.mbox'), worktree: wt });
  const head = first.commits[0]!.sha;
  const err = (await applySeries({ series: await series('one-patch.mbox'), worktree: wt, base: head }).catch(
    (e: unknown) => e,
  )) as ApplyError;
  t.ok(err instanceof ApplyError);
  t.same(
    err.failure.failures.map((f) => `${f.file} ${f.reason}`),
    ['mm/hmm.c already-applied'],
  );
  t.match(err.message, /The tree already contains it/);
  t.equal(gitSync(wt, ['rev-parse', 'HEAD']).trim(), head, 'reset to the base it was asked to apply on');
});

t.test('a later patch fails: earlier commits are reset away, the report names n/N', async (t) => {
  const { wt } = setup();
  // On top of break-build 2/2 (which renames hmm_vma_walk::last), benign 1/3 (which comments
  // that very field) has stale context.
  const bb = await applySeries({ series: await series('break-build.mbox'), worktree: wt });
  const err = (await applySeries({
    series: await series('benign-3.mbox'),
    worktree: wt,
    base: bb.commits[1]!.sha,
  }).catch((e: unknown) => e)) as ApplyError;
  t.ok(err instanceof ApplyError);
  t.equal(err.failure.index, 1);
  t.match(err.message, /^Patch 1\/3 "mm\/hmm: document the restart address in struct hmm_vma_walk" does not apply/);
  t.same(
    err.failure.failures.map((f) => `${f.file} ${f.hunk} ${f.reason}`),
    ['mm/hmm.c @@ -30,6 +30,10 @@ context-mismatch'],
  );
  t.equal(gitSync(wt, ['rev-parse', 'HEAD']).trim(), bb.commits[1]!.sha);
  t.equal(gitSync(wt, ['status', '--porcelain']), '');
});

for (const [name, what] of [
  ['malformed/unsafe-dotdot.mbox', /names \.\.\/hmmci-outside\.txt, which climbs out of the tree/],
  ['malformed/unsafe-absolute.mbox', /names \/tmp\/hmmci-absolute\.txt, which is an absolute path/],
  ['malformed/unsafe-git-dir.mbox', /names \.git\/hooks\/post-applypatch, which writes into git metadata/],
  [
    'malformed/unsafe-symlink.mbox',
    /names mm\/hmm-docs, which is a symlink to "\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/tmp", outside the tree/,
  ],
] as const) {
  t.test(`refused before anything runs: ${name}`, async (t) => {
    const { repo, wt } = shared();
    const before = state(repo, wt);
    const err = await applySeries({ series: await series(name), worktree: wt }).catch((e: unknown) => e);
    t.ok(err instanceof UnsafePatchError);
    t.equal((err as UnsafePatchError).exitCode, ExitCode.BAD_INPUT);
    t.match((err as Error).message, what);
    t.same(state(repo, wt), before);
    t.notOk(existsSync('/tmp/hmmci-absolute.txt'));
    t.notOk(existsSync(join(work, 'hmmci-outside.txt')));
  });
}

t.test('a truncated mbox is refused before applying', async (t) => {
  const { repo, wt } = shared();
  const before = state(repo, wt);
  const err = await applySeries({ series: await series('malformed/truncated.mbox'), worktree: wt }).catch(
    (e: unknown) => e,
  );
  t.ok(err instanceof BadInputError);
  t.match(
    (err as Error).message,
    /patch 2\/3 "lib\/test_hmm: factor out the end address of a dmirror command" is cut short/,
  );
  t.same(state(repo, wt), before);
});

t.test('a worktree left in the middle of a git am (a run that died) is cleaned up first', async (t) => {
  const { wt, base } = setup();
  try {
    gitSync(wt, ['am', join(FIXTURES, 'stale-hmm-txt.mbox')]);
  } catch {
    /* expected: the am stops half-way */
  }
  const gitDir = gitSync(wt, ['rev-parse', '--git-dir']).trim();
  t.ok(existsSync(join(gitDir, 'rebase-apply')), 'an am is in progress');
  const r = await applySeries({ series: await series('one-patch.mbox'), worktree: wt, base });
  t.equal(r.commits.length, 1);
  t.notOk(existsSync(join(gitDir, 'rebase-apply')));
});

t.test('interrupted in the middle of the series: the am is aborted and the worktree reset to the base', async (t) => {
  const { wt, base } = setup();
  const controller = new AbortController();
  // SIGINT arrives while patch 2/4 is being applied (interruptSignal() is aborted).
  const reporter = {
    stage: () => ({
      update: (text: string) => {
        if (text.startsWith('2/4')) controller.abort(new Error('interrupted by SIGINT'));
      },
      done: () => 0,
      fail: () => 0,
    }),
    info: () => undefined,
    warn: () => undefined,
  };
  const err = await applySeries({
    series: await series('break-test-at-2.mbox'),
    worktree: wt,
    base,
    reporter,
    signal: controller.signal,
  }).catch((e: unknown) => e);
  t.ok(err instanceof Error, 'the interruption comes through');
  t.notOk(err instanceof ApplyError, 'it is not reported as a patch that does not apply');
  t.equal(gitSync(wt, ['rev-parse', 'HEAD']).trim(), base);
  t.equal(gitSync(wt, ['status', '--porcelain']), '');
  t.notOk(existsSync(join(gitSync(wt, ['rev-parse', '--absolute-git-dir']).trim(), 'rebase-apply')));
});

t.test(
  'inputs the old scanner cut short: each applies ALL its files, or is refused with nothing applied',
  async (t) => {
    const { repo, wt, base } = setup();
    const cases: Array<[string, string[] | 'refused']> = [
      ['malformed/diff-urN-two-files.patch', ['lib/test_hmm.c', 'mm/hmm.c']],
      ['malformed/blank-line-between-files.patch', ['include/linux/memremap.h', 'lib/test_hmm.c', 'mm/hmm.c']],
      ['malformed/quilt-prefixes.patch', ['include/linux/memremap.h', 'lib/test_hmm.c', 'mm/hmm.c']],
      ['malformed/hand-edited-hunk-too-long.patch', 'refused'],
      ['malformed/attached-patch-octet-stream.eml', ['include/linux/memremap.h', 'lib/test_hmm.c', 'mm/hmm.c']],
      ['malformed/interdiff-cover.mbox', ['lib/test_hmm.c', 'mm/hmm.c']],
    ];
    for (const [name, expected] of cases) {
      const s = await series(name);
      if (expected === 'refused') {
        const before = state(repo, wt);
        const err = await applySeries({ series: s, worktree: wt, base }).catch((e: unknown) => e);
        t.ok(err instanceof BadInputError, `${name}: refused`);
        t.equal((err as BadInputError).exitCode, ExitCode.BAD_INPUT);
        t.match(
          (err as Error).message,
          /patch 1\/1 "mm\/hmm: touch three files" is corrupt: hunk @@ -1,4 \+1,5 @@ of lib\/test_hmm\.c/,
        );
        t.same(state(repo, wt), before, `${name}: nothing changed`);
        continue;
      }
      const r = await applySeries({ series: s, worktree: wt, base });
      t.equal(r.commits.length, s.patches.length, `${name}: one commit per patch (a cover with a diff is not one)`);
      const changed = gitSync(wt, ['diff', '--name-only', base, r.commits[r.commits.length - 1]!.sha])
        .trim()
        .split('\n');
      t.same(changed, expected, `${name}: every file of the mail was applied`);
    }
  },
);

t.test('several mails read as one (separators not recognised) are refused, not committed as one patch', async (t) => {
  const text = readFileSync(join(FIXTURES, 'malformed/pipermail-separators.txt'), 'utf8');
  const patchesOnly = text
    .slice(text.indexOf('\nFrom thomas.hellstrom at ') + 1)
    .replace(/^From (\S+) at /gm, 'From $1 at-');
  const s = buildSeries(parseMailBytes(Buffer.from(patchesOnly), 'broken.txt'), { kind: 'mbox', input: 'broken.txt' });
  t.equal(s.patches.length, 1, 'one mail with a diff');
  t.ok(s.warnings.some((w) => w.kind === 'merged-messages'));
  t.throws(
    () => assertApplicable(s),
    /patch 1\/12 "mm\/hmm: fix \[hmm_vma_walk\] comment \(take 2\)" holds 11 more mail header blocks/,
  );
});
