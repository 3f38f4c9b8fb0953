/**
 * A pure writer for the "newc" cpio format the kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst). Written here rather than shelling
 * out to cpio(1) so device nodes (/dev/console) need no root, and so the archive is byte-for-byte
 * reproducible (fixed inode numbers, mtime 0): the initramfs cache key is its content.
 */
export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer | string; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'char'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function pad4(len: number): number {
  return (4 - (len % 4)) % 4;
}

function header(fields: {
  ino: number;
  mode: number;
  nlink: number;
  size: number;
  rdevMajor: number;
  rdevMinor: number;
  nameSize: number;
}): string {
  return (
    '070701' +
    hex8(fields.ino) +
    hex8(fields.mode) +
    hex8(0) + // uid
    hex8(0) + // gid
    hex8(fields.nlink) +
    hex8(0) + // mtime
    hex8(fields.size) +
    hex8(0) + // devmajor
    hex8(0) + // devminor
    hex8(fields.rdevMajor) +
    hex8(fields.rdevMinor) +
    hex8(fields.nameSize) +
    hex8(0) // check
  );
}

function record(
  ino: number,
  name: string,
  mode: number,
  data: Buffer,
  rdev: [number, number] = [0, 0],
  nlink = 1,
): Buffer {
  const nameBuf = Buffer.from(`${name}\0`, 'utf8');
  const head = Buffer.from(
    header({ ino, mode, nlink, size: data.length, rdevMajor: rdev[0], rdevMinor: rdev[1], nameSize: nameBuf.length }),
    'ascii',
  );
  const afterName = pad4(head.length + nameBuf.length);
  return Buffer.concat([head, nameBuf, Buffer.alloc(afterName), data, Buffer.alloc(pad4(data.length))]);
}

/** Serialise entries (paths relative to the archive root, no leading slash) into a newc archive. */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    if (!name) throw new Error(`cpio entry with an empty path`);
    switch (e.type) {
      case 'dir':
        parts.push(record(ino++, name, S_IFDIR | (e.mode ?? 0o755), Buffer.alloc(0), [0, 0], 2));
        break;
      case 'file':
        parts.push(
          record(
            ino++,
            name,
            S_IFREG | (e.mode ?? 0o644),
            Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data, 'utf8'),
          ),
        );
        break;
      case 'symlink':
        parts.push(record(ino++, name, S_IFLNK | 0o777, Buffer.from(e.target, 'utf8')));
        break;
      case 'char':
        parts.push(record(ino++, name, S_IFCHR | (e.mode ?? 0o600), Buffer.alloc(0), [e.major, e.minor]));
        break;
    }
  }
  parts.push(record(0, 'TRAILER!!!', 0, Buffer.alloc(0), [0, 0], 1));
  return Buffer.concat(parts);
}

/** Read back a newc archive (tests, `hmmci` debugging): names, modes, sizes and contents. */
export function readCpioNewc(buf: Buffer): { name: string; mode: number; rdev: [number, number]; data: Buffer }[] {
  const out: { name: string; mode: number; rdev: [number, number]; data: Buffer }[] = [];
  let off = 0;
  while (off + 110 <= buf.length) {
    const magic = buf.toString('ascii', off, off + 6);
    if (magic !== '070701') throw new Error(`bad cpio magic at offset ${off}`);
    const field = (i: number) => Number.parseInt(buf.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const rdev: [number, number] = [field(9), field(10)];
    const nameSize = field(11);
    const nameStart = off + 110;
    const name = buf.toString('utf8', nameStart, nameStart + nameSize - 1);
    const dataStart = nameStart + nameSize + pad4(110 + nameSize);
    const data = buf.subarray(dataStart, dataStart + size);
    off = dataStart + size + pad4(size);
    if (name === 'TRAILER!!!') break;
    out.push({ name, mode, rdev, data });
  }
  return out;
}
