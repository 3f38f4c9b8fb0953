import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';

/**
 * Artifacts move between machines by content: put a file, get its sha256; get by sha256 into a
 * path, verified while it is written (a wrong or truncated object is an error, never a file).
 * Two implementations: a shared directory (NFS in a real fleet) and HTTP (GET/PUT, e.g. nginx's
 * WebDAV module).
 */
export interface ArtifactStore {
  readonly url: string;
  put(path: string): Promise<{ sha256: string; size: number }>;
  get(sha256: string, dest: string): Promise<void>;
  has(sha256: string): Promise<boolean>;
}

export class StoreError extends HmmciError {
  constructor(message: string) {
    super(message, { exitCode: ExitCode.INFRA });
    this.name = 'StoreError';
  }
}

const SHA = /^[0-9a-f]{64}$/;

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

/** Objects are sharded like git's: ab/cdef… */
export const objectPath = (sha: string) => `${sha.slice(0, 2)}/${sha.slice(2)}`;

/** Stream `src` into `dest` through a sha256 check; rename into place only when it matches. */
async function writeVerified(src: Readable, sha: string, dest: string, where: string): Promise<void> {
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.part-${randomUUID()}`;
  const h = createHash('sha256');
  const tap = new Transform({
    transform(chunk, _e, cb) {
      h.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(src, tap, createWriteStream(tmp));
    const got = h.digest('hex');
    if (got !== sha)
      throw new StoreError(
        `Artifact ${sha} from ${where} is corrupt: its content hashes to ${got}. Remove the object from the store and run the job again.`,
      );
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { force: true });
  }
}

function checkSha(sha: string): void {
  if (!SHA.test(sha)) throw new StoreError(`"${sha}" is not a sha256 (64 hex digits): a job's manifest is damaged.`);
}

/** A directory shared by every machine (an NFS export in a real fleet). */
export class DirStore implements ArtifactStore {
  readonly url: string;
  constructor(readonly dir: string) {
    this.dir = resolve(dir);
    this.url = this.dir;
  }

  async put(path: string) {
    const sha256 = await sha256File(path);
    const size = statSync(path).size;
    const dest = join(this.dir, objectPath(sha256));
    if (!existsSync(dest)) await writeVerified(createReadStream(path), sha256, dest, path);
    return { sha256, size };
  }

  async get(sha256: string, dest: string) {
    checkSha(sha256);
    const src = join(this.dir, objectPath(sha256));
    if (!existsSync(src))
      throw new StoreError(
        `Artifact ${sha256} is not in the store ${this.dir}. Is the same directory mounted on every machine?`,
      );
    await writeVerified(createReadStream(src), sha256, dest, `the store ${this.dir}`);
  }

  async has(sha256: string) {
    return SHA.test(sha256) && existsSync(join(this.dir, objectPath(sha256)));
  }
}

/** HTTP store: GET and PUT of `<base>/<ab>/<cdef…>` (nginx with `dav_methods PUT; create_full_put_path on;`). */
export class HttpStore implements ArtifactStore {
  readonly url: string;
  constructor(base: string) {
    this.url = base.replace(/\/+$/, '');
  }

  private addr(sha: string) {
    return `${this.url}/${objectPath(sha)}`;
  }

  async put(path: string) {
    const sha256 = await sha256File(path);
    const size = statSync(path).size;
    if (await this.has(sha256)) return { sha256, size };
    const body = Readable.toWeb(createReadStream(path)) as ReadableStream;
    const r = await fetch(this.addr(sha256), {
      method: 'PUT',
      body,
      headers: { 'content-length': String(size) },
      duplex: 'half',
    } as RequestInit).catch((e: Error) => {
      throw new StoreError(
        `Cannot PUT artifact ${sha256} to ${this.url}: ${e.message}. Is the store's web server running?`,
      );
    });
    if (!r.ok)
      throw new StoreError(
        `The store ${this.url} refused PUT of artifact ${sha256}: HTTP ${r.status} ${r.statusText}. It needs WebDAV PUT (nginx: dav_methods PUT; create_full_put_path on).`,
      );
    return { sha256, size };
  }

  async get(sha256: string, dest: string) {
    checkSha(sha256);
    const r = await fetch(this.addr(sha256)).catch((e: Error) => {
      throw new StoreError(`Cannot GET artifact ${sha256} from ${this.url}: ${e.message}.`);
    });
    if (!r.ok || !r.body) throw new StoreError(`The store ${this.url} has no artifact ${sha256} (HTTP ${r.status}).`);
    await writeVerified(Readable.fromWeb(r.body as never), sha256, dest, this.url);
  }

  async has(sha256: string) {
    if (!SHA.test(sha256)) return false;
    const r = await fetch(this.addr(sha256), { method: 'HEAD' }).catch(() => undefined);
    return Boolean(r?.ok);
  }
}

/** `http(s)://…` → HttpStore; a path (or file://) → DirStore. */
export function openStore(spec: string): ArtifactStore {
  if (/^https?:\/\//.test(spec)) return new HttpStore(spec);
  return new DirStore(spec.startsWith('file://') ? new URL(spec).pathname : spec);
}

/**
 * A worker's local copy of the objects it fetched (`<cache>/fleet/objects`): the second test job of
 * the same kernel reads nothing over the network.
 */
export async function fetchCached(store: ArtifactStore, local: DirStore, sha256: string, dest: string): Promise<void> {
  if (!(await local.has(sha256))) {
    const tmp = join(local.dir, 'incoming', `${sha256}-${randomUUID()}`);
    await store.get(sha256, tmp);
    await local.put(tmp);
    rmSync(tmp, { force: true });
  }
  await local.get(sha256, dest);
}
