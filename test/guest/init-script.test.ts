import t from 'tap';
import { renderInit, renderRunScript } from '../../src/guest/init-script.js';
import { initramfsEntries } from '../../src/guest/initramfs.js';
import { x86_64 } from '../../src/guest/arch/x86_64.js';
import { SENTINEL } from '../../src/results/sentinels.js';

t.test('the initramfs /init prepares everything hmm-tests needs and prints sentinels', async (t) => {
  const init = renderInit({ hugepages: 16, testHmmParams: x86_64.coherent.testHmmParams });
  t.ok(init.startsWith('#!/bin/busybox sh\n'));
  for (const fs of ['proc', 'sysfs', 'devtmpfs', 'debugfs', 'hugetlbfs', 'tmpfs'])
    t.match(init, new RegExp(`mount -t ${fs} `), `mounts ${fs}`);
  t.match(init, /echo 16 > \/proc\/sys\/vm\/nr_hugepages/);
  for (const l of ['/dev/fd', '/dev/stdin', '/dev/stdout', '/dev/stderr'])
    t.match(init, new RegExp(`ln -s /proc/self/fd\\S* ${l}\\n`), `creates ${l}`);
  t.match(init, /insmod \/lib\/test_hmm\.ko spm_addr_dev0=0x40000000 spm_addr_dev1=0x50000000; then\n/);
  const order = [
    SENTINEL.listBegin,
    '/bin/hmm-tests -l',
    SENTINEL.listEnd,
    SENTINEL.start,
    '/bin/hmm-tests 2>&1',
    SENTINEL.exit,
    'reboot -f',
  ].map((s) => init.indexOf(s));
  t.ok(
    order.every((i) => i > 0),
    'every step present',
  );
  t.same(
    [...order].sort((a, b) => a - b),
    order,
    'in this order',
  );
  t.equal(renderInit({ hugepages: 16, testHmmParams: x86_64.coherent.testHmmParams }), init, 'pure');
});

t.test('without coherent memory the module gets no spm addresses; test args are quoted', async (t) => {
  const init = renderInit({ hugepages: 8, testHmmParams: [], testArgs: ['-t', "it's"] });
  t.match(init, /insmod \/lib\/test_hmm\.ko\s*;/);
  t.match(init, /coherent=none/);
  t.match(init, /\/bin\/hmm-tests -t 'it'\\''s' 2>&1/);
});

t.test(
  'under virtme-ng the script does not mount the basics or power off; it writes to the console and exits with the status',
  async (t) => {
    const s = renderRunScript({
      mode: 'vng',
      hmmTests: '/cache/hmm-tests-abc',
      testHmmKo: '/build/lib/test_hmm.ko',
      hugepages: 16,
      testHmmParams: x86_64.coherent.testHmmParams,
    });
    t.notMatch(s, /mount -t proc/);
    t.notMatch(s, /poweroff|reboot/);
    t.match(s, /insmod \/build\/lib\/test_hmm\.ko spm_addr_dev0=/);
    t.match(s, /\/cache\/hmm-tests-abc -l 2>&1/);
    t.match(s.split('\n')[1], /^exec <\/dev\/null >\/dev\/console 2>&1$/, 'everything on the serial console, first');
    t.match(s, /mount -t tmpfs -o size=256m tmpfs \/tmp\n/, "a tmpfs over the host's read-only /tmp");
    t.match(
      s,
      /\/cache\/hmm-tests-abc 2>&1\n  status=\$\?\n  echo "HMMCI-EXIT status=\$status"\n/,
      'each run of the loop keeps its status for the virtme.ret port',
    );
    t.match(
      s,
      /\[ "\$\(cat "\$p\/name" 2>\/dev\/null\)" = virtme\.ret \] && echo "\$status" > "\/dev\/\$\{p##\*\/\}"/,
      'the status to the virtme.ret port when udev named none',
    );
    t.ok(s.endsWith('exit "$status"\n'));
  },
);

t.test('the image holds busybox, hmm-tests, test_hmm.ko, /init and a console node', async (t) => {
  const e = initramfsEntries({
    busybox: Buffer.from('bb'),
    hmmTests: Buffer.from('ht'),
    testHmmKo: Buffer.from('ko'),
    init: '#!init',
  });
  const byPath = new Map(e.map((x) => [x.path, x]));
  t.same(byPath.get('dev/console'), { type: 'char', path: 'dev/console', major: 5, minor: 1, mode: 0o600 });
  t.equal((byPath.get('init') as { mode: number }).mode, 0o755);
  t.ok(byPath.has('bin/busybox') && byPath.has('bin/hmm-tests') && byPath.has('lib/test_hmm.ko'));
});
