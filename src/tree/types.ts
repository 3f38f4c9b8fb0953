/**
 * Data of the tree stage: kernel trees hmmci works from, and the slots (worktree + build dir)
 * every build, apply and bisect step runs in.
 */

/** A kernel source tree hmmci can check out revisions of. */
export interface KernelTree {
  /** Top of the repository (for a bare repository: its git directory). Never modified by hmmci. */
  path: string;
  /** `default`: made by hmmci from Debian's linux-source tarball; `user`: adopted with --tree. */
  kind: 'default' | 'user';
  /** Full sha of the commit runs start from: the reproducible baseline, or the user's HEAD. */
  baseline: string;
  /** Kernel version from the top-level Makefile at `baseline`, e.g. `6.12.117`. */
  version?: string;
  /** Short stable name used in cache paths (`linux-6.12.117`, `user-<name>-<hash>`). */
  id: string;
}

/** A reusable worktree plus its kbuild output directory, locked while in use. */
export interface Slot {
  /** Detached git worktree owned by hmmci, checked out at `rev`, clean. */
  worktree: string;
  /** kbuild output directory (O=) paired with this worktree. */
  buildDir: string;
  /** Slot number among those with the same (tree, configKey): 1, 2, … */
  index: number;
  /** The commit checked out (full sha). */
  rev: string;
  /** Key of the config this slot builds (see kconfig `configKey`). */
  configKey: string;
  /** Unlock the slot (the worktree and build dir stay for the next run). Idempotent. */
  release(): Promise<void>;
}

/** A throwaway worktree removed by `remove()` (or by the cleanup handlers on exit). */
export interface Worktree {
  path: string;
  rev: string;
  remove(): Promise<void>;
}

/** What `hmmci tree status` shows. */
export interface TreeStatus {
  cacheRoot: string;
  trees: Array<{ id: string; path: string; kind: 'default'; version?: string; baseline?: string; bytes: number }>;
  slots: Array<SlotInfo & { worktreeBytes: number; buildBytes: number; locked: boolean }>;
  worktrees: Array<{ path: string; bytes: number }>;
  builds: Array<{ path: string; bytes: number }>;
  totalBytes: number;
}

/** Metadata written next to each slot (slot.json) so status and clean know what it belongs to. */
export interface SlotInfo {
  name: string;
  treeId: string;
  /** Repository the worktree belongs to (the default tree or the user's repository). */
  repo: string;
  configKey: string;
  index: number;
  worktree: string;
  buildDir: string;
  rev?: string;
  lastUsed?: string;
}
