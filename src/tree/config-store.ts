import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CacheLayout } from '../common/cache.js';
import { shortHash } from '../common/hash.js';
import { canonicalConfig } from '../kconfig/fragment.js';

/**
 * Saved configurations, one per (tree, config key): `<cache>/configs/<treeId>-<configKey>/` holds
 * the `.config` and configure's stamp (`config.json`: configKey, configHash, srcRev) of the last
 * slot of that key released with a consistent pair. A new slot of the key starts from it when no
 * sibling slot has one (after `hmmci tree clean`, or when the slots were removed), so configure
 * runs once per key, not once per slot. Correctness stays with kconfig's `currentConfigStamp`:
 * the stamp is taken only for the same key (a hash of every fragment and option: a changed
 * fragment is another key) and while no Kconfig file differs from the stamp's commit.
 */
export interface ConfigPair {
  config: string;
  stampText: string;
}

export function configStoreDir(cache: CacheLayout, treeId: string, configKey: string): string {
  return join(cache.root, 'configs', `${treeId}-${configKey}`);
}

/** A .config and its stamp when they belong together (the .config hashes to the stamp's configHash) and to `configKey`. */
export function readConfigPair(paths: { config: string; stamp: string }, configKey: string): ConfigPair | undefined {
  try {
    const stampText = readFileSync(paths.stamp, 'utf8');
    const config = readFileSync(paths.config, 'utf8');
    const stamp = JSON.parse(stampText) as { configKey?: string; configHash?: string };
    if (stamp.configKey !== configKey || stamp.configHash !== shortHash(canonicalConfig(config))) return undefined;
    return { config, stampText };
  } catch {
    return undefined;
  }
}

/** Where a build dir keeps its .config and configure's stamp. */
export function buildDirPair(buildDir: string): { config: string; stamp: string } {
  return { config: join(buildDir, '.config'), stamp: join(buildDir, '.hmmci', 'config.json') };
}

/** Install a pair into a build dir (stamp first: a torn pair fails the hash check and is not used). */
export function writeConfigPair(buildDir: string, pair: ConfigPair): void {
  const paths = buildDirPair(buildDir);
  mkdirSync(dirname(paths.stamp), { recursive: true });
  writeFileSync(paths.stamp, pair.stampText);
  writeFileSync(paths.config, pair.config);
}

/** Where the saved pair of (tree, key) lives. */
function storePair(dir: string): { config: string; stamp: string } {
  return { config: join(dir, 'config'), stamp: join(dir, 'config.json') };
}

/**
 * Save a slot's consistent pair for its key (written to temporary names, then renamed). Every
 * release calls this; a pair already saved as it is (same stamp: same key, commit and config hash)
 * is not written again.
 */
export function saveConfigPair(cache: CacheLayout, treeId: string, configKey: string, buildDir: string): boolean {
  const pair = readConfigPair(buildDirPair(buildDir), configKey);
  if (!pair) return false;
  const dir = configStoreDir(cache, treeId, configKey);
  const to = storePair(dir);
  if (readConfigPair(to, configKey)?.stampText === pair.stampText) return true;
  mkdirSync(dir, { recursive: true });
  const tmp = `.tmp-${process.pid}`;
  writeFileSync(`${to.config}${tmp}`, pair.config);
  writeFileSync(`${to.stamp}${tmp}`, pair.stampText);
  renameSync(`${to.config}${tmp}`, to.config);
  renameSync(`${to.stamp}${tmp}`, to.stamp);
  return true;
}

/** The saved pair of (tree, key), when consistent. */
export function savedConfigPair(cache: CacheLayout, treeId: string, configKey: string): ConfigPair | undefined {
  return readConfigPair(storePair(configStoreDir(cache, treeId, configKey)), configKey);
}
