import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheEntries, type CacheLayout } from '../common/cache.js';
import { shortHash } from '../common/hash.js';
import { writeJsonAtomic } from '../common/json-file.js';
import { withLock } from '../common/lock.js';
import { parseConsole } from '../results/parser.js';
import type { TestRunResult } from '../results/types.js';

/**
 * Baseline results are reused across runs: the unpatched kernel's hmm-tests results only depend
 * on what was built and how it ran, i.e. (base commit, config hash, toolchain, runner).
 */
export interface BaselineKey {
  base: string;
  configHash: string;
  /** `gcc --version` first line. */
  toolchain: string;
  runner: string;
}

export interface BaselineEntry {
  key: BaselineKey;
  result: TestRunResult;
  /** Copy of the console log kept with the entry. */
  consoleLog?: string;
  buildLog?: string;
  accel: string;
  /** Run that produced it. */
  fromRun: string;
  createdAt: string;
}

export function baselineCacheDir(cache: CacheLayout): string {
  return join(cache.root, 'baselines');
}

export function baselineKeyHash(k: BaselineKey): string {
  return shortHash('baseline-v1', k.base, k.configHash, k.toolchain, k.runner);
}

export function baselineEntryDir(cache: CacheLayout, k: BaselineKey): string {
  return join(baselineCacheDir(cache), baselineKeyHash(k));
}

/** Lock computing a baseline: a second `hmmci run` with the same inputs waits, then reuses it. */
export function baselineLockPath(cache: CacheLayout, parts: readonly string[]): string {
  return join(cache.locks, `baseline-${shortHash('baseline-lock', ...parts)}.lock`);
}

export function withBaselineLock<T>(cache: CacheLayout, parts: readonly string[], fn: () => Promise<T>, onWait?: (pid: number) => void): Promise<T> {
  return withLock(baselineLockPath(cache, parts), fn, { what: 'the baseline being computed by another hmmci run', onWait });
}

export function readBaseline(cache: CacheLayout, k: BaselineKey): BaselineEntry | undefined {
  const file = join(baselineEntryDir(cache, k), 'entry.json');
  if (!existsSync(file)) return undefined;
  try {
    const e = JSON.parse(readFileSync(file, 'utf8')) as BaselineEntry;
    const same = e.key.base === k.base && e.key.configHash === k.configHash && e.key.toolchain === k.toolchain && e.key.runner === k.runner;
    if (!same || !Array.isArray(e.result?.tests)) return undefined;
    // The console log is the truth; the stored result is what the parser of the day made of it.
    // Parse it again (milliseconds) so a parser fix reaches cached baselines too.
    if (e.consoleLog && existsSync(e.consoleLog)) {
      const { tests, counts, events } = parseConsole(readFileSync(e.consoleLog, 'utf8'));
      if (tests.length) e.result = { tests, counts, events };
    }
    return e;
  } catch {
    return undefined;
  }
}

/** Every readable entry of the baseline cache, as stored (console logs not parsed again); torn or foreign files are skipped. */
export function listBaselines(cache: CacheLayout): BaselineEntry[] {
  const dir = baselineCacheDir(cache);
  const out: BaselineEntry[] = [];
  for (const n of cacheEntries(dir)) {
    try {
      const e = JSON.parse(readFileSync(join(dir, n, 'entry.json'), 'utf8')) as BaselineEntry;
      if (typeof e.key === 'object' && e.key !== null && Array.isArray(e.result?.tests)) out.push(e);
    } catch {
      /* not an entry */
    }
  }
  return out;
}

/** Store a baseline (logs copied next to it); atomic so a concurrent reader sees all or nothing. */
export function storeBaseline(cache: CacheLayout, entry: Omit<BaselineEntry, 'consoleLog' | 'buildLog'>, logs: { console?: string; build?: string }): BaselineEntry {
  const dir = baselineEntryDir(cache, entry.key);
  mkdirSync(dir, { recursive: true });
  const stored: BaselineEntry = { ...entry };
  if (logs.console && existsSync(logs.console)) {
    stored.consoleLog = join(dir, 'console.log');
    copyFileSync(logs.console, stored.consoleLog);
  }
  if (logs.build && existsSync(logs.build)) {
    stored.buildLog = join(dir, 'build.log');
    copyFileSync(logs.build, stored.buildLog);
  }
  writeJsonAtomic(join(dir, 'entry.json'), stored);
  return stored;
}
