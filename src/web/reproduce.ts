import type { RunRecord } from '../report/record.js';

/** The fragments `hmmci run` merges without being asked (src/run/real-stages DEFAULT_FRAGMENTS). */
const DEFAULT_FRAGMENTS = new Set(['base-x86_64-qemu.config', 'hmm.config']);

/** POSIX shell quoting for display: safe to paste, whatever a mail put in a Message-ID. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that runs this job again: the series as kept in the run directory (the mail as
 * tested), the same base commit, config inputs, runner and reruns.
 */
export function reproduceArgs(r: RunRecord, opts: { useKeptSeries?: boolean } = {}): string[] {
  const series = opts.useKeptSeries !== false && r.artifacts.series ? r.artifacts.series : r.series.input;
  const args = ['hmmci', 'run', series];
  if (r.series.base) args.push('--base', r.series.base);
  const extraFragments = r.config.fragments.filter((f) => !DEFAULT_FRAGMENTS.has(f));
  if (r.config.variant) {
    args.push('--variant', `${r.config.variant}:${[...extraFragments, ...r.config.extra].join(',')}`);
  } else {
    for (const f of extraFragments) args.push('--kconfig', f);
    for (const x of r.config.extra) args.push('--config', x);
  }
  if (r.env.runner && r.env.runner !== 'qemu') args.push('--runner', r.env.runner);
  // Reruns happen only when a result changed; more than the default 1 means --reruns was given.
  if (r.reruns.length > 1) args.push('--reruns', String(r.reruns.length));
  return args;
}

export function reproduceCommand(r: RunRecord, opts: { useKeptSeries?: boolean } = {}): string {
  return reproduceArgs(r, opts).map(shellQuote).join(' ');
}
