import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cacheEntries, type CacheLayout } from '../common/cache.js';
import { HmmciError } from '../common/errors.js';
import { acquireLock, type Lock } from '../common/lock.js';
import { onCleanup } from '../common/cleanup.js';
import { silentReporter, type Reporter, type StageHandle } from '../common/progress.js';
import { git, gitMaybe } from './git.js';
import type { KernelTree, Slot, SlotInfo } from './types.js';
import { buildDirPair, readConfigPair, savedConfigPair, saveConfigPair, writeConfigPair } from './config-store.js';
import { addLinkedWorktree } from './slot-links.js';
import { addDetachedWorktree, removeWorktree, resolveRev } from './worktree.js';

export interface AcquireSlotRequest {
  tree: KernelTree;
  /** Revision to check out (sha, tag, branch of the tree's repository). */
  rev: string;
  /** Which configuration the slot builds (kconfig `configKey`): build dirs are never shared between configs. */
  configKey: string;
  cache: CacheLayout;
  reporter?: Reporter;
  /** Slots tried before waiting for slot 1 (default 4). */
  maxSlots?: number;
  signal?: AbortSignal;
}

/**
 * The kbuild output directory of a slot is a direct subfolder of its worktree. kbuild then uses the
 * relative `srctree := ..` (instead of the worktree's absolute path) in every compiler command, so
 * ccache hits are shared between all slots, trees and machines; the kernel's own .gitignore
 * (`.*`) hides it from git, and the reset below keeps it.
 */
export const SLOT_BUILD_SUBDIR = '.hmmci-build';

export function slotName(treeId: string, configKey: string, index: number): string {
  return `${treeId}-${configKey}-${index}`;
}

export function slotPaths(cache: CacheLayout, name: string) {
  return {
    worktree: resolve(join(cache.worktrees, name)),
    buildDir: resolve(join(cache.worktrees, name, SLOT_BUILD_SUBDIR)),
    lock: join(cache.locks, `slot-${name}.lock`),
    info: join(cache.worktrees, `${name}.slot.json`),
  };
}

/** Every slot recorded in the cache (from the `<name>.slot.json` files). */
export function listSlots(cache: CacheLayout): SlotInfo[] {
  const out: SlotInfo[] = [];
  for (const n of cacheEntries(cache.worktrees)
    .filter((x) => x.endsWith('.slot.json'))
    .sort()) {
    try {
      out.push(JSON.parse(readFileSync(join(cache.worktrees, n), 'utf8')) as SlotInfo);
    } catch {
      /* a torn file: ignored, clean removes it */
    }
  }
  return out;
}

async function tryLock(path: string): Promise<Lock | undefined> {
  try {
    return await acquireLock(path, { waitMs: -1 }); // fail at once when held: try the next slot
  } catch (err) {
    if (err instanceof HmmciError) return undefined;
    throw err;
  }
}

/** True when `wt` is a live worktree of the repository at `repo`. */
async function isWorktreeOf(wt: string, repo: string): Promise<boolean> {
  if (!existsSync(join(wt, '.git'))) return false;
  const mine = (await gitMaybe(wt, ['rev-parse', '--path-format=absolute', '--git-common-dir']))?.trim();
  const theirs = (await gitMaybe(repo, ['rev-parse', '--path-format=absolute', '--git-common-dir']))?.trim();
  return Boolean(mine && theirs && resolve(mine) === resolve(theirs));
}

/**
 * Reset a slot's worktree to `sha` whatever the last user left: an interrupted `git am` is
 * aborted, tracked files are forced back (`checkout --detach -f`), untracked and ignored files
 * go (`clean -ffdx`, except the slot's build dir: Debian's .gitignore ignores everything, and the build is out of tree so the
 * source tree has nothing worth keeping). Files identical to `sha` keep their mtimes, which is
 * what makes the next build incremental.
 */
export async function resetWorktree(wt: string, sha: string, signal?: AbortSignal): Promise<void> {
  // One rev-parse for every in-progress marker (this runs at every bisect step).
  const states = ['rebase-apply', 'rebase-merge', 'CHERRY_PICK_HEAD', 'MERGE_HEAD', 'REVERT_HEAD'] as const;
  const paths = (
    (await gitMaybe(wt, ['rev-parse', '--path-format=absolute', ...states.flatMap((st) => ['--git-path', st])])) ?? ''
  )
    .trim()
    .split('\n');
  const abort: Record<(typeof states)[number], string[]> = {
    'rebase-apply': ['am', '--abort'],
    'rebase-merge': ['rebase', '--abort'],
    CHERRY_PICK_HEAD: ['cherry-pick', '--abort'],
    MERGE_HEAD: ['merge', '--abort'],
    REVERT_HEAD: ['revert', '--abort'],
  };
  for (const [i, st] of states.entries()) {
    const p = paths[i];
    if (p && existsSync(p)) await gitMaybe(wt, abort[st]);
  }
  await git(wt, ['checkout', '-q', '--detach', '-f', sha], {
    what: `resetting the worktree to ${sha.slice(0, 12)}`,
    signal,
  });
  await git(wt, ['clean', '-ffdxq', '-e', `/${SLOT_BUILD_SUBDIR}`], { what: 'cleaning the worktree' });
}

