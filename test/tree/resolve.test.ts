import t from 'tap';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheLayout } from '../../src/common/cache.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import type { HmmciError } from '../../src/common/errors.js';
import { resolveTree, userTreeId } from '../../src/tree/resolve.js';
import { fakeKernelRepo, gitSync, tempDir } from '../../tools/fake-kernel/fixture.js';

const work = tempDir('hmmci-resolve-');
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const cache = cacheLayout(join(work, 'cache'));

t.test('--tree adopts a kernel git checkout at its HEAD', async (t) => {
  const repo = fakeKernelRepo(join(work, 'linux'));
  const tree = await resolveTree({ tree: join(repo, 'mm'), cache });
  t.equal(tree.kind, 'user');
  t.equal(tree.path, repo, 'the top of the repository, even from a subfolder');
  t.equal(tree.baseline, gitSync(repo, ['rev-parse', 'HEAD']).trim());
  t.equal(tree.version, '6.12.0-fake');
  t.equal(tree.id, userTreeId(repo));
  t.match(tree.id, /^user-linux-[0-9a-f]{8}$/);
});

const cases: Array<[string, () => string, RegExp]> = [
  ['a missing directory', () => join(work, 'nowhere'), /no such directory/],
  [
    'a folder that is not a git repository',
    () => {
      const d = join(work, 'plain');
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 12\n');
      return d;
    },
    /not a git repository/,
  ],
  [
    'a git repository without commits',
    () => {
      const d = join(work, 'empty');
      mkdirSync(d, { recursive: true });
      gitSync(d, ['init', '-q']);
      return d;
    },
    /no commits/,
  ],
  [
    'a git repository that is not a kernel',
    () => {
      const d = join(work, 'notkernel');
      mkdirSync(d, { recursive: true });
      gitSync(d, ['init', '-q']);
      writeFileSync(join(d, 'Makefile'), 'all:\n');
      gitSync(d, ['add', 'Makefile']);
      gitSync(d, ['-c', 'user.name=x', '-c', 'user.email=x@x', 'commit', '-q', '-m', 'x']);
      return d;
    },
    /not a kernel tree/,
  ],
];

for (const [what, make, msg] of cases) {
  t.test(`--tree with ${what} is a tree error (exit 9)`, async (t) => {
    const err = (await resolveTree({ tree: make(), cache }).catch((e: unknown) => e)) as HmmciError;
    t.equal(err.exitCode, ExitCode.TREE);
    t.match(err.message, msg);
  });
}
