/** How the guest runs hmm-tests beyond the defaults (`--repeat`, `--smp`, `--memory-pressure`, `--shards`). */
export interface GuestRunOptions {
  repeat?: number;
  smp?: number;
  memoryPressure?: boolean;
  shards?: number | 'auto';
}

/**
 * The part of the options that changes results (sharding does not): appended to the runner in
 * the baseline cache key, so a `--repeat 20` baseline is never mistaken for a single run's.
 * Empty for the defaults (keys of existing baselines stay valid).
 */
export function guestResultKey(o: GuestRunOptions | undefined): string {
  if (!o) return '';
  const parts = [
    o.repeat !== undefined ? `repeat=${o.repeat}` : '',
    o.smp ? `smp=${o.smp}` : '',
    o.memoryPressure ? 'memory-pressure' : '',
  ].filter(Boolean);
  return parts.length ? ` ${parts.join(' ')}` : '';
}

/**
 * The guest options with hmmci's default sharding filled in: `auto` for the QEMU runner (two
 * guests side by side when the machine has two cores and the memory for both, see testKernel's
 * decideShards; one otherwise), one guest for vng (unmeasured there). An explicit `shards`,
 * `--shards 1` included, is kept. Sharding changes no result (bench:shards), only the time.
 */
export function withDefaultShards(o: GuestRunOptions | undefined, runner: 'qemu' | 'vng'): GuestRunOptions | undefined {
  if (o?.shards !== undefined || runner !== 'qemu') return o;
  return { ...o, shards: 'auto' };
}
