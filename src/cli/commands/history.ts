import type { Command } from 'commander';
import { UsageError } from '../../common/errors.js';
import {
  flakyRanking,
  historyPath,
  importRuns,
  openCacheHistory,
  renderFlakyText,
  renderHistoryText,
  runDirsOf,
  testHistory,
} from '../../history/index.js';
import { printable } from '../../history/printable.js';
import { parseStatuses, renderWatchOutcomes, watchOutcomes } from '../../watch/outcomes.js';
import { contextFrom, wholeNumber } from '../context.js';

interface HistoryFlags {
  flaky?: boolean;
  watch?: string | true;
  json?: boolean;
  limit?: number;
}

export function registerHistory(program: Command): void {
  const history = program
    .command('history')
    .description(
      'Results of tests over time from the history database: `history <test-glob>`, `history --flaky`, `history import`.',
    )
    .argument('[test-glob]', 'test name or glob, e.g. "hmm2.*.snapshot" or "*coherent*"')
    .option('--flaky', 'rank tests by flips (pass↔fail changes on the same base and config)')
    .option(
      '--watch [status]',
      'series versions hmmci watch met, newest first, with their outcome (filter: tested, answered, skipped, incomplete, superseded, queued…; comma-separated)',
    )
    .option(
      '--limit <n>',
      'runs shown per test (default 20; 0 = all), or tests shown with --flaky',
      wholeNumber('--limit', 0),
    )
    .option('--json', 'as JSON')
    .action((glob: string | undefined, opts: HistoryFlags, cmd: Command) => {
      const ctx = contextFrom(cmd);
      if (!glob && !opts.flaky && opts.watch === undefined)
        throw new UsageError(
          'Give a test glob (`hmmci history "hmm2.*.snapshot"`), --flaky, --watch, or `hmmci history import`.',
        );
      const statuses = parseStatuses(opts.watch);
      const db = openCacheHistory(ctx.cache);
      try {
        if (opts.watch !== undefined) {
          const list = watchOutcomes(db, { statuses, limit: opts.limit ?? 50 });
          ctx.out(opts.json ? JSON.stringify(list, null, 2) : renderWatchOutcomes(list));
          return;
        }
        if (opts.flaky) {
          const list = flakyRanking(db, { limit: opts.limit });
          ctx.out(opts.json ? JSON.stringify(list, null, 2) : renderFlakyText(list));
          return;
        }
        const shown = opts.limit ?? 20;
        const list = testHistory(db, glob as string, { limit: shown || undefined });
        if (!list.length) {
          ctx.out(
            `No test matching "${printable(glob as string)}" in ${historyPath(ctx.cache)}. \`hmmci history import\` (re)builds the history from the run directories.`,
          );
          process.exitCode = 1;
          return;
        }
        ctx.out(opts.json ? JSON.stringify(list, null, 2) : renderHistoryText(list, { shown }));
      } finally {
        db.close();
      }
    });

  history
    .command('import')
    .description('(Re)build the history database from run directories (default: every run in the cache).')
    .argument('[run-dir...]', 'run directories to import (default: <cache>/runs/*)')
    .option('--json', 'print the import summary as JSON')
    .action((dirs: string[], opts: { json?: boolean }, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const db = openCacheHistory(ctx.cache);
      try {
        const stage = ctx.reporter.stage('history import');
        const list = runDirsOf(ctx.cache, dirs);
        const res = importRuns(db, list, {
          onProgress: (done, total) => stage.update(`${done}/${total} run directories`),
        });
        stage.done(`${res.imported} runs`);
        // `history --json` and `history import --json` are one flag to commander.
        if (opts.json || cmd.optsWithGlobals<{ json?: boolean }>().json) {
          ctx.out(JSON.stringify({ database: historyPath(ctx.cache), ...res }, null, 2));
          return;
        }
        ctx.out(
          `imported ${res.imported} run${res.imported === 1 ? '' : 's'} into ${historyPath(ctx.cache)}${res.running ? ` (${res.running} still running, left for their run to record)` : ''}`,
        );
        for (const u of res.unreadable) ctx.out(`  skipped ${u.dir}: ${u.reason}`);
      } finally {
        db.close();
      }
    });
}
