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
