import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheEntries, type CacheLayout } from '../common/cache.js';
import { shortHash } from '../common/hash.js';
import { writeJsonAtomic } from '../common/json-file.js';
import { withLock } from '../common/lock.js';
import { parseConsole } from '../results/parser.js';
import type { TestRunResult } from '../results/types.js';
import type { GuestShape } from '../guest/guest-shape.js';

/**
 * Baseline results are reused across runs and bisects: the unpatched kernel's hmm-tests results
 * only depend on what was built and how it ran, i.e. (base commit, config hash, toolchain,
 * runner). `BaselineStore.key` is the one place that says so.
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
  /** Copy of the (first) console log kept with the entry. */
  consoleLog?: string;
  /**
   * How the guest ran when not one plain boot (`--repeat`, shards, reboots): the result then
   * merges several runs or logs, so the one kept console log is not the whole truth.
   */
  shape?: GuestShape;
  buildLog?: string;
  accel: string;
  /** Run that produced it ("bisect" when a bisect tested the base). */
  fromRun: string;
  createdAt: string;
}

/** What computing a baseline is locked on: known before configuring (config key, not hash). */
export interface BaselineLockKey {
  treeId: string;
  base: string;
  configKey: string;
  toolchain: string;
  runner: string;
}

const sameKey = (a: BaselineKey, b: BaselineKey) =>
  a.base === b.base && a.configHash === b.configHash && a.toolchain === b.toolchain && a.runner === b.runner;

/** The baseline cache, `<cache>/baselines/<key hash>/{entry.json,console.log,build.log}`. */
export class BaselineStore {
  readonly dir: string;

  constructor(readonly cache: CacheLayout) {
    this.dir = join(cache.root, 'baselines');
  }

  /** The key of a baseline: what it was built from (base commit, .config hash, gcc) and how it ran. */
  key(facts: { base: string; configHash: string; toolchain: string; runner: string }): BaselineKey {
    return { base: facts.base, configHash: facts.configHash, toolchain: facts.toolchain, runner: facts.runner };
  }

  /** v2: entries record their guest shape (a v1 entry of a sharded or repeated run would be re-parsed wrong). */
  entryDir(k: BaselineKey): string {
    return join(this.dir, shortHash('baseline-v2', k.base, k.configHash, k.toolchain, k.runner));
  }

  /**
   * The stored entry for this key, or undefined. For one plain boot the console log is the truth;
   * the stored result is what the parser of the day made of it: it is parsed again (milliseconds)
   * so a parser fix reaches cached baselines too. A shaped run (repeats, shards, reboots) merged
   * several runs or logs, so its stored result stands. A torn or foreign entry is a miss.
   */
  lookup(k: BaselineKey): BaselineEntry | undefined {
    const file = join(this.entryDir(k), 'entry.json');
    if (!existsSync(file)) return undefined;
    try {
      const e = JSON.parse(readFileSync(file, 'utf8')) as BaselineEntry;
      if (!sameKey(e.key, k) || !Array.isArray(e.result?.tests)) return undefined;
      if (!e.shape && e.consoleLog && existsSync(e.consoleLog)) {
        const { tests, counts, events } = parseConsole(readFileSync(e.consoleLog, 'utf8'));
        if (tests.length) e.result = { tests, counts, events };
      }
      return e;
    } catch {
      return undefined;
    }
  }

  /** Store a baseline (logs copied next to it); atomic so a concurrent reader sees all or nothing. */
  save(
    entry: Omit<BaselineEntry, 'consoleLog' | 'buildLog'>,
    logs: { console?: string; build?: string } = {},
  ): BaselineEntry {
    const dir = this.entryDir(entry.key);
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

  /** Every readable entry, as stored (console logs not parsed again); torn or foreign files are skipped. */
  list(): BaselineEntry[] {
    const out: BaselineEntry[] = [];
    for (const n of cacheEntries(this.dir)) {
      try {
        const e = JSON.parse(readFileSync(join(this.dir, n, 'entry.json'), 'utf8')) as BaselineEntry;
        if (typeof e.key === 'object' && e.key !== null && Array.isArray(e.result?.tests)) out.push(e);
      } catch {
        /* not an entry */
      }
    }
    return out;
  }

  lockPath(k: BaselineLockKey): string {
    return join(
      this.cache.locks,
      `baseline-${shortHash('baseline-lock', k.treeId, k.base, k.configKey, k.toolchain, k.runner)}.lock`,
    );
  }

  /** Compute a baseline under its lock: a second hmmci with the same inputs waits, then reuses it. */
  withLock<T>(k: BaselineLockKey, fn: () => Promise<T>, onWait?: (pid: number) => void): Promise<T> {
    return withLock(this.lockPath(k), fn, { what: 'the baseline being computed by another hmmci run', onWait });
  }
}
