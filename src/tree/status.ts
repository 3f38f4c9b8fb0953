import { existsSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheEntries, type CacheLayout } from '../common/cache.js';
import { run } from '../common/exec.js';
import { acquireLock, pidAlive } from '../common/lock.js';
import { HmmciError } from '../common/errors.js';
import { readDefaultTreeRecord, removeStaleUnpacks } from './default-tree.js';
import { listSlots, slotPaths } from './slots.js';
import type { TreeStatus } from './types.js';
import { removeWorktree } from './worktree.js';

/** Disk usage of a path in bytes (`du -sb`), 0 when absent. */
export async function diskUsage(path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  const r = await run('du', ['-sb', path]);
  const n = Number.parseInt(r.stdout, 10);
  return Number.isFinite(n) ? n : 0;
}

/** Is the lock file held by a live process? */
function isLocked(path: string): boolean {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
  } catch {
    return false;
  }
  return Number.isFinite(pid) && pidAlive(pid);
}

const entries = (dir: string): string[] => cacheEntries(dir).sort();

/** Trees, slots (worktree + build dir), other worktrees and build dirs in the cache, with sizes. */
export async function treeStatus(cache: CacheLayout): Promise<TreeStatus> {
  const rec = readDefaultTreeRecord(cache);
  const trees: TreeStatus['trees'] = [];
  for (const name of entries(cache.trees)) {
    const path = join(cache.trees, name);
    if (name.endsWith('.json') || name.startsWith('.')) continue;
    const isDefault = rec?.path === path;
    trees.push({
      id: name,
      path,
      kind: 'default',
      version: isDefault ? rec?.version : undefined,
      baseline: isDefault ? rec?.baseline : undefined,
      bytes: await diskUsage(path),
    });
  }
  const slots: TreeStatus['slots'] = [];
  const known = new Set<string>();
  for (const s of listSlots(cache)) {
    known.add(s.worktree);
    known.add(s.buildDir);
    const buildBytes = await diskUsage(s.buildDir);
    slots.push({
      ...s,
      worktreeBytes: Math.max(
        0,
        (await diskUsage(s.worktree)) - (s.buildDir.startsWith(`${s.worktree}/`) ? buildBytes : 0),
      ),
      buildBytes,
      locked: isLocked(slotPaths(cache, s.name).lock),
    });
  }
  const worktrees: TreeStatus['worktrees'] = [];
  for (const name of entries(cache.worktrees)) {
    const path = join(cache.worktrees, name);
    if (name.endsWith('.slot.json') || known.has(path)) continue;
    worktrees.push({ path, bytes: await diskUsage(path) });
  }
  const builds: TreeStatus['builds'] = [];
  for (const name of entries(cache.builds)) {
    const path = join(cache.builds, name);
    if (known.has(path)) continue;
    builds.push({ path, bytes: await diskUsage(path) });
  }
  return { cacheRoot: cache.root, trees, slots, worktrees, builds, totalBytes: await diskUsage(cache.root) };
}

export interface CleanResult {
  removed: string[];
  /** Slots in use by a running hmmci, left alone. */
  busy: string[];
}

/**
 * Remove what hmmci made: every slot not in use (worktree, its entry in the owning repository,
 * build dir), leftover throwaway worktrees and build dirs; with `trees`, the default trees too.
 * A user's repository only loses the worktree entries hmmci added.
 */
export async function cleanCache(cache: CacheLayout, opts: { trees?: boolean } = {}): Promise<CleanResult> {
  const removed: string[] = [];
  const busy: string[] = [];
  const repos = new Set<string>();
  for (const s of listSlots(cache)) {
    const p = slotPaths(cache, s.name);
    let lock;
    try {
      lock = await acquireLock(p.lock, { waitMs: -1 });
    } catch (err) {
      if (err instanceof HmmciError) {
        busy.push(s.name);
        continue;
      }
      throw err;
    }
    try {
      repos.add(s.repo);
      await removeWorktree(s.repo, s.worktree);
      rmSync(s.buildDir, { recursive: true, force: true });
      rmSync(p.info, { force: true });
      removed.push(s.worktree, s.buildDir);
    } finally {
      lock.release();
    }
  }
  const busyPaths = new Set(
    busy.flatMap((n) => [slotPaths(cache, n).worktree, slotPaths(cache, n).buildDir, slotPaths(cache, n).info]),
  );
  for (const name of entries(cache.worktrees)) {
    const path = join(cache.worktrees, name);
    if (busyPaths.has(path)) continue;
    const m = /^tmp-.*-(\d+)-\d+$/.exec(name);
    if (m && pidAlive(Number(m[1]))) continue; // a throwaway worktree of a running hmmci
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  }
  for (const name of entries(cache.builds)) {
    const path = join(cache.builds, name);
    if (busyPaths.has(path)) continue;
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  }
  removed.push(...removeStaleUnpacks(cache.trees));
  if (opts.trees) {
    for (const name of entries(cache.trees)) {
      const path = join(cache.trees, name);
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    }
    // The saved configurations of every config key (config-store.ts) go with the trees.
    const configs = join(cache.root, 'configs');
    if (existsSync(configs)) {
      rmSync(configs, { recursive: true, force: true });
      removed.push(configs);
    }
  }
  for (const repo of repos) if (existsSync(repo)) await removeWorktree(repo, '/nonexistent-hmmci-path');
  return { removed, busy };
}
