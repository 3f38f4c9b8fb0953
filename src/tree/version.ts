/**
 * Kernel versions and the reproducible identity of the baseline commit. Pure.
 */

export interface KernelVersion {
  version: number;
  patchlevel: number;
  sublevel: number;
  extraversion: string;
  /** `6.12.117`, plus EXTRAVERSION when set (`6.13-rc1`). */
  text: string;
}

/** Read VERSION/PATCHLEVEL/SUBLEVEL/EXTRAVERSION from a top-level kernel Makefile. */
export function parseMakefileVersion(makefile: string): KernelVersion | undefined {
  const field = (name: string): string | undefined => {
    const m = new RegExp(`^${name}\\s*=[ \\t]*(.*)$`, 'm').exec(makefile);
    return m?.[1]?.trim();
  };
  const v = field('VERSION');
  const p = field('PATCHLEVEL');
  const s = field('SUBLEVEL');
  if (v === undefined || p === undefined || !/^\d+$/.test(v) || !/^\d+$/.test(p)) return undefined;
  const sub = s && /^\d+$/.test(s) ? Number(s) : 0;
  const extraversion = field('EXTRAVERSION') ?? '';
  return {
    version: Number(v),
    patchlevel: Number(p),
    sublevel: sub,
    extraversion,
    text: `${v}.${p}.${sub}${extraversion}`,
  };
}

/** LINUX_VERSION_CODE as include/generated/uapi/linux/version.h computes it (sublevel capped). */
export function versionCode(v: KernelVersion): number {
  return v.version * 65536 + v.patchlevel * 256 + Math.min(v.sublevel, 255);
}

/** 2000-01-01T00:00:00Z: the baseline commit's date is this plus the version code in seconds. */
export const BASELINE_EPOCH = 946_684_800;

export const BASELINE_IDENT = { name: 'hmmci baseline', email: 'baseline@hmmci.invalid' } as const;

/**
 * Everything that goes into the baseline commit object besides the tree: with these fixed, the
 * same tarball gives the same commit id on every machine. The date is derived from the version
 * (not the wall clock), so 6.12.117 and 6.12.118 baselines sort by version.
 */
export function baselineCommitIdentity(
  v: KernelVersion,
  tarballName: string,
): { env: Record<string, string>; message: string } {
  const date = `@${BASELINE_EPOCH + versionCode(v)} +0000`;
  return {
    env: {
      GIT_AUTHOR_NAME: BASELINE_IDENT.name,
      GIT_AUTHOR_EMAIL: BASELINE_IDENT.email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: BASELINE_IDENT.name,
      GIT_COMMITTER_EMAIL: BASELINE_IDENT.email,
      GIT_COMMITTER_DATE: date,
    },
    message: `Linux ${v.text} (${tarballName})\n\nBaseline made by hmmci from the unpacked tarball, every file added.\n`,
  };
}
