import { spawnSync } from 'node:child_process';
import { existsSync, statfsSync } from 'node:fs';
import { which } from '../common/exec.js';
import { APT_PACKAGES, FILES, TOOLS, aptInstallCommand } from '../common/tools.js';
import { DEFAULT_SOURCE_PACKAGE, defaultTarball } from '../tree/default-tree.js';

export interface DoctorCheck {
  /** What was checked: a binary, a header, the tarball, node, disk space. */
  name: string;
  ok: boolean;
  /** Required checks make doctor fail; optional ones only enable a feature. */
  required: boolean;
  /** Debian package that fixes it. */
  pkg?: string;
  detail: string;
}

export interface DoctorReport {
  checks: DoctorCheck[];
  /** Packages to install for every failing check (required and optional). */
  missingPackages: string[];
  /** Only the required ones. */
  missingRequired: string[];
  /** `[sudo ]apt-get install -y …` for the required packages, undefined when nothing is missing. */
  installCommand?: string;
  /** `sudo ` unless doctor runs as root (a fresh Debian as root has no sudo). */
  sudo: string;
  ok: boolean;
}

/** What doctor looks at, injectable for tests. */
export interface DoctorProbe {
  which(bin: string): string | undefined;
  exists(path: string): boolean;
  nodeVersion: string;
  tarball: string;
  /** Free bytes on the cache disk, undefined when unknown. */
  freeBytes?: number;
  cacheRoot: string;
  /** Running as root: install commands are printed without sudo. */
  root?: boolean;
  /**
   * `<bin> --version`: its first output line, or `{ error }` when it does not run. Asked only of
   * tools found on PATH that may be installed by hand (vng); absent in tests that do not care.
   */
  version?(bin: string): { version?: string; error?: string };
}

export function systemProbe(cacheRoot: string): DoctorProbe {
  let freeBytes: number | undefined;
  for (let dir = cacheRoot; dir && dir !== '/'; dir = dir.slice(0, dir.lastIndexOf('/')) || '/') {
    if (existsSync(dir)) {
      try {
        const s = statfsSync(dir);
        freeBytes = s.bavail * s.bsize;
      } catch {
        /* unknown */
      }
      break;
    }
  }
  if (freeBytes === undefined && existsSync('/')) {
    const s = statfsSync('/');
    freeBytes = s.bavail * s.bsize;
  }
  return {
    which: (b) => which(b),
    exists: existsSync,
    nodeVersion: process.versions.node,
    tarball: defaultTarball(),
    freeBytes,
    cacheRoot,
    root: process.getuid?.() === 0,
    version: toolVersion,
  };
}

/** Run `<bin> --version` (argv, no shell, 20 s at most). */
function toolVersion(bin: string): { version?: string; error?: string } {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const first = (s: string | null) => (s ?? '').trim().split('\n').filter(Boolean);
  if (r.status === 0) return { version: first(r.stdout)[0] ?? first(r.stderr)[0] ?? 'unknown version' };
  return { error: first(r.stderr).slice(-1)[0] ?? r.error?.message ?? `exit ${r.status ?? r.signal}` };
}

/**
 * Optional tools that Debian 12 does not package: doctor names their own installer instead of
 * putting them in the apt-get command.
 */
export const NON_APT_HINTS: Readonly<Record<string, string>> = {
  vng: 'virtme-ng is not packaged in Debian 12 (nor on npm): `git clone https://github.com/arighi/virtme-ng`, `apt-get install python3-argcomplete python3-requests`, then put on PATH a `vng` that runs `/usr/bin/python3 <checkout>/vng "$@"` (README "virtme-ng"); kernels for it are built with --runner vng',
};

/** A vng found on PATH must also run: a checkout run by a Python without argcomplete/requests does not. */
function vngRuns(check: DoctorCheck, path: string, v: { version?: string; error?: string }): DoctorCheck {
  if (v.version) return { ...check, detail: `${path} (${v.version})` };
  return {
    ...check,
    ok: false,
    detail: `${path} does not run (\`vng --version\`: ${v.error}) — run it with /usr/bin/python3 and Debian's python3-argcomplete and python3-requests; install: ${NON_APT_HINTS.vng}`,
  };
}

