import { join } from 'node:path';
import type { Accel, QemuArchConfig } from './arch/types.js';

export interface BootSpec {
  buildDir: string;
  initrd: string;
  accel: Accel;
  /** Reserve the coherent-device range (default true): without it the 29 device_coherent cases skip. */
  coherent?: boolean;
  /** Extra kernel parameters (e.g. `oops=panic`). */
  extraCmdline?: readonly string[];
}

/** The kernel command line for a run: console, arch defaults, coherent reservation, extras. */
export function kernelCmdline(cfg: QemuArchConfig, spec: Pick<BootSpec, 'coherent' | 'extraCmdline'>): string {
  const parts = [`console=${cfg.console}`, ...cfg.cmdline];
  if (spec.coherent !== false) parts.push(cfg.coherent.memmap);
  parts.push(...(spec.extraCmdline ?? []));
  return parts.join(' ');
}

/** The test_hmm module parameters matching the kernel command line. */
export function testHmmParams(cfg: QemuArchConfig, coherent = true): readonly string[] {
  return coherent ? cfg.coherent.testHmmParams : [];
}

/** qemu-system-* argv for one boot (no shell: `$` in memmap= needs no quoting). Pure. */
export function qemuArgs(cfg: QemuArchConfig, spec: BootSpec): string[] {
  const args = [
    '-machine',
    `${cfg.machine},accel=${spec.accel}`,
    '-cpu',
    cfg.cpu[spec.accel],
    '-m',
    `${cfg.memoryMiB}M`,
    '-smp',
    String(cfg.smp),
  ];
  args.push(...cfg.extraQemuArgs);
  args.push(
    '-kernel',
    join(spec.buildDir, cfg.kernelImage),
    '-initrd',
    spec.initrd,
    '-append',
    kernelCmdline(cfg, spec),
  );
  return args;
}
