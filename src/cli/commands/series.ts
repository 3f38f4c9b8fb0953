import type { Command } from 'commander';
import { interruptSignal } from '../../common/cleanup.js';
import { resolveConfigInputs } from '../../kconfig/configure.js';
import { applySeries } from '../../series/apply.js';
import { resolveBase } from '../../series/base.js';
import { loadSeries } from '../../series/load.js';
import { renderApplyText, renderSeriesText, summariseWarnings } from '../../series/render.js';
import { toSeriesJson } from '../../series/series.js';
import type { Series } from '../../series/types.js';
import { resolveTree } from '../../tree/resolve.js';
import { acquireSlot } from '../../tree/slots.js';
import { contextFrom, type CliContext } from '../context.js';

const INPUT_HELP =
  'an mbox (lore t.mbox, git format-patch --stdout), a .patch/.eml file, a folder of them, a git range A..B (with --tree), or a message-id (needs b4)';

function warn(ctx: CliContext, series: Series, verbose?: boolean): void {
  for (const w of summariseWarnings(series.warnings, { verbose })) ctx.reporter.warn(w.message);
}

/** `hmmci series show <input> [--json]` and `hmmci apply <input> [--tree DIR] [--base REV]`. */
export function registerSeries(program: Command): void {
  const series = program.command('series').description('Read a patch series and show what is in it');
  series
    .command('show')
    .description(
      `Parse a series and list its patches, files and trailers; warn about missing, duplicate, mixed-version or out-of-order patches.\n<input> is ${INPUT_HELP}.`,
    )
    .argument('<input>', 'the series')
    .option(
      '--json',
      'print {cover, version, baseCommit, patches: [{index, total, subject, author, date, messageId, files, trailers}]}',
    )
    .option('--tree <dir>', 'repository a git range A..B is read from')
    .option('--verbose', 'list every mail that is not a patch (by default more than 3 are summarised in one line)')
    .action(async (input: string, opts: { json?: boolean; tree?: string; verbose?: boolean }, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const s = await loadSeries(input, { tree: opts.tree, reporter: ctx.reporter, signal: interruptSignal() });
      // The text table lists the warnings itself; with --json they go to stderr.
      if (opts.json) warn(ctx, s, opts.verbose);
      ctx.out(
        opts.json
          ? JSON.stringify(toSeriesJson(s), null, 2)
          : renderSeriesText(s, { width: process.stdout.columns, verbose: opts.verbose }),
      );
    });

  program
    .command('apply')
    .description(
      `Apply a series with git am -3 in a worktree hmmci owns (never your checkout) and print the worktree and commits. The base is the series' base-commit when the tree has it, else --base, else the tree's baseline.\n<input> is ${INPUT_HELP}.`,
    )
    .argument('<input>', 'the series')
    .option('--tree <dir>', 'your kernel git checkout (default: the default tree made from linux-source)')
    .option('--base <rev>', 'apply on this commit when the series has no base-commit this tree knows')
    .option('--json', 'print {worktree, base, baseReason, commits: [{sha, index, subject}]}')
    .option('--verbose', 'list every mail that is not a patch (by default more than 3 are summarised in one line)')
    .action(
      async (
        input: string,
        opts: { tree?: string; base?: string; json?: boolean; verbose?: boolean },
        cmd: Command,
      ) => {
        const ctx = contextFrom(cmd);
        const signal = interruptSignal();
        const tree = await resolveTree({ tree: opts.tree, cache: ctx.cache, reporter: ctx.reporter, signal });
        const s = await loadSeries(input, { tree: tree.path, reporter: ctx.reporter, signal });
        warn(ctx, s, opts.verbose);
        const base = await resolveBase({
          repo: tree.path,
          baseCommit: s.baseCommit,
          option: opts.base,
          baseline: tree.baseline,
          baselineName:
            tree.kind === 'default' ? `hmmci/baseline (${tree.version ?? tree.id})` : `(HEAD of ${tree.path})`,
          signal,
        });
        ctx.reporter.info(`base: ${base.base.slice(0, 12)} — ${base.reason}`);
        // The slot of the default config: a later `hmmci build` of the same tree reuses it.
        const slot = await acquireSlot({
          tree,
          rev: base.base,
          configKey: resolveConfigInputs().key,
          cache: ctx.cache,
          reporter: ctx.reporter,
          signal,
        });
        try {
          const r = await applySeries({ series: s, worktree: slot.worktree, base, reporter: ctx.reporter, signal });
          ctx.out(
            opts.json
              ? JSON.stringify(
                  { worktree: r.worktree, base: r.base, baseReason: r.baseReason, commits: r.commits },
                  null,
                  2,
                )
              : renderApplyText(r, { total: s.patches[0]?.total }),
          );
        } finally {
          await slot.release();
        }
      },
    );
}
