import { join } from 'node:path';
import type { Accel, QemuArchConfig } from './arch/types.js';
import { kernelCmdline } from './qemu-command.js';

export interface VngSpec {
  buildDir: string;
  accel: Accel;
  /**
   * Host path of the run script (renderRunScript mode 'vng'). The guest sees the host's root, so
   * vng only gets `sh <path>`: vng passes --exec base64-encoded on the kernel command line, which
   * x86 caps at 2048 bytes, and hmmci's script alone is longer than that.
   */
  scriptPath: string;
  coherent?: boolean;
  extraCmdline?: readonly string[];
}

/** A word for the guest's shell (vng runs --exec with bash): the path quoted when it must be. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_.,:=/+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * virtme-ng command line (vng(1), checked against virtme-ng 1.41). `--run <bzImage>` boots a
 * built kernel with the host's root filesystem as the guest's read-only root, `--exec` runs our
 * script in it and vng exits with the script's status (255 when the guest died first).
 * - `--verbose`: the kernel console (ttyS0) goes to vng's stderr, where oopses are read.
 * - `--disable-microvm`: a PC machine (q35 under TCG), whose e820 map honours `memmap=`.
 * - `--skip-modules`: test_hmm.ko is loaded by path from the build; without it vng would run
 *   virtme-prep-kdir-mods in the build directory (writing `.virtme_mods/` there) for nothing.
 * - `--force-9p`: the root over virtio-9p, the same on every host. Without it vng tries a
 *   virtiofsd first (here it finds QEMU 7.2's C one, which cannot serve it, and falls back to 9p
 *   ~3 s later; elsewhere a Rust virtiofsd changes the guest's memory backend).
 * - `root=/dev/root`: vng boots without an initramfs on QEMU ≥ 1.6 and passes `rootfstype=9p`
 *   but no `root=`; without a block layer the kernel then has no name for the 9p mount tag
 *   (`/dev/root`) and panics ("VFS: Unable to mount root fs"). Naming it makes the kernel
 *   mount the tag directly (mount_nodev_root), no CONFIG_BLOCK, no initramfs needed.
 * Machine settings (memory, CPUs, the coherent reservation) come from the same arch data as the
 * QEMU backend. Pure; nothing goes through a host shell.
 */
export function vngArgs(cfg: QemuArchConfig, spec: VngSpec): string[] {
  const args = [
    '--run',
    join(spec.buildDir, cfg.kernelImage),
    '--verbose',
    '--disable-microvm',
    '--force-9p',
    '--skip-modules',
    '--memory',
    `${cfg.memoryMiB}M`,
    '--cpus',
    String(cfg.smp),
    '--user',
    'root',
  ];
  if (spec.accel === 'tcg') args.push('--disable-kvm');
  // vng adds its own console=, panic=-1 and init; everything else of ours goes through --append.
  const cmdline = kernelCmdline(cfg, spec)
    .split(' ')
    .filter((p) => !p.startsWith('console='));
  for (const p of ['root=/dev/root', ...cmdline]) args.push('--append', p);
  args.push('--exec', `sh ${shellWord(spec.scriptPath)}`);
  return args;
}
