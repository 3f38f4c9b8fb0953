import type { Command } from 'commander';
import { interruptSignal } from '../../common/cleanup.js';
import { formatMs } from '../../common/progress.js';
import { prepareDefaultTree } from '../../tree/default-tree.js';
import { resolveTree } from '../../tree/resolve.js';
import { cleanCache, treeStatus } from '../../tree/status.js';
import type { TreeStatus } from '../../tree/types.js';
import { contextFrom } from '../context.js';

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export function renderStatus(s: TreeStatus): string {
  const lines = [`cache: ${s.cacheRoot} (${humanBytes(s.totalBytes)})`];
  lines.push('', 'trees:');
  if (!s.trees.length) lines.push('  (none — `hmmci tree prepare` makes the default tree)');
  for (const t of s.trees)
    lines.push(
      `  ${t.id.padEnd(28)} ${humanBytes(t.bytes).padStart(9)}  ${t.baseline ? `baseline ${t.baseline.slice(0, 12)}` : ''}  ${t.path}`,
    );
  lines.push('', 'slots (worktree + build dir):');
  if (!s.slots.length) lines.push('  (none)');
  for (const sl of s.slots) {
    lines.push(
      `  ${sl.name.padEnd(44)} worktree ${humanBytes(sl.worktreeBytes).padStart(9)}  build ${humanBytes(sl.buildBytes).padStart(9)}  ${sl.locked ? 'IN USE' : 'idle  '}  @ ${sl.rev?.slice(0, 12) ?? '?'}  ${sl.lastUsed ?? ''}`,
    );
    lines.push(`    ${sl.worktree}${sl.repo ? `  (worktree of ${sl.repo})` : ''}`);
  }
  if (s.worktrees.length) {
    lines.push('', 'other worktrees:');
    for (const w of s.worktrees) lines.push(`  ${humanBytes(w.bytes).padStart(9)}  ${w.path}`);
  }
  if (s.builds.length) {
    lines.push('', 'other build dirs:');
    for (const b of s.builds) lines.push(`  ${humanBytes(b.bytes).padStart(9)}  ${b.path}`);
  }
  return lines.join('\n');
}

/** `hmmci tree prepare|status|clean`. */
export function registerTree(program: Command): void {
  const tree = program
    .command('tree')
    .description("The kernel tree: the default one made from Debian's linux-source-6.12, or yours with --tree");
  tree
    .command('prepare')
    .description(
      'Unpack /usr/src/linux-source-6.12.tar.xz into the cache as a git repository with one reproducible baseline commit (tag hmmci/baseline), and print it. With --tree, check your checkout instead (never modified).',
    )
    .option('--tree <dir>', 'check an existing kernel git checkout instead of making the default tree')
    .option(
      '--tarball <file>',
      'the linux-source tarball (default $HMMCI_TARBALL or /usr/src/linux-source-6.12.tar.xz)',
    )
    .option('--json', 'print {path, kind, baseline, version, id}')
    .action(async (opts: { tree?: string; tarball?: string; json?: boolean }, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const started = Date.now();
      const t = opts.tree
        ? await resolveTree({ tree: opts.tree, cache: ctx.cache, reporter: ctx.reporter })
        : await prepareDefaultTree({
            cache: ctx.cache,
            reporter: ctx.reporter,
            tarball: opts.tarball,
            signal: interruptSignal(),
          });
      ctx.out(
        opts.json
          ? JSON.stringify(t, null, 2)
          : `${t.kind === 'default' ? 'default tree' : 'your tree'}: ${t.path}\nlinux ${t.version ?? '?'}\nbaseline ${t.baseline}${t.kind === 'default' ? ' (tag hmmci/baseline)' : ''}\n(${formatMs(Date.now() - started)})`,
      );
    });
  tree
    .command('status')
    .description(
      'Show the trees, slots (worktrees with their build dirs) and other build dirs in the cache, with sizes',
    )
    .option('--json', 'print {cacheRoot, trees, slots, worktrees, builds, totalBytes}')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const s = await treeStatus(ctx.cache);
      ctx.out(opts.json ? JSON.stringify(s, null, 2) : renderStatus(s));
    });
  tree
    .command('clean')
    .description(
      'Remove the worktrees and build dirs hmmci made (slots in use by a running hmmci are kept); with --all also the default trees. Your own checkouts only lose the worktree entries hmmci added.',
    )
    .option('--all', 'also remove the default trees (the next run unpacks the tarball again)')
    .action(async (opts: { all?: boolean }, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const before = await treeStatus(ctx.cache);
      const r = await cleanCache(ctx.cache, { trees: Boolean(opts.all) });
      const after = await treeStatus(ctx.cache);
      for (const p of r.removed) ctx.reporter.info(`removed ${p}`);
      for (const b of r.busy) ctx.reporter.warn(`slot ${b} is in use by a running hmmci; kept`);
      ctx.out(
        `freed ${humanBytes(Math.max(0, before.totalBytes - after.totalBytes))}; cache now ${humanBytes(after.totalBytes)}`,
      );
    });
}