/**
 * Configure once per config key: a build dir without a .config gets the .config (and configure's
 * stamp, `.hmmci/config.json`) of a sibling slot of the same tree and config key, else the pair
 * saved for that key when a slot was last released (config-store.ts). The stamp names the commit
 * the .config was made at; kconfig's `currentConfigStamp` accepts it only while no Kconfig file
 * differs from that commit, so callers skip the ~15-25 s `make tinyconfig` + merge + olddefconfig
 * exactly when it would make the same .config. A pair is copied only when the .config hashes to
 * the stamp's configHash (a sibling being configured right now is skipped). Returns where the
 * config came from, or undefined when none was copied.
 */
export async function seedConfig(
  cache: CacheLayout,
  treeId: string,
  configKey: string,
  index: number,
  buildDir: string,
): Promise<'sibling' | 'saved' | undefined> {
  if (existsSync(join(buildDir, '.config'))) return undefined;
  for (const s of listSlots(cache)) {
    if (s.treeId !== treeId || s.configKey !== configKey || s.index === index) continue;
    const pair = readConfigPair(buildDirPair(s.buildDir), configKey);
    if (!pair) continue; // no (complete) config there: try the next sibling
    writeConfigPair(buildDir, pair);
    return 'sibling';
  }
  const saved = savedConfigPair(cache, treeId, configKey);
  if (!saved) return undefined;
  writeConfigPair(buildDir, saved);
  return 'saved';
}

/**
 * A slot's first worktree: linked from the default tree when possible (slot-links.ts), else
 * checked out. Interrupted (SIGINT/SIGTERM) half way, it is removed by the cleanup handlers; a
 * SIGKILL leaves a worktree the next acquire's reset repairs.
 */
async function newSlotWorktree(
  tree: KernelTree,
  path: string,
  sha: string,
  stage: StageHandle,
  signal?: AbortSignal,
): Promise<string> {
  const unregister = onCleanup(`half-made worktree ${path}`, () => removeWorktree(tree.path, path));
  try {
    if (await addLinkedWorktree(tree, path, sha, { signal, onStep: (s) => stage.update(s) })) {
      stage.update('reset (stat check, clean)');
      await resetWorktree(path, sha, signal);
      return 'new worktree, files linked from the default tree';
    }
    stage.update('checking out a new worktree');
    await addDetachedWorktree(tree, path, sha, signal);
    return 'new worktree';
  } finally {
    unregister();
  }
}

/**
 * Take a slot for (tree, configKey): the first unlocked of slots 1..maxSlots (a concurrent user
 * gets slot 2), created on first use with `git worktree add --detach`, otherwise reused and
 * reset to `rev`. Its build directory (O=) stays between runs, so a rebuild after a different
 * commit only recompiles what changed. Hold it until `release()`; the lock is also dropped by
 * the cleanup handlers if the process is interrupted.
 */
export async function acquireSlot(req: AcquireSlotRequest): Promise<Slot> {
  const { tree, cache } = req;
  const reporter = req.reporter ?? silentReporter;
  if (!/^[A-Za-z0-9._-]+$/.test(req.configKey))
    throw new Error(`configKey must be a plain name, got ${JSON.stringify(req.configKey)}`);
  const sha = await resolveRev(tree, req.rev);
  const max = Math.max(1, req.maxSlots ?? 4);
  let lock: Lock | undefined;
  let index = 0;
  for (let i = 1; i <= max && !lock; i++) {
    lock = await tryLock(slotPaths(cache, slotName(tree.id, req.configKey, i)).lock);
    if (lock) index = i;
  }
  if (!lock) {
    index = 1;
    lock = await acquireLock(slotPaths(cache, slotName(tree.id, req.configKey, 1)).lock, {
      what: `every worktree slot of ${tree.id}`,
      onWait: (pid) => reporter.info(`all ${max} worktree slots of ${tree.id} are busy; waiting for hmmci pid ${pid}`),
    });
  }
  const name = slotName(tree.id, req.configKey, index);
  const paths = slotPaths(cache, name);
  try {
    mkdirSync(cache.worktrees, { recursive: true });
    const stage = reporter.stage('tree: slot', `${name} @ ${sha.slice(0, 12)}`);
    let how: string;
    if (await isWorktreeOf(paths.worktree, tree.path)) {
      await resetWorktree(paths.worktree, sha, req.signal);
      how = 'reused';
    } else {
      how = await newSlotWorktree(tree, paths.worktree, sha, stage, req.signal);
    }
    mkdirSync(paths.buildDir, { recursive: true });
    const seeded = await seedConfig(cache, tree.id, req.configKey, index, paths.buildDir);
    if (seeded) how += seeded === 'sibling' ? ', .config of a sibling slot' : ', saved .config of this config key';
    stage.done(how);
    const info: SlotInfo = {
      name,
      treeId: tree.id,
      repo: tree.path,
      configKey: req.configKey,
      index,
      worktree: paths.worktree,
      buildDir: paths.buildDir,
      rev: sha,
      lastUsed: new Date().toISOString(),
    };
    writeFileSync(paths.info, `${JSON.stringify(info, null, 2)}\n`);
  } catch (err) {
    lock.release();
    throw err;
  }
  const held = lock;
  return {
    worktree: paths.worktree,
    buildDir: paths.buildDir,
    index,
    rev: sha,
    configKey: req.configKey,
    release: async () => {
      // The slot's configuration, for the next new slot of this key (kept when slots are removed).
      try {
        saveConfigPair(cache, tree.id, req.configKey, paths.buildDir);
      } catch {
        /* a full disk or a read-only cache: only the saving is lost */
      }
      held.release();
    },
  };
}
