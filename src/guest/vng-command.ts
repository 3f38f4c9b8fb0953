import { join } from 'node:path';
import type { Accel, QemuArchConfig } from './arch/types.js';
import { kernelCmdline } from './qemu-command.js';

export interface VngSpec {
  buildDir: string;
  accel: Accel;
  /** The run script (renderRunScript mode 'vng'), executed by vng inside the guest. */
  script: string;
  coherent?: boolean;
  extraCmdline?: readonly string[];
}

/**
 * virtme-ng command line (vng(1)): `--run <bzImage>` boots an already-built kernel with the host's
 * root filesystem as a read-only snapshot, `--exec` runs our script in it, and vng returns its
 * exit status. The kernel console is shown with `--verbose` so oopses reach the log. Machine
 * settings (memory, CPUs, the coherent-memory reservation) come from the same arch data as the
 * QEMU backend; `--disable-microvm` keeps a PC machine whose e820 map honours `memmap=`.
 * Pure; the script is one argv element, never through a host shell.
 */
export function vngArgs(cfg: QemuArchConfig, spec: VngSpec): string[] {
  const args = ['--run', join(spec.buildDir, cfg.kernelImage), '--verbose', '--disable-microvm', '--memory', `${cfg.memoryMiB}M`, '--cpus', String(cfg.smp), '--user', 'root'];
  if (spec.accel === 'tcg') args.push('--disable-kvm');
  // vng adds its own console= and init; everything else of ours goes through --append.
  const cmdline = kernelCmdline(cfg, spec).split(' ').filter((p) => !p.startsWith('console='));
  for (const p of cmdline) args.push('--append', p);
  args.push('--exec', spec.script);
  return args;
}
