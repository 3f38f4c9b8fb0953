import type { Command } from 'commander';
import { onCleanup } from '../../common/cleanup.js';
import { describeCapabilities } from '../../fleet/capabilities.js';
import { connectFleet } from '../../fleet/connection.js';
import { fleetStatus, renderStatus } from '../../fleet/status.js';
import { startWorker } from '../../fleet/worker.js';
import { contextFrom, wholeNumber } from '../context.js';

export function registerFleet(program: Command): void {
  program
    .command('worker')
    .description(
      'Serve the fleet: probe this machine (arch, KVM or TCG, cores, memory, qemu/vng, cross compilers), take the build and test jobs it can do, heartbeat. Ctrl-C finishes the current job (or hands it back after --grace); twice quits at once.',
    )
    .requiredOption('--redis <url>', "the fleet's Redis, redis://HOST:PORT[/DB]")
    .option('--id <name>', 'worker name in `hmmci fleet status` (default: host-pid)')
    .option('--builds-only', 'take only build jobs')
    .option('--tests-only', 'take only test (boot) jobs')
    .option(
      '--lease <seconds>',
      'job lease: a worker silent this long loses its job to another',
      wholeNumber('--lease', 1),
      30,
    )
    .option(
      '--grace <seconds>',
      'on Ctrl-C, how long the current job may run on before it is handed back',
      wholeNumber('--grace', 0),
      30,
    )
    .action(
      async (
        opts: { redis: string; id?: string; buildsOnly?: boolean; testsOnly?: boolean; lease: number; grace: number },
        cmd: Command,
      ) => {
        const ctx = contextFrom(cmd);
        const w = await startWorker({
          redisUrl: opts.redis,
          cacheRoot: ctx.cache.root,
          id: opts.id,
          leaseMs: opts.lease * 1000,
          graceMs: opts.grace * 1000,
          only: { builds: !opts.testsOnly, tests: !opts.buildsOnly },
          reporter: ctx.reporter,
        });
        ctx.reporter.info(`worker ${w.id}: ${describeCapabilities(w.capabilities)}`);
        // Ctrl-C (or SIGTERM) runs the cleanup actions: this one finishes or hands back the current job.
        await new Promise<void>((resolve) => {
          onCleanup(`worker ${w.id}`, async () => {
            ctx.reporter.info(
              `worker ${w.id}: stopping: no new jobs; the current one finishes within ${opts.grace} s or is handed back`,
            );
            await w.stop();
            resolve();
          });
        });
      },
    );

  const fleet = program.command('fleet').description('The fleet of workers behind `--fleet`.');
  fleet
    .command('status')
    .description(
      'Workers (capabilities, current job, last heartbeat), queue depths, running jobs and their stage, failed jobs and why.',
    )
    .requiredOption('--redis <url>', "the fleet's Redis, redis://HOST:PORT[/DB]")
    .option('--json', 'as JSON')
    .action(async (opts: { redis: string; json?: boolean }, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const conn = await connectFleet(opts.redis);
      try {
        const s = await fleetStatus(conn);
        ctx.out(opts.json ? JSON.stringify(s, null, 2) : renderStatus(s));
      } finally {
        await conn.close();
      }
    });
}
