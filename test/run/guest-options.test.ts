import t from 'tap';
import { cacheLayout } from '../../src/common/cache.js';
import { silentReporter } from '../../src/common/progress.js';
import { runSeries, type RunRequest } from '../../src/run/pipeline.js';
import { guestOptionsFrom } from '../../src/cli/guest-options.js';
import { withDefaultShards } from '../../src/guest/guest-options.js';
import { FakeStages, fixture } from './fake-stages.js';
import { scratchDir } from '../helpers/scratch.js';

const BENIGN = fixture('fixtures/series/benign-3.mbox');

function request(cache: ReturnType<typeof cacheLayout>, over: Partial<RunRequest> = {}): RunRequest {
  return {
    inputs: [BENIGN],
    variants: [{ fragments: ['base-x86_64-qemu.config', 'hmm.config'], extra: [] }],
    runner: 'qemu',
    reruns: 1,
    cache,
    reporter: silentReporter,
    signal: new AbortController().signal,
    machine: { cores: 2, memBytes: 24 * 1024 ** 3 },
    ...over,
  };
}

t.test('--repeat and friends reach the test stage of both sides; a repeated baseline is cached apart', async (t) => {
  const cache = cacheLayout(scratchDir('hmmci-run-guest-'));
  const guest = guestOptionsFrom({ repeat: 20, smp: 4, memoryPressure: true, shards: 'auto' });
  t.same(guest, { repeat: 20, smp: 4, memoryPressure: true, shards: 'auto' });
  const first = new FakeStages(cache);
  await runSeries(request(cache, { guest }), first);
  t.same(first.guests, [guest, guest], 'baseline and patched');
  const plain = new FakeStages(cache);
  await runSeries(request(cache), plain);
  t.equal(plain.count('test baseline'), 1, 'a single-run baseline is not taken from the --repeat 20 one');
  const again = new FakeStages(cache);
  await runSeries(request(cache, { guest: { ...guest, shards: 1 } }), again);
  t.equal(again.count('test baseline'), 0, 'sharding does not change results: same baseline');
});

t.test('--shards takes auto or 1..8', async (t) => {
  t.same(guestOptionsFrom({ shards: '1' }), { shards: 1 }, 'an explicit 1 is kept: it overrides the default');
  t.same(guestOptionsFrom({}), {});
  t.same(guestOptionsFrom({ shards: '2' }), { shards: 2 });
  t.throws(() => guestOptionsFrom({ shards: 'two' }), /--shards wants "auto" or a whole number from 1 to 8/);
});

t.test('QEMU guests shard auto unless told otherwise; vng runs one guest', async (t) => {
  t.same(withDefaultShards(undefined, 'qemu'), { shards: 'auto' });
  t.same(withDefaultShards({ repeat: 3 }, 'qemu'), { repeat: 3, shards: 'auto' });
  t.same(withDefaultShards({ shards: 1 }, 'qemu'), { shards: 1 }, '--shards 1 stays serial');
  t.equal(withDefaultShards(undefined, 'vng'), undefined);
  const cache = cacheLayout(scratchDir('hmmci-run-guest-'));
  const fake = new FakeStages(cache);
  await runSeries(request(cache), fake);
  t.same(fake.guests, [{ shards: 'auto' }, { shards: 'auto' }], 'what the test stage of a run gets by default');
  const serial = new FakeStages(cache);
  await runSeries(request(cache, { guest: { shards: 1 }, useBaselineCache: false }), serial);
  t.same(serial.guests, [{ shards: 1 }, { shards: 1 }]);
});
