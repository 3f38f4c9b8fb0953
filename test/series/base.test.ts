import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { TreeError } from '../../src/tree/errors.js';
import { decideBase, resolveBase } from '../../src/series/base.js';
import { cleanup, gitSync, hmmRepo, tempDir } from './helpers.js';

const B = 'b'.repeat(40);
const O = 'c'.repeat(40);
const L = 'a'.repeat(40);

t.test('base-commit the tree has wins, even over --base', async (t) => {
  t.same(decideBase({ baseCommit: B.slice(0, 12), baseCommitSha: B, baseline: L }), {
    base: B,
    source: 'base-commit',
    reason: "the series' base-commit bbbbbbbbbbbb, which this tree has",
  });
  t.match(decideBase({ baseCommit: B, baseCommitSha: B, option: 'v6.12', optionSha: O, baseline: L }), {
    base: B,
    reason: /takes precedence over --base v6\.12/,
  });
});

t.test('base-commit unknown to the tree: --base, else the baseline, saying why', async (t) => {
  t.same(decideBase({ baseCommit: B, option: 'topic', optionSha: O, baseline: L }), {
    base: O,
    source: 'option',
    reason: "--base topic, since the series' base-commit bbbbbbbbbbbb is not in this tree",
  });
  t.same(decideBase({ baseCommit: B, baseline: L, baselineName: 'hmmci/baseline (6.12.117)' }), {
    base: L,
    source: 'baseline',
    reason:
      "the tree's baseline hmmci/baseline (6.12.117), since the series' base-commit bbbbbbbbbbbb is not in this tree",
  });
  t.same(decideBase({ baseCommit: null, baseline: L }), {
    base: L,
    source: 'baseline',
    reason: "the tree's baseline, since the series names no base-commit",
  });
});

t.test('resolveBase looks commits up in the repository', async (t) => {
  const dir = tempDir();
  t.teardown(() => cleanup(dir));
  const { path, base } = hmmRepo(join(dir, 'repo'));
  writeFileSync(join(path, 'mm/hmm.c'), 'changed\n');
  gitSync(path, ['commit', '-q', '-a', '-m', 'second']);
  const head = gitSync(path, ['rev-parse', 'HEAD']).trim();
  t.match(await resolveBase({ repo: path, baseCommit: base.slice(0, 12), baseline: head }), {
    base,
    source: 'base-commit',
  });
  t.match(
    await resolveBase({
      repo: path,
      baseCommit: '90664afa533cde5b8e224575342753ca5660b82d',
      option: 'HEAD~1',
      baseline: head,
    }),
    { base, source: 'option' },
  );
  t.match(await resolveBase({ repo: path, baseCommit: null, baseline: head }), { base: head, source: 'baseline' });
  const err = await resolveBase({ repo: path, baseCommit: null, option: 'no-such-rev', baseline: head }).catch(
    (e: unknown) => e,
  );
  t.ok(err instanceof TreeError);
  t.match((err as Error).message, /--base no-such-rev is not a commit/);
});
