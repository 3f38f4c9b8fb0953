import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  mkdirSync(join(buildDir, '.hmmci'), { recursive: true });
  writeFileSync(join(buildDir, '.hmmci', 'config.json'), pair.stampText);
  writeFileSync(join(buildDir, '.config'), pair.config);
}

/** Save a slot's consistent pair for its key (written to temporary names, then renamed). */
export function saveConfigPair(cache: CacheLayout, treeId: string, configKey: string, buildDir: string): boolean {
  const pair = readConfigPair(buildDirPair(buildDir), configKey);
  if (!pair) return false;
  const dir = configStoreDir(cache, treeId, configKey);
  mkdirSync(dir, { recursive: true });
  const tmp = `.tmp-${process.pid}`;
  writeFileSync(join(dir, `config${tmp}`), pair.config);
  writeFileSync(join(dir, `config.json${tmp}`), pair.stampText);
  renameSync(join(dir, `config${tmp}`), join(dir, 'config'));
  renameSync(join(dir, `config.json${tmp}`), join(dir, 'config.json'));
  return true;
}

/** The saved pair of (tree, key), when consistent. */
export function savedConfigPair(cache: CacheLayout, treeId: string, configKey: string): ConfigPair | undefined {
  const dir = configStoreDir(cache, treeId, configKey);
  return readConfigPair({ config: join(dir, 'config'), stamp: join(dir, 'config.json') }, configKey);
}
