/**
 * How many kernel builds and QEMU guests run at once, from the machine's cores and memory. A
 * build uses every core it is given (make -jN) and about 0.5 GiB per job; a TCG guest keeps two
 * cores busy and holds its 3 GiB of RAM plus QEMU's own overhead. Pure.
 */
export interface MachineShape {
  cores: number;
  /** Memory available to us (bytes). */
  memBytes: number;
}

export interface ConcurrencyPlan {
  /** Builds at once. */
  builds: number;
  /** make -j for each build. */
  buildJobs: number;
  /** QEMU guests at once. */
  guests: number;
}

const GiB = 1024 ** 3;
export const GUEST_MEM_BYTES = 3.5 * GiB;
export const BUILD_JOB_MEM_BYTES = 0.5 * GiB;
/** Memory left for everything else (page cache for the tree, node, git). */
export const RESERVED_MEM_BYTES = 2 * GiB;

export function planConcurrency(m: MachineShape, opts: { jobs?: number } = {}): ConcurrencyPlan {
  const cores = Math.max(1, Math.floor(m.cores));
  const usable = Math.max(0, m.memBytes - RESERVED_MEM_BYTES);
  // Parallel builds only pay off on big machines: one build already saturates up to ~8 cores.
  let builds = Math.max(1, Math.floor(cores / 8));
  builds = Math.max(1, Math.min(builds, Math.floor(usable / (BUILD_JOB_MEM_BYTES * Math.ceil(cores / builds)))));
  const buildJobs = Math.max(1, opts.jobs ?? Math.floor(cores / builds));
  const guests = Math.max(1, Math.min(Math.floor(cores / 2), Math.floor(usable / GUEST_MEM_BYTES)));
  return { builds, buildJobs, guests };
}
