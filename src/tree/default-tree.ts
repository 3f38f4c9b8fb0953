import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { onCleanup } from '../common/cleanup.js';
import { cacheEntries, type CacheLayout } from '../common/cache.js';
import { run, spawnStreaming, requireTool, which } from '../common/exec.js';
import { MissingToolError } from '../common/errors.js';
import { pidAlive, withLock } from '../common/lock.js';
import { silentReporter, type Reporter } from '../common/progress.js';
import { aptInstallCommand } from '../common/tools.js';
import { DiskFullError, TreeError, isDiskFull } from './errors.js';
import { commitSha, git } from './git.js';
import type { KernelTree } from './types.js';
import { baselineCommitIdentity, parseMakefileVersion, type KernelVersion } from './version.js';

/** Debian's linux-source package for the kernel series hmmci targets, and its tarball. */
export const DEFAULT_SOURCE_PACKAGE = 'linux-source-6.12';
export const DEFAULT_TARBALL = `/usr/src/${DEFAULT_SOURCE_PACKAGE}.tar.xz`;
/** Tag of the reproducible baseline commit in a default tree. */
export const BASELINE_REF = 'refs/tags/hmmci/baseline';

export interface PrepareDefaultTreeRequest {
  cache: CacheLayout;
  reporter?: Reporter;
  /** Tarball to unpack; default $HMMCI_TARBALL, then /usr/src/linux-source-6.12.tar.xz. */
  tarball?: string;
  signal?: AbortSignal;
}

/** What trees/default.json remembers, so a second prepare of the same tarball is instant. */
interface DefaultTreeRecord {
  tarball: string;
  size: number;
  mtimeMs: number;
  id: string;
  path: string;
  baseline: string;
  version: string;
}

export function defaultTarball(env: NodeJS.ProcessEnv = process.env): string {
  return env.HMMCI_TARBALL || DEFAULT_TARBALL;
}

function recordPath(cache: CacheLayout): string {
  return join(cache.trees, 'default.json');
}

export function readDefaultTreeRecord(cache: CacheLayout): DefaultTreeRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(cache), 'utf8')) as DefaultTreeRecord;
  } catch {
    return undefined;
  }
}

/** The default tree if it is already prepared from the current tarball, without doing any work. */
export async function findDefaultTree(cache: CacheLayout, tarball = defaultTarball()): Promise<KernelTree | undefined> {
  const rec = readDefaultTreeRecord(cache);
  if (!rec || rec.tarball !== tarball || !existsSync(join(rec.path, '.git'))) return undefined;
  let st;
  try {
    st = statSync(tarball);
  } catch {
    return undefined;
  }
  if (st.size !== rec.size || Math.trunc(st.mtimeMs) !== Math.trunc(rec.mtimeMs)) return undefined;
  const sha = await commitSha(rec.path, BASELINE_REF);
  if (sha !== rec.baseline) return undefined;
  return { path: rec.path, kind: 'default', baseline: rec.baseline, version: rec.version, id: rec.id };
}

/** Debian package that ships a linux-source tarball (`linux-source-6.12` for …/linux-source-6.12.tar.xz). */
export function sourcePackageOf(tarball: string): string | undefined {
  return /(?:^|\/)(linux-source-\d+\.\d+)\.tar\.(?:xz|bz2|gz)$/.exec(tarball)?.[1];
}

/**
 * Explain a missing tarball: its Debian package is not installed (MissingToolError, exit 8, with
 * the apt-get command), or it is installed but the file is gone (TreeError, exit 9).
 */
async function missingTarball(tarball: string): Promise<never> {
  const pkg = sourcePackageOf(tarball);
  if (pkg && which('dpkg-query')) {
    const r = await run('dpkg-query', ['-W', '-f=${Status}', pkg]);
    if (r.exitCode !== 0 || !/install ok installed/.test(r.stdout)) {
      throw new MissingToolError(
        pkg,
        aptInstallCommand([pkg]),
        `the default kernel tree is made from its tarball ${tarball} (or give your own kernel checkout with --tree DIR)`,
      );
    }
  }
  throw new TreeError(
    `The kernel source tarball ${tarball} does not exist, so the default kernel tree cannot be made. ${pkg ? `Reinstall Debian's package (\`apt-get install --reinstall -y ${pkg}\`), set` : 'Set'} HMMCI_TARBALL to a linux-source tarball, or give an existing kernel git checkout with --tree DIR.`,
  );
}

