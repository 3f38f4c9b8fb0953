import { accessSync, constants } from 'node:fs';
import { arch as nodeArch, availableParallelism, release, totalmem } from 'node:os';
import { which } from '../common/exec.js';
import { readMachineFacts } from '../guest/accel.js';
import { BISECT_QUEUE, buildQueue, RUN_QUEUE, testQueue } from './jobs.js';

/** What a worker can do, probed when it starts and published with its heartbeat. */
export interface Capabilities {
  /** This machine's architecture in kernel/QEMU spelling (x86_64, aarch64, …). */
  arch: string;
  /** `usable`: /dev/kvm opens and no earlier probe found it hanging; `tcg-only` otherwise. */
  kvm: 'usable' | 'tcg-only';
  kvmReason: string;
  cores: number;
  memoryMiB: number;
  /** qemu-system-* binaries on PATH, by arch. */
  qemu: string[];
  vng: boolean;
  make: boolean;
  /** Arches this machine can compile kernels for: its own (gcc) and each cross gcc found. */
  compilers: string[];
}

const NODE_TO_KERNEL: Record<string, string> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  ppc64: 'ppc64le',
  riscv64: 'riscv64',
  s390x: 's390x',
};
const KNOWN_ARCHES = ['x86_64', 'aarch64', 'riscv64', 'ppc64le', 's390x'];

export interface ProbeEnv {
  which?: (bin: string) => string | undefined;
  kvmOpenable?: () => boolean;
  machineFile?: string;
}

function kvmOpenable(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Probe this machine. `env` replaces the lookups in unit tests. */
export function probeCapabilities(env: ProbeEnv = {}): Capabilities {
  const find = env.which ?? ((b: string) => which(b));
  const arch = NODE_TO_KERNEL[nodeArch()] ?? nodeArch();
  const verdict = env.machineFile ? readMachineFacts(env.machineFile).kvm : undefined;
  const open = (env.kvmOpenable ?? kvmOpenable)();
  let kvm: Capabilities['kvm'] = 'tcg-only';
  let kvmReason = '/dev/kvm cannot be opened';
  if (open && verdict && verdict.hostKernel === release() && !verdict.works)
    kvmReason = `KVM opens but hangs here (${verdict.reason})`;
  else if (open)
    [kvm, kvmReason] = [
      'usable',
      verdict?.works ? `KVM booted a guest (${verdict.checkedAt})` : '/dev/kvm opens (not yet tried)',
    ];
  const compilers = [
    ...(find('gcc') ? [arch] : []),
    ...KNOWN_ARCHES.filter((a) => a !== arch && find(`${a === 'ppc64le' ? 'powerpc64le' : a}-linux-gnu-gcc`)),
  ];
  return {
    arch,
    kvm,
    kvmReason,
    cores: availableParallelism(),
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    qemu: KNOWN_ARCHES.filter((a) => find(`qemu-system-${a === 'ppc64le' ? 'ppc64' : a}`)),
    vng: Boolean(find('vng')),
    make: Boolean(find('make')),
    compilers,
  };
}

/** The queues a worker with these capabilities can serve (limited to `only` when given). */
export function servedQueues(c: Capabilities, only?: { builds?: boolean; tests?: boolean }): string[] {
  const q: string[] = [BISECT_QUEUE, RUN_QUEUE];
  if (only?.builds !== false && c.make) q.push(...c.compilers.map(buildQueue));
  if (only?.tests !== false) {
    for (const a of c.qemu) {
      q.push(testQueue(a, 'qemu'));
      if (c.vng) q.push(testQueue(a, 'vng'));
    }
  }
  return q;
}

export function describeCapabilities(c: Capabilities): string {
  return (
    `${c.arch}, ${c.kvm === 'usable' ? 'KVM' : 'TCG only'} (${c.kvmReason}), ${c.cores} cores, ${Math.round(c.memoryMiB / 1024)} GiB, ` +
    `builds for ${c.compilers.join(', ') || 'nothing (no gcc)'}${c.make ? '' : ' (no make)'}, boots ${c.qemu.join(', ') || 'nothing (no qemu-system-*)'}${c.vng ? ' (also with vng)' : ''}`
  );
}
