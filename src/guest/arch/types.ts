/** One architecture's QEMU settings, as data (kunit_tool's qemu_configs style). */
export type Accel = 'kvm' | 'tcg';

export interface CoherentMemory {
  /** Kernel command-line reservation that keeps the range out of System RAM (e820 reserved). */
  memmap: string;
  /** test_hmm module parameters pointing its two coherent devices into the reserved range. */
  testHmmParams: readonly string[];
  /** Human-readable description recorded in results. */
  description: string;
}

export interface QemuArchConfig {
  arch: string;
  qemuBinary: string;
  /** `-machine` value. */
  machine: string;
  /** `-cpu` per accelerator: KVM can use the host's, TCG emulates `max`. */
  cpu: Record<Accel, string>;
  /** Guest RAM in MiB; must cover the coherent reservation. */
  memoryMiB: number;
  smp: number;
  /** Kernel console device, and the QEMU options that route it to stdio. */
  console: string;
  /** Kernel image path inside a kbuild output directory. */
  kernelImage: string;
  /** Kernel parameters every run gets (console and coherent memory are added separately). */
  cmdline: readonly string[];
  /** Extra QEMU options (no network, no display). */
  extraQemuArgs: readonly string[];
  coherent: CoherentMemory;
  hugepages: number;
}