/**
 * Make (once) the default kernel tree: unpack Debian's linux-source tarball into
 * `cache.trees/linux-<version>/`, add every file (`git add -f -A`: the tarball's .gitignore has
 * `/*`), and make one reproducible baseline commit tagged `hmmci/baseline`. The author,
 * committer and date are fixed and derived from the kernel version, so the same tarball gives
 * the same commit id on every machine. Idempotent: a tree already made from the same tarball
 * (same size and mtime) is returned at once. The work happens in a temporary directory renamed
 * into place at the end, so an interrupted prepare leaves nothing half-made.
 */
export async function prepareDefaultTree(req: PrepareDefaultTreeRequest): Promise<KernelTree> {
  const { cache } = req;
  const reporter = req.reporter ?? silentReporter;
  const tarball = req.tarball ?? defaultTarball();
  const existing = await findDefaultTree(cache, tarball);
  if (existing) return existing;
  if (!existsSync(tarball)) await missingTarball(tarball);
  requireTool('tar');
  requireTool('xz');
  requireTool('git');
  mkdirSync(cache.trees, { recursive: true });
  return withLock(
    join(cache.locks, 'default-tree.lock'),
    async () => {
      const again = await findDefaultTree(cache, tarball);
      if (again) return again;
      return makeTree(cache, tarball, reporter, req.signal);
    },
    {
      what: 'the default kernel tree',
      onWait: (pid) => reporter.info(`waiting for hmmci pid ${pid}, which is preparing the default tree`),
    },
  );
}

/** Remove `.unpack-<pid>` folders left by a prepare that was killed (SIGKILL, power loss). */
export function removeStaleUnpacks(treesDir: string): string[] {
  const removed: string[] = [];
  for (const n of cacheEntries(treesDir)) {
    const m = /^\.unpack-(\d+)$/.exec(n);
    if (!m) continue;
    if (!pidAlive(Number(m[1]))) {
      rmSync(join(treesDir, n), { recursive: true, force: true });
      removed.push(join(treesDir, n));
    }
  }
  return removed;
}

/**
 * How tar decompresses the tarball: an .xz one through `xz -T0` (xz ≥ 5.4 decompresses the
 * blocks of a multi-block archive — Debian's linux-source has 62 — on every core; an older xz or a
 * single-block archive decompresses as before), anything else as tar detects it from the content.
 */
export function decompressArgs(tarball: string): string[] {
  return /\.(txz|tar\.xz)$/.test(tarball) ? ['--use-compress-program=xz -T0'] : [];
}

/**
 * Counts the files in `tar -v` output: lines not ending in `/` (tar lists folders with a trailing
 * slash). Works on the bytes (no string per line: ~86,700 names in a kernel tarball).
 */
export class FileLineCounter {
  private count = 0;
  private last = 0x0a;

  feed(b: Uint8Array): number {
    for (let i = 0; i < b.length; i++) {
      const c = b[i]!;
      if (c === 0x0a && this.last !== 0x2f && this.last !== 0x0a) this.count++;
      this.last = c;
    }
    return this.count;
  }
}

/** A tarball unpacked into a temporary folder, its files counted (tar -v) for progress. */
async function unpackTarball(
  cache: CacheLayout,
  tarball: string,
  tmp: string,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<number> {
  const unpack = reporter.stage('tree: unpack', basename(tarball));
  let files = 0;
  const tarArgs = [...decompressArgs(tarball), '-xvf', tarball, '-C', tmp, '--strip-components=1', '--no-same-owner'];
  const proc = spawnStreaming('tar', tarArgs, { signal, env: { ...process.env, LC_ALL: 'C' } });
  let stderr = '';
  const counter = new FileLineCounter();
  proc.stdout?.on('data', (b: Buffer) => {
    files = counter.feed(b);
    unpack.update(`${files} files`);
  });
  proc.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
    if (stderr.length > 8192) stderr = stderr.slice(-8192);
  });
  const r = await proc;
  if (r.exitCode !== 0) {
    unpack.fail();
    if (isDiskFull(stderr))
      throw new DiskFullError(cache.trees, `unpacking ${tarball}`, { command: ['tar', ...tarArgs] });
    throw new TreeError(
      `Unpacking ${tarball} failed (tar exit ${r.exitCode ?? r.signal}); the tarball may be truncated or corrupt. Reinstall it (\`apt-get install --reinstall -y ${DEFAULT_SOURCE_PACKAGE}\`) and run again.`,
      {
        command: ['tar', ...tarArgs],
        commandExitCode: r.exitCode,
        details: stderr.trim().split('\n').slice(-4),
      },
    );
  }
  unpack.done(`${files} files`);
  return files;
}

