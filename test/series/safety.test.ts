import t from 'tap';
import { checkSeriesSafety, symlinkDestination } from '../../src/series/safety.js';
import { fixtureSeries } from './helpers.js';

function patches(name: string) {
  return fixtureSeries(name).patches;
}

t.test('every real fixture series is safe', async (t) => {
  for (const f of [
    'benign-3.mbox',
    'break-test-at-2.mbox',
    'break-build.mbox',
    'oops.mbox',
    'hang.mbox',
    'one-patch.mbox',
    'rfc-p2p-allow.mbox',
    'stale-2019-hmm-rework.mbox',
    'stale-hmm-txt.mbox',
  ]) {
    t.same(checkSeriesSafety(patches(f)), [], f);
  }
});

t.test('../ path', async (t) => {
  t.match(checkSeriesSafety(patches('malformed/unsafe-dotdot.mbox')), [
    { patch: 1, path: '../hmmci-outside.txt', problem: /`\.\.` component/ },
  ]);
});

t.test('absolute path', async (t) => {
  t.match(checkSeriesSafety(patches('malformed/unsafe-absolute.mbox')), [
    { path: '/tmp/hmmci-absolute.txt', problem: 'is an absolute path' },
  ]);
});

t.test('.git/ metadata', async (t) => {
  t.match(checkSeriesSafety(patches('malformed/unsafe-git-dir.mbox')), [
    { path: '.git/hooks/post-applypatch', problem: /git metadata/ },
  ]);
});

t.test('symlink out of the tree, then a write through it', async (t) => {
  const problems = checkSeriesSafety(patches('malformed/unsafe-symlink.mbox'));
  t.match(problems, [
    {
      patch: 1,
      path: 'mm/hmm-docs',
      problem: /symlink to "\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/tmp", outside the tree/,
    },
    { patch: 2, path: 'mm/hmm-docs/hmmci-through-link.txt', problem: /writes through the symlink mm\/hmm-docs/ },
  ]);
});

t.test('where a symlink points', async (t) => {
  t.equal(symlinkDestination('Documentation/vm/hmm.rst', '../mm/hmm.rst'), 'Documentation/mm/hmm.rst');
  t.equal(symlinkDestination('a/b', '../../x'), undefined);
  t.equal(symlinkDestination('a/b', '/etc/passwd'), undefined);
  t.equal(symlinkDestination('link', 'target'), 'target');
});
