import t from 'tap';
import { planConcurrency } from '../../src/run/concurrency.js';
import { aggregateExit } from '../../src/run/exit-status.js';
import { patchsetHash } from '../../src/run/patchset-hash.js';

const GiB = 1024 ** 3;

t.test('builds and guests are sized separately from cores and memory', async (t) => {
  t.same(planConcurrency({ cores: 2, memBytes: 24 * GiB }), { builds: 1, buildJobs: 2, guests: 1 }, 'this machine');
  t.same(planConcurrency({ cores: 16, memBytes: 64 * GiB }), { builds: 2, buildJobs: 8, guests: 8 });
  t.same(
    planConcurrency({ cores: 16, memBytes: 8 * GiB }),
    { builds: 1, buildJobs: 16, guests: 1 },
    'memory bounds guests and parallel builds',
  );
  t.same(planConcurrency({ cores: 1, memBytes: 1 * GiB }), { builds: 1, buildJobs: 1, guests: 1 }, 'never zero');
  t.equal(planConcurrency({ cores: 8, memBytes: 32 * GiB }, { jobs: 3 }).buildJobs, 3);
});

t.test('the exit status of several jobs', async (t) => {
  t.equal(aggregateExit([0, 0]), 0);
  t.equal(aggregateExit([0, 1]), 1);
  t.equal(aggregateExit([1, 4, 5]), 4, 'the first job that could not be judged wins over a verdict');
  t.equal(aggregateExit([6]), 6);
});

t.test('the KCIDB patchset hash is sha256 over each patch hash and a newline', async (t) => {
  t.equal(patchsetHash([]), '');
  // the shell recipe in the KCIDB schema: printf a > 1.patch; sha256sum *.patch | cut -c-64 | sha256sum | cut -c-64
  t.equal(patchsetHash(['a']), '34252b6345db4445ac18211577abc39b293a056401527b69b343c5bb72f4100e');
  t.match(patchsetHash(['a', 'b']), /^[0-9a-f]{64}$/);
  t.not(patchsetHash(['a', 'b']), patchsetHash(['b', 'a']), 'order matters');
});
