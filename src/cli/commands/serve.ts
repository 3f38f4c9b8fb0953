import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { interruptSignal, onCleanup } from '../../common/cleanup.js';
import { UsageError } from '../../common/errors.js';
import { historyPath, openCacheHistory } from '../../history/index.js';
import { connectFleet } from '../../fleet/connection.js';
import { startServer } from '../../web/server.js';
import { contextFrom, wholeNumber } from '../context.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'Serve the history read-only in a browser: run list, run pages, test history, flaky ranking; with --fleet, the fleet.',
    )
    .option('--port <n>', 'TCP port (0 picks a free one)', wholeNumber('--port', 0), 8014)
    .option(
      '--host <addr>',
      'address to bind (default loopback only; give 0.0.0.0 to publish the history)',
      '127.0.0.1',
    )
    .option(
      '--fleet <url>',
      'also show the fleet behind this Redis (redis://HOST:PORT) at /fleet: workers, queues, running, runs and failed jobs (default $HMMCI_FLEET)',
    )
    .action(async (opts: { port: number; host: string; fleet?: string }, cmd: Command) => {
      const ctx = contextFrom(cmd);
      if (opts.port > 65535) throw new UsageError(`--port wants 0..65535, got ${opts.port}.`);
      const fleetUrl = opts.fleet ?? (process.env.HMMCI_FLEET || undefined);
      const fleet = fleetUrl ? await connectFleet(fleetUrl, { flag: '--fleet' }) : undefined;
      // Create (and migrate) the database once, so a fresh cache serves an empty list.
      if (!existsSync(historyPath(ctx.cache))) openCacheHistory(ctx.cache).close();
      const db = openCacheHistory(ctx.cache, { readonly: true });
      const srv = await startServer({ db, host: opts.host, port: opts.port, fleet });
      const stop = async () => {
        await srv.close();
        db.close();
        await fleet?.close();
      };
      const unregister = onCleanup('stop hmmci serve', stop);
      ctx.reporter.info(
        `serving ${historyPath(ctx.cache)} read-only at ${srv.url}${fleet ? ` and the fleet at ${srv.url}fleet` : ''} (Ctrl-C stops)`,
      );
      ctx.out(srv.url);
      await new Promise<void>((resolve) =>
        interruptSignal().addEventListener('abort', () => resolve(), { once: true }),
      );
      unregister();
      await stop();
    });
}
