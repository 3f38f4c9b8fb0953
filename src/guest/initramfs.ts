import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { HmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { requireTool } from '../common/exec.js';
import { cpioNewc, type CpioEntry } from './cpio.js';
import { renderInit, type InitOptions } from './init-script.js';

export interface InitramfsRequest extends InitOptions {
  /** Static busybox on the host (busybox-static). */
  busybox?: string;
  hmmTests: string;
  testHmmKo: string;
  /** cache.initramfs: images are kept under <dir>/<hash>/initramfs.cpio. */
  cacheDir: string;
}

export interface Initramfs {
  path: string;
  hash: string;
  cached: boolean;
  ms: number;
  bytes: number;
}

function readInput(path: string, what: string, hint: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new HmmciError(`${what} is missing at ${path}. ${hint}`, { exitCode: ExitCode.BAD_INPUT });
  }
}

/** Entries of the guest image, in a fixed order (pure apart from the file contents given). */
export function initramfsEntries(files: {
  busybox: Buffer;
  hmmTests: Buffer;
  testHmmKo: Buffer;
  init: string;
}): CpioEntry[] {
  return [
    { type: 'dir', path: 'bin' },
    { type: 'dir', path: 'sbin' },
    { type: 'dir', path: 'dev' },
    { type: 'char', path: 'dev/console', major: 5, minor: 1, mode: 0o600 },
    { type: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { type: 'dir', path: 'proc' },
    { type: 'dir', path: 'sys' },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: 'lib' },
    { type: 'file', path: 'bin/busybox', data: files.busybox, mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    { type: 'file', path: 'bin/hmm-tests', data: files.hmmTests, mode: 0o755 },
    { type: 'file', path: 'lib/test_hmm.ko', data: files.testHmmKo, mode: 0o644 },
    { type: 'file', path: 'init', data: files.init, mode: 0o755 },
  ];
}

/**
 * Assemble the guest initramfs (uncompressed newc cpio: the kernel needs no decompressor and
 * the bytes are reproducible) and cache it by the hash of its content.
 */
export function buildInitramfs(req: InitramfsRequest): Initramfs {
  const started = Date.now();
  const busyboxPath = req.busybox ?? requireTool('busybox', 'the guest initramfs runs busybox');
  const files = {
    busybox: readInput(busyboxPath, 'busybox', 'Install busybox-static (apt-get install -y busybox-static).'),
    hmmTests: readInput(
      req.hmmTests,
      'The hmm-tests binary',
      'It is compiled from the tree under test; run `hmmci test` again.',
    ),
    testHmmKo: readInput(
      req.testHmmKo,
      'test_hmm.ko',
      'Build the kernel with CONFIG_TEST_HMM=m (kernel-configs/hmm.config) and the `modules` target.',
    ),
    init: renderInit(req),
  };
  const cpio = cpioNewc(initramfsEntries(files));
  const hash = createHash('sha256').update(cpio).digest('hex').slice(0, 16);
  const dir = join(req.cacheDir, hash);
  const path = join(dir, 'initramfs.cpio');
  if (existsSync(path)) return { path, hash, cached: true, ms: Date.now() - started, bytes: cpio.length };
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, cpio);
  renameSync(tmp, path);
  writeFileSync(join(dir, 'init'), files.init);
  return { path, hash, cached: false, ms: Date.now() - started, bytes: cpio.length };
}
