import { x86_64 } from './x86_64.js';
import type { QemuArchConfig } from './types.js';
import { UsageError } from '../../common/errors.js';

export type { QemuArchConfig, Accel, CoherentMemory } from './types.js';

/** Architectures hmmci knows how to boot; add one file per architecture. */
export const ARCHES: Readonly<Record<string, QemuArchConfig>> = { x86_64 };

export function archConfig(arch = 'x86_64'): QemuArchConfig {
  const cfg = ARCHES[arch];
  if (!cfg) throw new UsageError(`Unknown architecture "${arch}": hmmci can boot ${Object.keys(ARCHES).join(', ')}.`);
  return cfg;
}
