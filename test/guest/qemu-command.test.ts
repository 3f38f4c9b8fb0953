import t from 'tap';
import { errorWith } from '../helpers/match.js';
import { x86_64 } from '../../src/guest/arch/x86_64.js';
import { archConfig } from '../../src/guest/arch/index.js';
import { kernelCmdline, qemuArgs } from '../../src/guest/qemu-command.js';
import { vngArgs } from '../../src/guest/vng-command.js';

t.test('TCG command line: the one that ran all 58 cases here', async (t) => {
  const a = qemuArgs(x86_64, { buildDir: '/b', initrd: '/c/initramfs.cpio', accel: 'tcg' });
  t.same(a.slice(0, 8), ['-machine', 'pc,accel=tcg', '-cpu', 'max', '-m', '3072M', '-smp', '2']);
  for (const f of ['-nographic', '-no-reboot']) t.ok(a.includes(f), f);
  t.same(a.slice(a.indexOf('-nic'), a.indexOf('-nic') + 2), ['-nic', 'none'], 'no network');
  t.notOk(
    a.some((x) => /virtfs|9p|-drive|hostfwd/.test(x)),
    'no host share',
  );
  t.equal(a[a.indexOf('-kernel') + 1], '/b/arch/x86/boot/bzImage');
  t.equal(a[a.indexOf('-initrd') + 1], '/c/initramfs.cpio');
  t.equal(
    a[a.indexOf('-append') + 1],
    'console=ttyS0 panic=-1 loglevel=7 printk.time=1 memmap=512M$0x40000000',
    '$ reaches QEMU unquoted (no shell)',
  );
});

t.test('KVM uses the host CPU without arch-capabilities; extras and no-coherent', async (t) => {
  const a = qemuArgs(x86_64, {
    buildDir: '/b',
    initrd: '/i',
    accel: 'kvm',
    coherent: false,
    extraCmdline: ['oops=panic'],
  });
  t.equal(a[a.indexOf('-cpu') + 1], 'host,-arch-capabilities');
  t.equal(a[a.indexOf('-machine') + 1], 'pc,accel=kvm');
  t.equal(
    kernelCmdline(x86_64, { coherent: false, extraCmdline: ['oops=panic'] }),
    'console=ttyS0 panic=-1 loglevel=7 printk.time=1 oops=panic',
  );
});

t.test('the coherent reservation lies inside guest RAM and holds both 256 MiB devices', async (t) => {
  const m = /^memmap=(\d+)M\$0x([0-9a-f]+)$/.exec(x86_64.coherent.memmap)!;
  const start = Number.parseInt(m[2]!, 16);
  const end = start + Number(m[1]) * 2 ** 20;
  t.ok(end <= x86_64.memoryMiB * 2 ** 20, 'inside RAM');
  const addrs = x86_64.coherent.testHmmParams.map((p) => Number.parseInt(p.split('=')[1]!, 16));
  t.same(addrs, [0x40000000, 0x50000000]);
  for (const a of addrs)
    t.ok(a >= start && a + 256 * 2 ** 20 <= end, `device at ${a.toString(16)} inside the reservation`);
});

t.test('vng: --run the bzImage, the script by path, machine from arch data', async (t) => {
  const a = vngArgs(x86_64, { buildDir: '/b', accel: 'tcg', scriptPath: '/cache/runs/x/vng-run.sh' });
  t.same(a.slice(0, 2), ['--run', '/b/arch/x86/boot/bzImage']);
  t.equal(a[a.indexOf('--memory') + 1], '3072M');
  t.equal(a[a.indexOf('--cpus') + 1], '2');
  t.ok(a.includes('--disable-kvm'), 'tcg → --disable-kvm');
  t.ok(a.includes('--verbose'), 'kernel messages on the console');
  t.ok(a.includes('--force-9p'), 'the same host share on every host: no virtiofsd');
  t.ok(a.includes('--disable-microvm'), 'a PC machine: memmap= is honoured');
  t.ok(a.includes('--skip-modules'), 'test_hmm.ko is loaded by path; vng writes nothing into the build directory');
  const appends = a.flatMap((x, i) => (x === '--append' ? [a[i + 1]] : []));
  t.same(
    appends,
    ['root=/dev/root', 'panic=-1', 'loglevel=7', 'printk.time=1', 'memmap=512M$0x40000000'],
    'the 9p tag named as root; no console= (vng sets it)',
  );
  t.same(
    a.slice(-2),
    ['--exec', 'sh /cache/runs/x/vng-run.sh'],
    'a short --exec: vng puts it on the kernel command line',
  );
  t.notOk(vngArgs(x86_64, { buildDir: '/b', accel: 'kvm', scriptPath: '/s' }).includes('--disable-kvm'));
  t.same(
    vngArgs(x86_64, { buildDir: '/b', accel: 'kvm', scriptPath: "/it's here/run.sh" }).slice(-1),
    ["sh '/it'\\''s here/run.sh'"],
    'a path with quotes and spaces is one word for the guest shell',
  );
  const extra = vngArgs(x86_64, {
    buildDir: '/b',
    accel: 'tcg',
    scriptPath: '/s',
    coherent: false,
    extraCmdline: ['oops=panic'],
  });
  t.notOk(extra.includes('memmap=512M$0x40000000'), 'no reservation without coherent memory');
  t.equal(extra[extra.lastIndexOf('--append') + 1], 'oops=panic');
});

t.test('unknown architecture is a usage error', async (t) => {
  t.throws(() => archConfig('riscv64'), errorWith({ exitCode: 2 }));
});
