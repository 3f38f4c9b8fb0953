import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shortHash } from '../common/hash.js';
import type { ConfigEntry } from './types.js';
import { renderFragment } from './fragment.js';

/** kernel-configs/ shipped with hmmci (next to src/ and dist/). */
export function kernelConfigsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'kernel-configs');
}

/** The fragments every run merges, in order: the QEMU guest base, then what hmm-tests needs. */
export const DEFAULT_FRAGMENT_NAMES = ['base-x86_64-qemu.config', 'hmm.config'] as const;

export function defaultFragments(): string[] {
  return DEFAULT_FRAGMENT_NAMES.map((n) => join(kernelConfigsDir(), n));
}

/**
 * Key of a configuration's inputs: the fragment texts in order and the extra options. Known
 * before configuring, so it names the slot and build directory (a build dir is never shared
 * between configurations). Pure.
 */
export function configKey(fragmentTexts: readonly string[], extra: readonly ConfigEntry[] = []): string {
  return shortHash('kconfig-v1', ...fragmentTexts, renderFragment(extra));
}
