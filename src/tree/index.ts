export type { KernelTree, Slot, SlotInfo, TreeStatus, Worktree } from './types.js';
export { parseMakefileVersion, versionCode, baselineCommitIdentity, type KernelVersion } from './version.js';
export { TreeError, DiskFullError, isDiskFull } from './errors.js';
export {
  prepareDefaultTree,
  findDefaultTree,
  defaultTarball,
  DEFAULT_TARBALL,
  DEFAULT_SOURCE_PACKAGE,
  BASELINE_REF,
  type PrepareDefaultTreeRequest,
} from './default-tree.js';
export { resolveTree, adoptUserTree, userTreeId, type ResolveTreeRequest } from './resolve.js';
export { createWorktree, resolveRev, removeWorktree } from './worktree.js';
export { acquireSlot, listSlots, resetWorktree, slotName, slotPaths, type AcquireSlotRequest } from './slots.js';
export { treeStatus, cleanCache, diskUsage, type CleanResult } from './status.js';
