import type { QemuArchConfig } from './types.js';

/**
 * x86_64 under QEMU. Measured on a 2-core Debian 12 machine: TCG with `-cpu max` runs all 58
 * hmm-tests cases in about 7 s. The coherent-device tests need two 256 MiB ranges of real guest
 * memory that the kernel does not use as System RAM: `memmap=512M$0x40000000` marks
 * 1 GiB..1.5 GiB reserved in the e820 map of a 3 GiB guest, and test_hmm's spm_addr_dev0/1 point
 * its two coherent devices at the two halves.
 */
export const x86_64: QemuArchConfig = {
  arch: 'x86_64',
  qemuBinary: 'qemu-system-x86_64',
  machine: 'pc',
  cpu: { kvm: 'host,-arch-capabilities', tcg: 'max' },
  memoryMiB: 3072,
  smp: 2,
  console: 'ttyS0',
  kernelImage: 'arch/x86/boot/bzImage',
  cmdline: ['panic=-1', 'loglevel=7', 'printk.time=1'],
  extraQemuArgs: ['-nographic', '-no-reboot', '-nic', 'none'],
  coherent: {
    memmap: 'memmap=512M$0x40000000',
    testHmmParams: ['spm_addr_dev0=0x40000000', 'spm_addr_dev1=0x50000000'],
    description:
      'memmap=512M$0x40000000 reserves 1 GiB..1.5 GiB of a 3 GiB guest (e820 reserved); test_hmm spm_addr_dev0=0x40000000, spm_addr_dev1=0x50000000 (256 MiB each)',
  },
  hugepages: 16,
};
