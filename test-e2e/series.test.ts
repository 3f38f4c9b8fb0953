// End to end on the real default tree (Debian's linux-source-6.12, prepared in the cache by
// `hmmci tree prepare` or on first use): the RFC fixture applies in a throwaway worktree, the
// two stale mailing-list patches fail with a precise report, and nothing of the tree changes.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheLayout, cacheRoot } from '../src/common/cache.js';
import { ExitCode } from '../src/common/exit-codes.js';
import { createReporter } from '../src/common/progress.js';
import { applySeries } from '../src/series/apply.js';
import { resolveBase } from '../src/series/base.js';
import { ApplyError } from '../src/series/errors.js';
import { loadSeries } from '../src/series/load.js';
import { git } from '../src/tree/git.js';
import { resolveTree } from '../src/tree/resolve.js';
import { createWorktree } from '../src/tree/worktree.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const fixture = (name: string) => join(root, 'fixtures', 'series', name);
const cache = cacheLayout(cacheRoot());
const reporter = createReporter({ throttleMs: 15_000 });

t.test('the p2p RFC applies to the default 6.12 tree; the stale patches do not, precisely', async (t) => {
  const tree = await resolveTree({ cache, reporter });
  t.equal(tree.kind, 'default');
  const treeHead = (await git(tree.path, ['rev-parse', 'HEAD'])).trim();
  const treeStatus = await git(tree.path, ['status', '--porcelain']);
  const wt = await createWorktree(tree, tree.baseline, cache);
  t.teardown(() => wt.remove());

  const rfc = await loadSeries(fixture('rfc-p2p-allow.mbox'));
  const base = await resolveBase({
    repo: tree.path,
    baseCommit: rfc.baseCommit,
    baseline: tree.baseline,
    baselineName: 'hmmci/baseline',
  });
  t.equal(base.source, 'baseline');
  const started = Date.now();
  const r = await applySeries({ series: rfc, worktree: wt.path, base, reporter });
  t.comment(`RFC applied in ${Date.now() - started} ms: ${r.commits[0]?.sha}`);
  t.equal(r.commits.length, 1);
  t.equal(
    (await git(wt.path, ['log', '-1', '--format=%an|%s'])).trim(),
    'Thomas Hellström|mm/hmm, mm/migrate_device: Allow p2p access and p2p migration',
  );
  t.match(
    readFileSync(join(wt.path, 'mm/hmm.c'), 'utf8'),
    /static bool hmm_allow_devmem\(struct hmm_range \*range, struct page \*page\)/,
  );
  t.match(
    readFileSync(join(wt.path, 'mm/migrate_device.c'), 'utf8'),
    /MIGRATE_VMA_SELECT_DEVICE_P2P\) \|\|\n\t\t\t    !migrate_vma_allow_p2p\(migrate, page\)\)/,
  );
  t.equal(
    (await git(wt.path, ['rev-parse', 'HEAD:include/linux/hmm.h'])).trim().slice(0, 12),
    '4de909a1e10a',
    "the RFC's own post-image blob",
  );

  const stale = await loadSeries(fixture('stale-2019-hmm-rework.mbox'));
  const err = (await applySeries({ series: stale, worktree: wt.path, base, reporter }).catch(
    (e: unknown) => e,
  )) as ApplyError;
  t.ok(err instanceof ApplyError, 'the 2019 rework does not apply');
  t.equal(err.exitCode, ExitCode.APPLY_FAILED);
  t.match(
    err.message,
    /^Patch 1\/1 "mm\/hmm: invalidate with struct hmm_update, use devm_memremap_pages\(\)" does not apply to [0-9a-f]{12} \(the tree's baseline hmmci\/baseline, since the series names no base-commit\): mm\/hmm\.c \(18 hunks: context mismatch\)/,
  );
  t.equal(err.failure.failures.length, 18);
  t.equal((await git(wt.path, ['rev-parse', 'HEAD'])).trim(), tree.baseline, 'the worktree is back at the base');
  t.equal(await git(wt.path, ['status', '--porcelain']), '');

  const txt = (await applySeries({
    series: await loadSeries(fixture('stale-hmm-txt.mbox')),
    worktree: wt.path,
    base,
    reporter,
  }).catch((e: unknown) => e)) as ApplyError;
  t.ok(txt instanceof ApplyError);
  t.same(
    txt.failure.failures.map((f) => `${f.file} ${f.reason}`),
    ['Documentation/vm/hmm.txt file-missing'],
  );
  t.match(txt.failure.failures[0]?.explanation, /moved or renamed\? the tree has Documentation\/mm\/hmm\.rst/);

  t.equal((await git(tree.path, ['rev-parse', 'HEAD'])).trim(), treeHead, "the default tree's checkout did not move");
  t.equal(await git(tree.path, ['status', '--porcelain']), treeStatus);
});

t.test(
  'hmmci apply on the default tree prints the worktree and the commit',
  { skip: !existsSync(join(root, 'dist', 'cli', 'main.js')) && 'dist/ not built (npm run build)' },
  async (t) => {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(root, 'bin', 'hmmci.js'), 'apply', fixture('rfc-p2p-allow.mbox')],
        { cwd: root, timeout: 20 * 60_000 },
        (err, stdout, stderr) => {
          resolve({
            code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0,
            stdout,
            stderr,
          });
        },
      );
    });
    t.equal(r.code, 0, r.stderr);
    t.match(
      r.stdout,
      /^Worktree: .*\nBase:     [0-9a-f]{40} \(the tree's baseline hmmci\/baseline .*, since the series names no base-commit\)\n  [0-9a-f]{12} 1\/1 mm\/hmm, mm\/migrate_device: Allow p2p access and p2p migration\n$/,
    );
  },
);
