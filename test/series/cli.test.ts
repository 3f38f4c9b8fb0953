import t from 'tap';
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCleanup } from '../../src/common/cleanup.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import { formatError, isHmmciError } from '../../src/common/errors.js';
import { registerSeries } from '../../src/cli/commands/series.js';
import { cleanup, FIXTURES, fixture, gitSync, hmmRepo, tempDir } from './helpers.js';

const work = tempDir();
t.teardown(() => cleanup(work));

/** Run `hmmci <args>` with only the series commands; returns exit status, stdout, stderr. */
async function hmmci(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const program = new Command('hmmci').option('--cache-dir <dir>').option('-q, --quiet').exitOverride();
  registerSeries(program);
  let out = '';
  let err = '';
  const so = process.stdout.write.bind(process.stdout);
  const se = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  let code = 0;
  try {
    await program.parseAsync(['node', 'hmmci', ...args]);
  } catch (e) {
    if (isHmmciError(e)) {
      err += `${formatError(e)}\n`;
      code = e.exitCode;
    } else throw e;
  } finally {
    process.stdout.write = so;
    process.stderr.write = se;
    await runCleanup();
  }
  return { code, out, err };
}

t.test('series show --json prints only the contract JSON on stdout; warnings on stderr', async (t) => {
  const r = await hmmci(['series', 'show', '--json', fixture('malformed/out-of-order.mbox')]);
  t.equal(r.code, 0);
  const j = JSON.parse(r.out);
  t.same(Object.keys(j), ['cover', 'version', 'baseCommit', 'patches']);
  t.same(
    j.patches.map((p: { index: number }) => p.index),
    [1, 2, 3, 4, 5],
  );
  t.match(r.err, /warning: The patches come in the order 4\/5, 1\/5, 5\/5, 3\/5, 2\/5/);
});

t.test('series show (text) and bad input exit 3 with one paragraph', async (t) => {
  const ok = await hmmci(['series', 'show', join(FIXTURES, 'rfc-p2p-allow-thread.mbox')]);
  t.equal(ok.code, 0);
  t.match(ok.out, /^Series:  mm\/hmm, mm\/migrate_device: Allow p2p access and p2p migration\n/);
  t.match(ok.out, /Warnings:\n  - .*is a reply; ignored\./);
  const bad = await hmmci(['series', 'show', fixture('malformed/lore-page.html')]);
  t.equal(bad.code, ExitCode.BAD_INPUT);
  t.match(bad.err, /^hmmci: .*lore-page\.html is an HTML page, not an mbox/);
  t.equal(bad.out, '');
});

t.test('apply --tree: a slot of the user repo gets the commits; the checkout is untouched', async (t) => {
  const { path, base } = hmmRepo(join(work, 'linux'));
  writeFileSync(join(path, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 117\nEXTRAVERSION =\n');
  gitSync(path, ['add', '-f', 'Makefile']);
  gitSync(path, ['commit', '-q', '-m', 'Makefile']);
  const head = gitSync(path, ['rev-parse', 'HEAD']).trim();
  const cache = join(work, 'cache');
  const r = await hmmci(['--cache-dir', cache, 'apply', '--tree', path, '--json', fixture('benign-3.mbox')]);
  t.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  t.ok(j.worktree.startsWith(join(cache, 'worktrees')), 'a worktree in the cache');
  t.equal(j.base, head);
  t.match(
    j.baseReason,
    /the tree's baseline \(HEAD of .*\), since the series' base-commit 90664afa533c is not in this tree/,
  );
  t.equal(j.commits.length, 3);
  t.equal(gitSync(j.worktree, ['rev-parse', 'HEAD']).trim(), j.commits[2].sha);
  t.equal(gitSync(path, ['rev-parse', 'HEAD']).trim(), head);
  t.equal(gitSync(path, ['status', '--porcelain']), '');
  t.match(r.err, /base: [0-9a-f]{12} — the tree's baseline/);

  const onBase = await hmmci([
    '--cache-dir',
    cache,
    'apply',
    '--tree',
    path,
    '--base',
    base,
    fixture('one-patch.mbox'),
  ]);
  t.equal(onBase.code, 0, onBase.err);
  t.match(
    onBase.out,
    new RegExp(
      `^Worktree: .*\\nBase:     ${base} \\(--base ${base}, since the series names no base-commit\\)\\n  [0-9a-f]{12} 1/1 mm/hmm: spell out`,
    ),
  );

  const stale = await hmmci(['--cache-dir', cache, 'apply', '--tree', path, fixture('stale-hmm-txt.mbox')]);
  t.equal(stale.code, ExitCode.APPLY_FAILED);
  t.match(
    stale.err,
    /hmmci: Patch 1\/1 "docs\/vm: hmm\.txt: convert to ReST format" does not apply .*Documentation\/vm\/hmm\.txt \(file missing\)/,
  );
  t.match(
    stale.err,
    /Documentation\/vm\/hmm\.txt: file missing: the tree has no Documentation\/vm\/hmm\.txt \(moved or renamed\? the tree has Documentation\/mm\/hmm\.rst/,
  );

  const unsafe = await hmmci(['--cache-dir', cache, 'apply', '--tree', path, fixture('malformed/unsafe-dotdot.mbox')]);
  t.equal(unsafe.code, ExitCode.BAD_INPUT);
  t.match(unsafe.err, /Refusing to apply/);
});
