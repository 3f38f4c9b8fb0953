import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitMaybe } from '../tree/git.js';

/** What configure leaves in `<buildDir>/.hmmci/config.json` besides its result. */
export interface ConfigStamp {
  configKey: string;
  configHash: string;
  /** HEAD of the source tree when it was configured. */
  srcRev?: string;
}

export function readConfigStamp(buildDir: string): ConfigStamp | undefined {
  try {
    return JSON.parse(readFileSync(join(buildDir, '.hmmci', 'config.json'), 'utf8')) as ConfigStamp;
  } catch {
    return undefined;
  }
}

/** Paths whose change between two commits can change the .config olddefconfig makes. */
export function touchesKconfig(paths: readonly string[]): boolean {
  return paths.some(
    (p) =>
      /(^|\/)Kconfig[^/]*$/.test(p) ||
      p.startsWith('scripts/kconfig/') ||
      p.startsWith('arch/x86/configs/') ||
      p.startsWith('kernel/configs/'),
  );
}

/**
 * Is `<buildDir>/.config` still what configure would make for these inputs at the worktree's
 * HEAD? True when it was made from the same inputs (configKey) and no Kconfig file changed since
 * (a patch series or bisect step that only touches C files keeps the config): then callers can
 * skip the ~15 s configure and go straight to the incremental build.
 */
export async function configIsCurrent(opts: { buildDir: string; srcDir: string; key: string }): Promise<boolean> {
  return (await currentConfigStamp(opts)) !== undefined;
}

/** configIsCurrent, giving the stamp (configHash…) of the current .config instead of `true`: config.json is read once. */
export async function currentConfigStamp(opts: {
  buildDir: string;
  srcDir: string;
  key: string;
}): Promise<ConfigStamp | undefined> {
  if (!existsSync(join(opts.buildDir, '.config'))) return undefined;
  const stamp = readConfigStamp(opts.buildDir);
  if (!stamp || stamp.configKey !== opts.key || !stamp.srcRev) return undefined;
  const head = (await gitMaybe(opts.srcDir, ['rev-parse', 'HEAD']))?.trim();
  if (!head) return undefined;
  if (head === stamp.srcRev) return stamp;
  const changed = await gitMaybe(opts.srcDir, ['diff', '--name-only', stamp.srcRev, head]);
  if (changed === undefined) return undefined;
  return touchesKconfig(changed.split('\n').filter(Boolean)) ? undefined : stamp;
}
