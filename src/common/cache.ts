import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where hmmci keeps everything it makes. Precedence: --cache-dir, then $HMMCI_CACHE, then
 * $XDG_CACHE_HOME/hmmci, then ~/.cache/hmmci. Layout (each stage owns its folder):
 *   trees/<name>/        default trees made from Debian's tarball (git repositories)
 *   worktrees/<id>/      git worktrees hmmci owns: slots (reused, each with its kbuild output
 *                        dir `.hmmci-build/` inside, so kbuild uses srctree=.. and ccache hits
 *                        are shared by every slot) and throwaway worktrees (removed when done)
 *   builds/<key>/        kbuild output directories for trees hmmci does not own a worktree of
 *                        (`hmmci bisect-step` builds the checkout `git bisect run` gave it here)
 *   initramfs/<hash>/    guest images, cached by content
 *   runs/<id>/           artifacts of each `hmmci run` (series, .config, logs, results)
 *   machine.json         verdicts about this machine (does KVM work?)
 *   locks/               lock files for shared state
 */
export function cacheRoot(opts: { cacheDir?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const env = opts.env ?? process.env;
  if (opts.cacheDir) return resolve(opts.cacheDir);
  if (env.HMMCI_CACHE) return resolve(env.HMMCI_CACHE);
  const xdg = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(xdg, 'hmmci');
}

export interface CacheLayout {
  root: string;
  trees: string;
  worktrees: string;
  builds: string;
  initramfs: string;
  runs: string;
  locks: string;
  machineFile: string;
}

export function cacheLayout(root: string): CacheLayout {
  return {
    root,
    trees: join(root, 'trees'),
    worktrees: join(root, 'worktrees'),
    builds: join(root, 'builds'),
    initramfs: join(root, 'initramfs'),
    runs: join(root, 'runs'),
    locks: join(root, 'locks'),
    machineFile: join(root, 'machine.json'),
  };
}

/** Names in a cache folder, none when the folder does not exist (yet) or cannot be read. */
export function cacheEntries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
