/**
 * External tools hmmci uses, as data: the Debian package that provides each and why it is needed.
 * `hmmci doctor` walks this table; `requireTool` turns a missing one into a clear error.
 */
export interface ToolSpec {
  /** Executable name looked up on PATH. */
  bin: string;
  /** Debian package that ships it. */
  pkg: string;
  /** What hmmci needs it for (completes "… is not installed, and …"). */
  why: string;
  /** Optional tools only enable a backend or a feature. */
  optional?: boolean;
}

export const TOOLS: readonly ToolSpec[] = [
  { bin: 'git', pkg: 'git', why: 'every kernel tree and worktree is a git repository' },
  { bin: 'make', pkg: 'build-essential', why: 'kbuild needs it to configure and build the kernel' },
  { bin: 'gcc', pkg: 'build-essential', why: 'the kernel and hmm-tests are compiled with it' },
  { bin: 'flex', pkg: 'flex', why: 'kconfig needs it' },
  { bin: 'bison', pkg: 'bison', why: 'kconfig needs it' },
  { bin: 'bc', pkg: 'bc', why: 'kbuild needs it' },
  { bin: 'tar', pkg: 'tar', why: 'the Debian kernel tarball is unpacked with it' },
  { bin: 'xz', pkg: 'xz-utils', why: 'the Debian kernel tarball is xz-compressed' },
  { bin: 'cpio', pkg: 'cpio', why: 'the guest initramfs is a cpio archive' },
  { bin: 'busybox', pkg: 'busybox-static', why: 'the guest initramfs runs busybox' },
  { bin: 'qemu-system-x86_64', pkg: 'qemu-system-x86', why: 'the kernel is booted in QEMU' },
  { bin: 'depmod', pkg: 'kmod', why: 'kernel modules are installed with it' },
  { bin: 'ccache', pkg: 'ccache', why: 'it makes rebuilds fast', optional: true },
  { bin: 'vng', pkg: 'virtme-ng', why: 'it is the virtme-ng backend (--runner vng)', optional: true },
  { bin: 'b4', pkg: 'b4', why: 'a series given by message-id is fetched with it', optional: true },
];

/** Headers and libraries checked by path (no binary to look up). */
export interface FileSpec {
  path: string;
  pkg: string;
  why: string;
}

export const FILES: readonly FileSpec[] = [
  { path: '/usr/include/libelf.h', pkg: 'libelf-dev', why: 'objtool needs libelf headers' },
  {
    path: '/usr/include/openssl/ssl.h',
    pkg: 'libssl-dev',
    why: 'kbuild signs modules and builds certs with OpenSSL headers',
  },
];

export const APT_PACKAGES = [
  'qemu-system-x86',
  'linux-source-6.12',
  'build-essential',
  'flex',
  'bison',
  'bc',
  'libelf-dev',
  'libssl-dev',
  'busybox-static',
  'cpio',
  'kmod',
  'ccache',
  'git',
  'xz-utils',
] as const;

export function aptInstallCommand(pkgs: readonly string[]): string {
  return `apt-get install -y ${[...new Set(pkgs)].join(' ')}`;
}

export function toolSpec(bin: string): ToolSpec | undefined {
  return TOOLS.find((t) => t.bin === bin);
}
