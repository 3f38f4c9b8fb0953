import t from 'tap';
import { DiskFullError, TreeError, isDiskFull } from '../../src/tree/errors.js';
import { formatError } from '../../src/common/errors.js';
import { ExitCode } from '../../src/common/exit-codes.js';

t.test('disk-full detection: errno, tar/git/cp messages', async (t) => {
  t.ok(isDiskFull(Object.assign(new Error('write failed'), { code: 'ENOSPC' })));
  t.ok(isDiskFull('tar: linux-source-6.12/mm/hmm.c: Cannot write: No space left on device'));
  t.ok(isDiskFull('error: unable to write file mm/hmm.c: No space left on device\nfatal: adding files failed'));
  t.notOk(isDiskFull('fatal: not a git repository'));
  t.notOk(isDiskFull(undefined));
});

t.test('a full disk is one paragraph: where, while doing what, what to do (exit 7)', async (t) => {
  const e = new DiskFullError('/home/dev/.cache/hmmci/trees', 'unpacking /usr/src/linux-source-6.12.tar.xz');
  t.equal(e.exitCode, ExitCode.INFRA);
  const text = formatError(e);
  t.equal(text.split('\n').length, 1);
  t.match(text, /^hmmci: The disk holding \/home\/dev\/\.cache\/hmmci\/trees is full \(ENOSPC\) while unpacking/);
  t.match(text, /hmmci tree clean/);
  t.match(text, /--cache-dir/);
  t.equal(new TreeError('x').exitCode, ExitCode.TREE);
});