/** The kernel version of an unpacked tarball, from its top-level Makefile. */
function unpackedVersion(tmp: string, tarball: string): KernelVersion {
  let makefile = '';
  try {
    makefile = readFileSync(join(tmp, 'Makefile'), 'utf8');
  } catch {
    /* checked below */
  }
  const version = parseMakefileVersion(makefile);
  if (!version) {
    throw new TreeError(
      `${tarball} does not look like a kernel source tarball: its top-level Makefile has no VERSION/PATCHLEVEL. Give a linux-source tarball (HMMCI_TARBALL) or a kernel checkout with --tree DIR.`,
    );
  }
  return version;
}

/** One reproducible commit holding every file, tagged BASELINE_REF; returns its sha. */
async function commitBaseline(
  tmp: string,
  tarball: string,
  version: KernelVersion,
  files: number,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<string> {
  const commit = reporter.stage('tree: baseline commit', `linux ${version.text}`);
  await git(tmp, ['init', '-q'], { what: 'creating the default tree repository' });
  // No automatic gc: 90k loose objects would make a later `git am` start a long repack.
  await git(tmp, ['config', 'gc.auto', '0']);
  await git(tmp, ['config', 'core.fsync', 'none']);
  // Slots are hard links of this working tree with a copy of its index (slot-links.ts): a new
  // link changes a file's ctime, not its content, inode or mtime.
  await git(tmp, ['config', 'core.trustctime', 'false']);
  let added = 0;
  commit.update('git add');
  // Loose objects stored, not deflated: half the CPU of `git add` (hashing stays), ~1 GB more disk.
  await git(tmp, ['-c', 'index.threads=true', '-c', 'core.looseCompression=0', 'add', '-f', '-A', '--verbose'], {
    what: 'adding the unpacked tree to git',
    signal,
    onLine: () => {
      added++;
      if (added % 500 === 0) commit.update(`${added}/${files} files added`);
    },
  });
  const ident = baselineCommitIdentity(version, basename(tarball));
  commit.update('git commit');
  await git(tmp, ['commit', '-q', '--no-verify', '--no-gpg-sign', '-m', ident.message], {
    env: ident.env,
    what: 'making the baseline commit',
    signal,
  });
  await git(tmp, ['update-ref', BASELINE_REF, 'HEAD']);
  const baseline = (await git(tmp, ['rev-parse', 'HEAD'])).trim();
  commit.done(baseline);
  return baseline;
}

async function makeTree(
  cache: CacheLayout,
  tarball: string,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<KernelTree> {
  const st = statSync(tarball);
  removeStaleUnpacks(cache.trees);
  const tmp = join(cache.trees, `.unpack-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const unregister = onCleanup(`partial tree ${tmp}`, () => rmSync(tmp, { recursive: true, force: true }));
  try {
    // 1. Unpack, counting files for progress.
    const files = await unpackTarball(cache, tarball, tmp, reporter, signal);
    const version = unpackedVersion(tmp, tarball);

    // 2. One reproducible baseline commit holding every file.
    const baseline = await commitBaseline(tmp, tarball, version, files, reporter, signal);

    // 3. Move into place.
    const id = `linux-${version.text}`;
    const final = join(cache.trees, id);
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
    unregister();
    const rec: DefaultTreeRecord = {
      tarball,
      size: st.size,
      mtimeMs: st.mtimeMs,
      id,
      path: final,
      baseline,
      version: version.text,
    };
    writeFileSync(recordPath(cache), `${JSON.stringify(rec, null, 2)}\n`);
    reporter.info(`default tree: ${final} (linux ${version.text}), baseline ${baseline}`);
    return { path: final, kind: 'default', baseline, version: version.text, id };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    unregister();
    if (isDiskFull(err)) throw new DiskFullError(cache.trees, 'preparing the default kernel tree', { cause: err });
    throw err;
  }
}
