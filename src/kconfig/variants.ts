import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../common/errors.js';
import { DEFAULT_FRAGMENT_NAMES, kernelConfigsDir } from './key.js';

/**
 * Named config variants as data: every `kernel-configs/<name>.config` that is not one of the
 * default fragments is a variant `<name>` (`debug` → kernel-configs/debug.config), merged after
 * the defaults. Its first comment paragraph describes it.
 */
export interface NamedVariant {
  name: string;
  /** Full path of its fragment. */
  fragment: string;
  /** First comment line of the fragment. */
  description: string;
}

/** A `--variant` argument resolved: what the job merges after the default fragments. */
export interface VariantSpec {
  name: string;
  /** Fragment paths (the named variants' files, or files the user gave), in merge order. */
  fragments: string[];
  /** `CONFIG_X=y` / `# CONFIG_X is not set` items, applied last. */
  extra: string[];
}

const NAME = /^[A-Za-z0-9._-]+$/;
const OPTION = /^CONFIG_[A-Za-z0-9_]+=|^# CONFIG_[A-Za-z0-9_]+ is not set$/;

/** The named variants shipped in `dir` (default: hmmci's kernel-configs/), sorted by name. */
export function listVariants(dir = kernelConfigsDir()): NamedVariant[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const defaults = new Set<string>(DEFAULT_FRAGMENT_NAMES);
  return names
    .filter((n) => n.endsWith('.config') && !defaults.has(n) && NAME.test(n.slice(0, -'.config'.length)))
    .sort()
    .map((n) => {
      const fragment = join(dir, n);
      const first = readFileSync(fragment, 'utf8')
        .split('\n')
        .find((l) => /^#\s*\S/.test(l) && !/^#\s*base:/.test(l) && !/^# CONFIG_/.test(l));
      return { name: n.slice(0, -'.config'.length), fragment, description: (first ?? '').replace(/^#\s*/, '').trim() };
    });
}

/** The fragment of the named variant `name`, or undefined when there is none. */
export function variantFragment(name: string, dir = kernelConfigsDir()): string | undefined {
  return listVariants(dir).find((v) => v.name === name)?.fragment;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function unknownVariant(spec: string, item: string, dir: string): UsageError {
  const names = listVariants(dir).map((v) => v.name);
  return new UsageError(
    `--variant "${spec}": "${item}" is neither a named variant${names.length ? ` (${names.join(', ')})` : ''}, nor a fragment file, nor a CONFIG_X=value option. Name a variant (e.g. --variant debug), or write name:fragment.config,CONFIG_X=y.`,
  );
}

/**
 * Resolve a `--variant` argument. `debug` is the named variant (kernel-configs/debug.config);
 * `NAME:ITEMS` is a variant called NAME made of comma-separated items, each a CONFIG_ option, a
 * fragment file or a named variant (`debug-thp:debug,CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS=y`); a
 * lone CONFIG_ option or fragment file is a variant named after it. Pure apart from reading
 * which files exist. UsageError naming the item that is none of these.
 */
export function resolveVariantSpec(spec: string, dir = kernelConfigsDir()): VariantSpec {
  const m = /^([A-Za-z0-9._-]+):(.*)$/.exec(spec);
  const items = (m?.[2] ?? spec)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0)
    throw new UsageError(
      `--variant "${spec}" names no variant, fragment or CONFIG_ option. Write --variant debug, or name:fragment.config,CONFIG_X=y.`,
    );
  const named = !m && NAME.test(spec) && !isFile(spec) ? variantFragment(spec, dir) : undefined;
  if (named) return { name: spec, fragments: [named], extra: [] };
  const fragments: string[] = [];
  const extra: string[] = [];
  for (const item of items) {
    if (OPTION.test(item)) extra.push(item);
    else if (isFile(item)) fragments.push(resolve(item));
    else {
      const f = NAME.test(item) ? variantFragment(item, dir) : undefined;
      if (!f) throw unknownVariant(spec, item, dir);
      fragments.push(f);
    }
  }
  return { name: m?.[1] ?? spec.replace(/[^A-Za-z0-9._-]+/g, '-'), fragments, extra };
}
