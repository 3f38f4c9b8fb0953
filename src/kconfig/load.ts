import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { buildKconfigIndex, parseKconfig, type ParsedKconfig } from './kconfig-parse.js';
import type { KconfigIndex } from './types.js';

/**
 * Read the Kconfig files of a tree the way kconfig does: from the top-level `Kconfig`, following
 * `source` directives (with `$(SRCARCH)` = the arch), each sourced file inheriting the
 * dependencies in force where it was sourced.
 */
export function loadKconfigIndex(srcDir: string, arch = 'x86'): KconfigIndex {
  const vars: Record<string, string> = { SRCARCH: arch, ARCH: arch, HEADER_ARCH: arch };
  const parsed: ParsedKconfig[] = [];
  const seen = new Set<string>();
  const visit = (rel: string, deps: readonly string[]) => {
    const abs = join(srcDir, rel);
    const key = `${rel}\0${deps.join('\0')}`;
    if (seen.has(key) || !existsSync(abs)) return;
    seen.add(key);
    const p = parseKconfig(readFileSync(abs, 'utf8'), rel, deps);
    parsed.push(p);
    for (const s of p.sources) {
      const path = s.path.replace(/\$\((\w+)\)/g, (_, v: string) => vars[v] ?? `$(${v})`);
      if (path.includes('$(')) continue;
      const target = s.relative ? relative(srcDir, join(dirname(abs), path)) : path;
      visit(target, s.depends);
    }
  };
  visit('Kconfig', []);
  return buildKconfigIndex(parsed);
}
