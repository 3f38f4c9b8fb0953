import t from 'tap';
import { join } from 'node:path';
import { release } from 'node:os';
import { writeFileSync } from 'node:fs';
import { describeCapabilities, probeCapabilities, servedQueues } from '../../src/fleet/capabilities.js';
import { scratchDir } from '../helpers/scratch.js';

const dir = scratchDir('hmmci-caps-');
const onPath = (bins: string[]) => (b: string) => (bins.includes(b) ? `/usr/bin/${b}` : undefined);

t.test('a build-and-boot x86_64 machine with a cross compiler', async (t) => {
  const c = probeCapabilities({
    which: onPath(['gcc', 'make', 'qemu-system-x86_64', 'aarch64-linux-gnu-gcc']),
    kvmOpenable: () => false,
  });
  t.match(c, {
    arch: 'x86_64',
    kvm: 'tcg-only',
    kvmReason: '/dev/kvm cannot be opened',
    compilers: ['x86_64', 'aarch64'],
    qemu: ['x86_64'],
    vng: false,
    make: true,
  });
  t.ok(c.cores >= 1 && c.memoryMiB > 0);
  t.same(servedQueues(c), ['bisect', 'run', 'build-x86_64', 'build-aarch64', 'test-x86_64-qemu']);
  t.same(servedQueues(c, { tests: false }), ['bisect', 'run', 'build-x86_64', 'build-aarch64'], '--builds-only');
  t.same(servedQueues(c, { builds: false }), ['bisect', 'run', 'test-x86_64-qemu'], '--tests-only');
  t.match(describeCapabilities(c), /x86_64, TCG only .* builds for x86_64, aarch64, boots x86_64/);
});

t.test('KVM: usable when /dev/kvm opens, TCG only when it hung here before', async (t) => {
  const tools = onPath(['gcc', 'make', 'qemu-system-x86_64', 'vng']);
  t.equal(probeCapabilities({ which: tools, kvmOpenable: () => true }).kvm, 'usable');
  const machine = join(dir, 'machine.json');
  writeFileSync(
    machine,
    JSON.stringify({
      kvm: { works: false, reason: 'silent: no kernel banner within 10 s', hostKernel: release(), checkedAt: 'x' },
    }),
  );
  const c = probeCapabilities({ which: tools, kvmOpenable: () => true, machineFile: machine });
  t.equal(c.kvm, 'tcg-only');
  t.match(c.kvmReason, /hangs here \(silent/);
  t.same(
    servedQueues(c),
    ['bisect', 'run', 'build-x86_64', 'test-x86_64-qemu', 'test-x86_64-vng'],
    'vng adds its own queue',
  );
});

t.test('nothing to serve without make, gcc or qemu', async (t) => {
  const c = probeCapabilities({ which: onPath([]), kvmOpenable: () => false });
  t.same(servedQueues(c), ['bisect', 'run']);
});