/** About what a default tree, one slot and its build take (measured: ~2 GB tree, ~1.6 GB slot + build). */
export const RECOMMENDED_FREE_BYTES = 8 * 1024 ** 3;

/** Walk the tool table, header files, the kernel tarball, node and disk space. Pure over the probe. */
export function runDoctor(p: DoctorProbe): DoctorReport {
  const checks: DoctorCheck[] = [];
  for (const t of TOOLS) {
    const path = p.which(t.bin);
    const hint = NON_APT_HINTS[t.bin];
    checks.push({
      name: t.bin,
      ok: Boolean(path),
      required: !t.optional,
      pkg: hint ? undefined : t.pkg,
      detail: path ?? `not found — ${t.why}${hint ? `; install: ${hint}` : ''}`,
    });
    if (path && t.bin === 'vng' && p.version)
      checks[checks.length - 1] = vngRuns(checks[checks.length - 1]!, path, p.version('vng'));
  }
  for (const f of FILES) {
    const ok = p.exists(f.path);
    checks.push({ name: f.path, ok, required: true, pkg: f.pkg, detail: ok ? 'present' : `missing — ${f.why}` });
  }
  const tarOk = p.exists(p.tarball);
  checks.push({
    name: 'kernel source tarball',
    ok: tarOk,
    required: true,
    pkg: DEFAULT_SOURCE_PACKAGE,
    detail: tarOk
      ? p.tarball
      : `${p.tarball} missing — the default tree is made from it (or use --tree DIR with your own checkout)`,
  });
  const major = Number(p.nodeVersion.split('.')[0]);
  checks.push({
    name: 'node',
    ok: major >= 20,
    required: true,
    detail: major >= 20 ? `v${p.nodeVersion}` : `v${p.nodeVersion} — hmmci needs Node.js 20 or newer`,
  });
  if (p.freeBytes !== undefined) {
    const gb = (p.freeBytes / 1024 ** 3).toFixed(1);
    const ok = p.freeBytes >= RECOMMENDED_FREE_BYTES;
    checks.push({
      name: 'disk space',
      ok,
      required: false,
      detail: `${gb} GiB free for ${p.cacheRoot}${ok ? '' : ` — a tree, a slot and its build need about ${RECOMMENDED_FREE_BYTES / 1024 ** 3} GiB`}`,
    });
  }
  const failing = checks.filter((c) => !c.ok && c.pkg);
  const missingPackages = [...new Set(failing.map((c) => c.pkg!))];
  const missingRequired = [...new Set(failing.filter((c) => c.required).map((c) => c.pkg!))];
  const ok = checks.every((c) => c.ok || !c.required);
  const sudo = p.root ? '' : 'sudo ';
  return {
    checks,
    missingPackages,
    missingRequired,
    installCommand: missingRequired.length ? `${sudo}${aptInstallCommand(missingRequired)}` : undefined,
    sudo,
    ok,
  };
}

/** Text report: one line per check, then the install command. Pure. */
export function renderDoctor(r: DoctorReport): string {
  const lines = r.checks.map(
    (c) =>
      `${c.ok ? '  ok ' : c.required ? 'MISS ' : ' opt '} ${c.name.padEnd(24)} ${c.detail}${!c.ok && c.pkg ? ` [${c.pkg}]` : ''}`,
  );
  if (r.installCommand) lines.push('', `Install what is missing with:\n  ${r.installCommand}`);
  const optional = r.missingPackages.filter((p) => !r.missingRequired.includes(p));
  if (optional.length) lines.push('', `Optional (features only): ${r.sudo}${aptInstallCommand(optional)}`);
  if (r.ok) lines.push('', 'Everything hmmci needs is installed.');
  lines.push('', `All packages at once: ${r.sudo}${aptInstallCommand([...APT_PACKAGES])} (or: bash tools/setup.sh)`);
  return lines.join('\n');
}
