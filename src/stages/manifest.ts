import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { BadInputError } from '../common/errors.js';
import { writeJsonAtomic } from '../common/json-file.js';
import type { KernelArtifacts } from './types.js';

/**
 * Every file of a job that a later stage needs, named with its sha256: the kernel (bzImage,
 * lib/test_hmm.ko, .config, vmlinux), the hmm-tests binary the guest ran, the logs and the
 * results. A stage can run where the artifacts are copied: `materialize` lays them out again
 * under a directory (kbuild's layout for the kernel, so that directory is a build dir the guest
 * stage boots from) and refuses any file whose bytes are not the ones named.
 */

export type ArtifactName =
  'bzImage' | 'test_hmm.ko' | 'vmlinux' | 'config' | 'hmm-tests' | 'build-log' | 'console-log' | 'results' | 'series';

export interface ManifestEntry {
  name: ArtifactName;
  /** Which kernel it belongs to. */
  side: 'baseline' | 'patched';
  /** Where it goes when laid out again, relative (kbuild's layout for kernel files). */
  path: string;
  /** Where it was produced (absolute; valid on the machine that wrote the manifest). */
  source: string;
  sha256: string;
  bytes: number;
}

export interface ArtifactManifest {
  schema: 1;
  /** The run (job) id it belongs to. */
  job: string;
  entries: ManifestEntry[];
}

export const MANIFEST_FILE = 'manifest.json';

/** Where each artifact goes in a laid-out directory (kbuild's layout for the kernel files). */
const LAYOUT: Record<ArtifactName, string> = {
  bzImage: 'arch/x86/boot/bzImage',
  'test_hmm.ko': 'lib/test_hmm.ko',
  vmlinux: 'vmlinux',
  config: '.config',
  'hmm-tests': 'hmm-tests',
  'build-log': 'build.log',
  'console-log': 'console.log',
  results: 'results.json',
  series: 'series.mbox',
};

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Describe one file (hash and size) laid out at `<side>/<path>`; undefined when it does not exist. */
export function describeArtifact(
  name: ArtifactName,
  side: ManifestEntry['side'],
  source: string | undefined,
  path = LAYOUT[name],
): ManifestEntry | undefined {
  if (!source || !existsSync(source)) return undefined;
  return { name, side, path: `${side}/${path}`, source, sha256: sha256File(source), bytes: statSync(source).size };
}

/** The kernel files of a build a later stage boots (vmlinux, only for decoding stacks, is left out: tens of MB). */
export function kernelEntries(side: ManifestEntry['side'], a: KernelArtifacts): ManifestEntry[] {
  const named: Array<[ArtifactName, string | undefined]> = [
    ['bzImage', a.bzImage],
    ['test_hmm.ko', a.testHmmKo],
    ['config', a.config],
  ];
  return named.map(([n, p]) => describeArtifact(n, side, p)).filter((e): e is ManifestEntry => e !== undefined);
}

/** Add (or replace: same name, side and path) entries. */
export function withEntries(m: ArtifactManifest, entries: readonly (ManifestEntry | undefined)[]): ArtifactManifest {
  const add = entries.filter((e): e is ManifestEntry => e !== undefined);
  const keep = m.entries.filter((e) => !add.some((a) => a.path === e.path));
  return { ...m, entries: [...keep, ...add] };
}

export function writeManifest(dir: string, m: ArtifactManifest): string {
  const file = join(dir, MANIFEST_FILE);
  writeJsonAtomic(file, m);
  return file;
}

export function readManifest(file: string): ArtifactManifest {
  let m: ArtifactManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as ArtifactManifest;
  } catch (err) {
    throw new BadInputError(
      `The artifact manifest ${file} cannot be read (${(err as Error).message}). Copy the job's manifest.json again from where the job ran.`,
    );
  }
  if (m?.schema !== 1 || !Array.isArray(m.entries))
    throw new BadInputError(
      `${file} is not an hmmci artifact manifest (schema 1 with "entries"). Copy the job's manifest.json again from where the job ran.`,
    );
  return m;
}

/** A relative path that stays inside the directory it is joined to. */
function safeRelative(p: string): boolean {
  const n = normalize(p);
  return !isAbsolute(n) && !n.startsWith('..') && n !== '.';
}

/** Entries whose file under `dir` (at their `path`) is missing or has other bytes than named. */
export function verifyManifest(
  m: ArtifactManifest,
  dir: string,
): Array<{ entry: ManifestEntry; problem: 'missing' | 'changed' }> {
  const bad: Array<{ entry: ManifestEntry; problem: 'missing' | 'changed' }> = [];
  for (const entry of m.entries) {
    const file = join(dir, entry.path);
    if (!safeRelative(entry.path) || !existsSync(file)) bad.push({ entry, problem: 'missing' });
    else if (sha256File(file) !== entry.sha256) bad.push({ entry, problem: 'changed' });
  }
  return bad;
}

/**
 * Copy every artifact from where it was produced (`source`, or `from/<path>` when given) to
 * `to/<path>`, checking each file's sha256. Returns the directory of a side's kernel files
 * (`to/<side>`), usable as a build dir by the guest stage. A missing or altered file is bad input.
 */
export function materialize(
  m: ArtifactManifest,
  to: string,
  opts: { from?: string; side?: ManifestEntry['side'] } = {},
): string {
  for (const entry of m.entries) {
    if (opts.side && entry.side !== opts.side) continue;
    if (!safeRelative(entry.path))
      throw new BadInputError(
        `The artifact manifest of ${m.job} names ${entry.path}, which is outside its directory. The manifest is not one hmmci wrote; do not use it.`,
      );
    const src = opts.from ? join(opts.from, entry.path) : entry.source;
    const dst = join(to, entry.path);
    if (!existsSync(src))
      throw new BadInputError(
        `Artifact ${entry.name} (${entry.side}) of ${m.job} is missing at ${src}. Copy every file the manifest names, then try again.`,
      );
    mkdirSync(dirname(dst), { recursive: true });
    copyFileSync(src, dst);
    const got = sha256File(dst);
    if (got !== entry.sha256)
      throw new BadInputError(
        `Artifact ${entry.name} (${entry.side}) of ${m.job} copied from ${src} has sha256 ${got}, the manifest names ${entry.sha256}: the copy is damaged or not from this job. Copy it again from where the job ran.`,
      );
  }
  return join(to, opts.side ?? 'patched');
}
