import t from 'tap';
import { BadInputError, HmmciError, formatError } from '../../src/common/errors.js';
import { ExitCode } from '../../src/common/exit-codes.js';

t.test('an expected error renders as one paragraph with command and log path', async (t) => {
  const err = new HmmciError('The build of /tmp/wt failed.', {
    exitCode: ExitCode.BUILD_FAILED,
    command: ['make', 'O=/tmp/out', '-j2'],
    commandExitCode: 2,
    logPath: '/tmp/out/build.log',
    details: ['mm/hmm.c:12:3: error: expected ;'],
  });
  t.equal(
    formatError(err),
    [
      'hmmci: The build of /tmp/wt failed.',
      '  mm/hmm.c:12:3: error: expected ;',
      '  command: make O=/tmp/out -j2 (exit 2)',
      '  full log: /tmp/out/build.log',
    ].join('\n'),
  );
  t.equal(err.exitCode, 5);
});

t.test('exit statuses are distinct', async (t) => {
  const values = Object.values(ExitCode);
  t.equal(new Set(values).size, values.length);
  t.equal(new BadInputError('x').exitCode, ExitCode.BAD_INPUT);
});
