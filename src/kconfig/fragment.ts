import type { ConfigEntry } from './types.js';

const SET = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/;
const UNSET = /^# CONFIG_([A-Za-z0-9_]+) is not set\s*$/;

export interface ParsedFragment {
  entries: ConfigEntry[];
  /** Lines that are neither settings, comments nor blank (recorded, not thrown). */
  problems: Array<{ line: number; text: string }>;
  /** `# base: tinyconfig` directive: the make target the configuration starts from. */
  base?: string;
}

/**
 * Parse a config fragment or a .config: `CONFIG_X=v` and `# CONFIG_X is not set` (value `n`).
 * Later lines override earlier ones, as in merge_config.sh. Pure.
 */
export function parseFragment(text: string, source?: string): ParsedFragment {
  const byName = new Map<string, ConfigEntry>();
  const problems: ParsedFragment['problems'] = [];
  let base: string | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let m = SET.exec(line);
    if (m) {
      byName.delete(m[1]!);
      byName.set(m[1]!, { name: m[1]!, value: m[2]!.trim(), source, line: i + 1 });
      return;
    }
    m = UNSET.exec(line);
    if (m) {
      byName.delete(m[1]!);
      byName.set(m[1]!, { name: m[1]!, value: 'n', source, line: i + 1 });
      return;
    }
    const b = /^#\s*base:\s*([A-Za-z0-9_.-]+)\s*$/.exec(line);
    if (b) {
      base = b[1];
      return;
    }
    if (line.startsWith('#')) return;
    problems.push({ line: i + 1, text: raw });
  });
  return { entries: [...byName.values()], problems, base };
}

/** Settings of a .config as a map name → value (`n` for "is not set"). Pure. */
export function configValues(text: string): Map<string, string> {
  return new Map(parseFragment(text).entries.map((e) => [e.name, e.value]));
}

/**
 * `--config` arguments: `CONFIG_X=y`, `X=y`, `CONFIG_X=n`, `# CONFIG_X is not set`. Returns the
 * entries, or the first argument that is none of these.
 */
export function parseExtraOptions(args: readonly string[]): { entries: ConfigEntry[]; invalid?: string } {
  const entries: ConfigEntry[] = [];
  for (const a of args) {
    const t = a.trim();
    const m = /^(?:CONFIG_)?([A-Za-z0-9_]+)=(.+)$/.exec(t) ?? /^# CONFIG_([A-Za-z0-9_]+) is not set$/.exec(t);
    if (!m) return { entries, invalid: a };
    entries.push({ name: m[1]!, value: m[2] === undefined ? 'n' : m[2].trim(), source: '--config' });
  }
  return { entries };
}

/** Merge entry lists: later lists override earlier ones (merge_config.sh order). Pure. */
export function mergeRequested(lists: readonly ConfigEntry[][]): ConfigEntry[] {
  const byName = new Map<string, ConfigEntry>();
  for (const list of lists) {
    for (const e of list) {
      byName.delete(e.name);
      byName.set(e.name, e);
    }
  }
  return [...byName.values()];
}

/** Render entries as a fragment file. Pure. */
export function renderFragment(entries: readonly ConfigEntry[]): string {
  return (
    entries.map((e) => (e.value === 'n' ? `# CONFIG_${e.name} is not set` : `CONFIG_${e.name}=${e.value}`)).join('\n') +
    (entries.length ? '\n' : '')
  );
}

/** The settings of a .config, without its comment header: what configHash covers. Pure. */
export function canonicalConfig(text: string): string {
  return parseFragment(text)
    .entries.map((e) => `${e.name}=${e.value}`)
    .sort()
    .join('\n');
}
