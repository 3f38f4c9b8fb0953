/**
 * Test helpers around the fake kernel tree (this folder): copy it somewhere, make it a git
 * repository, or pack it like Debian's linux-source tarball. Used by unit tests of the tree,
 * kconfig and build stages; no real kernel needed.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

export const FAKE_KERNEL_DIR = dirname(fileURLToPath(import.meta.url));

/** Debian's tarball ships a top-level .gitignore ending in `/*` that ignores every file. */
export const DEBIAN_GITIGNORE = '# SPDX-License-Identifier: GPL-2.0-only\n.*\n*.o\n*.ko\n/*\n';

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Test Developer',
  GIT_AUTHOR_EMAIL: 'dev@example.org',
  GIT_COMMITTER_NAME: 'Test Developer',
  GIT_COMMITTER_EMAIL: 'dev@example.org',
};

export function tempDir(prefix = 'hmmci-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Copy the fake kernel tree into `dest` (created), with Debian's .gitignore. */
export function copyFakeKernel(dest: string): string {
  mkdirSync(dest, { recursive: true });
  // Not this helper itself (fixture.ts, or fixture.js[.map] when the tests run compiled: .test-build).
  cpSync(FAKE_KERNEL_DIR, dest, { recursive: true, filter: (src) => !/\/fixture\.(ts|js|js\.map)$/.test(src) });
  writeFileSync(join(dest, '.gitignore'), DEBIAN_GITIGNORE);
  return dest;
}

export function gitSync(dir: string, args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { env: GIT_ENV, encoding: 'utf8' });
}

/** A fake kernel as a user's git checkout: one commit on branch `main`. */
export function fakeKernelRepo(dest: string): string {
  copyFakeKernel(dest);
  gitSync(dest, ['init', '-q', '-b', 'main']);
  gitSync(dest, ['add', '-f', '-A']);
  gitSync(dest, ['commit', '-q', '-m', 'Linux 6.12-fake']);
  return dest;
}

/** Pack the fake kernel like /usr/src/linux-source-6.12.tar.xz (one top-level folder). */
export function fakeKernelTarball(dest: string, topName = 'linux-source-6.12'): string {
  const stage = tempDir('hmmci-tarball-');
  copyFakeKernel(join(stage, topName));
  execFileSync('tar', ['-cJf', dest, '-C', stage, topName]);
  rmSync(stage, { recursive: true, force: true });
  return dest;
}
