import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  kvmDeviceUsable,
  planAccel,
  readMachineFacts,
  writeMachineFacts,
  type KvmVerdict,
} from '../../src/guest/accel.js';

const ok = { ok: true, reason: '/dev/kvm is accessible' };
const hung: KvmVerdict = {
  works: false,
  reason: 'silent: the guest printed no kernel banner within 10 s',
  hostKernel: '6.1.0',
  checkedAt: '2026-11-21T10:42:03Z',
};

t.test('accelerator plan', async (t) => {
  t.same(planAccel({ requested: 'tcg', device: ok }), { accel: 'tcg', probe: false, reason: 'requested' });
  t.match(planAccel({ device: { ok: false, reason: '/dev/kvm does not exist' } }), {
    accel: 'tcg',
    probe: false,
    reason: '/dev/kvm does not exist',
  });
  t.match(planAccel({ device: ok, hostKernel: '6.1.0' }), { accel: 'kvm', probe: true }, 'first try probes KVM');
  t.match(
    planAccel({ device: ok, verdict: hung, hostKernel: '6.1.0' }),
    { accel: 'tcg', probe: false, reason: /hung on this machine before/ },
    'remembered verdict',
  );
  t.match(
    planAccel({ device: ok, verdict: hung, hostKernel: '6.2.0' }),
    { accel: 'kvm', probe: true },
    'a new host kernel probes again',
  );
  t.match(planAccel({ device: ok, verdict: { ...hung, works: true }, hostKernel: '6.1.0' }), {
    accel: 'kvm',
    probe: true,
  });
});

t.test('machine.json keeps other keys and survives garbage', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hmmci-machine-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'sub', 'machine.json');
  t.same(readMachineFacts(file), {});
  writeMachineFacts(file, { other: 1 });
  writeMachineFacts(file, { kvm: hung });
  t.same(JSON.parse(readFileSync(file, 'utf8')), { other: 1, kvm: hung });
  writeFileSync(file, 'not json');
  t.same(readMachineFacts(file), {});
});

t.test('/dev/kvm check', async (t) => {
  t.match(kvmDeviceUsable('/nonexistent/kvm'), { ok: false, reason: /does not exist/ });
});
