import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { CacheLayout } from '../common/cache.js';
import { onCleanup } from '../common/cleanup.js';
import type { Reporter } from '../common/progress.js';
import { cancelsJobs } from '../common/run-cancelled.js';
import type { MachineShape } from '../run/concurrency.js';
import type { Stages } from '../stages/types.js';
import { FleetClient } from './client.js';
import { fleetStages } from './fleet-stages.js';
import { buildQueue, testQueue } from './jobs.js';
import { liveWorkers } from './registry.js';
import { openStore } from './store.js';
import { RunParents } from './run-parent.js';

/** `--store`, else $HMMCI_STORE, else `<cache>/fleet/store` (a directory every machine must see). */
export function storeSpec(cache: CacheLayout, flag?: string): string {
  return flag ?? process.env.HMMCI_STORE ?? join(cache.root, 'fleet', 'store');
}

/**
 * Run `fn` with stages that submit to the fleet at `url`, and a machine shape that lets the run
 * keep one build in flight per live build worker and one guest per live test worker. Each run
 * directory's test jobs are children of its run parent job; when `fn` is done every run that
 * ended is closed (its parent summarised by a worker), an interrupted one stays open.
 */
export async function withFleet<T>(
  url: string,
  opts: {
    cache: CacheLayout;
    store?: string;
    local: Stages;
    runner?: 'qemu' | 'vng';
    arch?: string;
    /** Where "run X is parent job Y" goes (default: nowhere). */
    reporter?: Reporter;
    /** How long to wait for a live worker for each queue before failing (ms; default 0: at once). */
    waitWorkersMs?: number;
    /** The run's signal: aborted as a cancel (RunCancelled), its runs are closed, not left for adoption. */
    signal?: AbortSignal;
  },
  fn: (stages: Stages, machine: MachineShape) => Promise<T>,
): Promise<T> {
  const client = await FleetClient.connect(url);
  const workDir = join(opts.cache.root, 'fleet', 'submit', randomUUID().slice(0, 12));
  mkdirSync(workDir, { recursive: true });
  const runs = new RunParents(client, { info: (t) => opts.reporter?.info(t) });
  const close = async () => {
    // Runs that ended (or were cancelled) get their outcome and lose their hold; interrupted ones stay open for adoption.
    await runs.closeAll({ cancelled: cancelsJobs(opts.signal?.reason) }).catch(() => undefined);
    await client.close();
    rmSync(workDir, { recursive: true, force: true });
  };
  const unregister = onCleanup('fleet connection', close);
  try {
    // Fail fast: every queue this run needs must have a live worker before anything is submitted.
    const arch = opts.arch ?? 'x86_64';
    for (const q of [buildQueue(arch), testQueue(arch, opts.runner ?? 'qemu')])
      await client.ensureServable(q, opts.waitWorkersMs);
    const live = await liveWorkers(client.conn.redis);
    const builders = Math.max(1, live.filter((w) => w.queues.some((q) => q.startsWith('build-'))).length);
    const machine: MachineShape = { cores: 8 * builders, memBytes: Math.max(1, live.length) * 64 * 1024 ** 3 };
    return await fn(
      fleetStages({ client, store: openStore(storeSpec(opts.cache, opts.store)), local: opts.local, workDir, runs }),
      machine,
    );
  } finally {
    unregister();
    await close();
  }
}
