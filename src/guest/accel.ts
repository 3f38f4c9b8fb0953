import { accessSync, constants, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { release } from 'node:os';
import type { Accel } from './arch/types.js';

/** What hmmci learnt about this machine, kept in cache.machineFile (machine.json). */
export interface MachineFacts {
  kvm?: KvmVerdict;
  [key: string]: unknown;
}

export interface KvmVerdict {
  works: boolean;
  /** Why: "booted", "silent: no kernel banner within 10 s", "qemu exited 1: …". */
  reason: string;
  /** Host kernel the verdict was made on: a new host kernel means probing again. */
  hostKernel: string;
  checkedAt: string;
  /** How long the probe took (ms). */
  probeMs?: number;
}

export function readMachineFacts(file: string): MachineFacts {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return data && typeof data === 'object' ? (data as MachineFacts) : {};
  } catch {
    return {};
  }
}

/** Merge facts into machine.json (atomic rename; other keys are kept). */
export function writeMachineFacts(file: string, update: Partial<MachineFacts>): MachineFacts {
  const next = { ...readMachineFacts(file), ...update };
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`);
  renameSync(tmp, file);
  return next;
}

/** /dev/kvm present and openable read-write by us. */
export function kvmDeviceUsable(dev = '/dev/kvm'): { ok: boolean; reason: string } {
  try {
    accessSync(dev, constants.R_OK | constants.W_OK);
    return { ok: true, reason: `${dev} is accessible` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? `${dev} does not exist` : `${dev} is not accessible (${code})` };
  }
}

export type AccelPlan = { accel: Accel; probe: boolean; reason: string };

/**
 * Decide the accelerator (pure apart from the inputs): an explicit request wins; KVM is tried
 * when the device is usable and no verdict for this host kernel says it hangs; a first try is a
 * probe (silence watchdog on, falling back to TCG).
 */
export function planAccel(opts: {
  requested?: Accel;
  device: { ok: boolean; reason: string };
  verdict?: KvmVerdict;
  hostKernel?: string;
}): AccelPlan {
  if (opts.requested) return { accel: opts.requested, probe: false, reason: 'requested' };
  if (!opts.device.ok) return { accel: 'tcg', probe: false, reason: opts.device.reason };
  const host = opts.hostKernel ?? release();
  const v = opts.verdict;
  if (v && v.hostKernel === host) {
    return v.works
      ? { accel: 'kvm', probe: true, reason: `KVM worked before (${v.checkedAt})` }
      : {
          accel: 'tcg',
          probe: false,
          reason: `KVM hung on this machine before (${v.reason}, ${v.checkedAt}); see machine.json`,
        };
  }
  return { accel: 'kvm', probe: true, reason: 'first KVM try on this host kernel' };
}
