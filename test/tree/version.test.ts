import t from 'tap';
import { baselineCommitIdentity, parseMakefileVersion, versionCode } from '../../src/tree/version.js';

// The head of Debian's linux-source-6.12 Makefile, as shipped.
const DEBIAN_612_MAKEFILE = `# SPDX-License-Identifier: GPL-2.0
VERSION = 6
PATCHLEVEL = 12
SUBLEVEL = 117
EXTRAVERSION =
NAME = Baby Opossum Posse
`;

t.test('the version comes from VERSION/PATCHLEVEL/SUBLEVEL, not a hard-coded sublevel', async (t) => {
  const v = parseMakefileVersion(DEBIAN_612_MAKEFILE);
  t.same(v, { version: 6, patchlevel: 12, sublevel: 117, extraversion: '', text: '6.12.117' });
  t.equal(parseMakefileVersion(DEBIAN_612_MAKEFILE.replace('117', '118'))?.text, '6.12.118');
  t.equal(
    parseMakefileVersion('VERSION = 6\nPATCHLEVEL = 13\nSUBLEVEL = 0\nEXTRAVERSION = -rc1\n')?.text,
    '6.13.0-rc1',
  );
});

t.test('a Makefile without a version is not a kernel Makefile', async (t) => {
  t.equal(parseMakefileVersion('all:\n\tcc -o hello hello.c\n'), undefined);
  t.equal(parseMakefileVersion(''), undefined);
});

t.test('the baseline identity is fixed and its date follows the version', async (t) => {
  const v = parseMakefileVersion(DEBIAN_612_MAKEFILE)!;
  t.equal(versionCode(v), 6 * 65536 + 12 * 256 + 117);
  const a = baselineCommitIdentity(v, 'linux-source-6.12.tar.xz');
  const b = baselineCommitIdentity(v, 'linux-source-6.12.tar.xz');
  t.same(a, b, 'same version, same identity');
  t.equal(a.env.GIT_AUTHOR_DATE, `@${946684800 + versionCode(v)} +0000`);
  t.equal(a.env.GIT_COMMITTER_DATE, a.env.GIT_AUTHOR_DATE);
  t.match(a.message, /^Linux 6\.12\.117 \(linux-source-6\.12\.tar\.xz\)/);
  const next = baselineCommitIdentity(
    parseMakefileVersion(DEBIAN_612_MAKEFILE.replace('117', '118'))!,
    'linux-source-6.12.tar.xz',
  );
  t.not(next.env.GIT_AUTHOR_DATE, a.env.GIT_AUTHOR_DATE, 'a newer sublevel gets a later date');
  t.notMatch(JSON.stringify(a), /\/home|\/root|\/tmp/, 'nothing machine-specific');
});
