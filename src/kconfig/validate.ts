import { annotateExpr, evalExpr, exprSymbols, type Values } from './expr.js';
import type { ConfigEntry, KconfigIndex, MissingOption } from './types.js';

const TRI: Record<string, number> = { n: 0, m: 1, y: 2 };

/** Requested value matches the .config value (an `n` request is met by an absent option, as in kunit). */
export function optionLanded(wanted: string, got: string | undefined): boolean {
  if (got === undefined) return wanted === 'n';
  return wanted === got;
}

/**
 * Check every requested option against the final .config and, for each one that did not land,
 * say why from the Kconfig data: an unmet `depends on` (with each symbol's value, as menuconfig
 * shows it), a prompt-less symbol nobody selects, a select forcing it on, a choice that picked
 * another member, modules disabled, or a symbol this tree does not define at all. Pure.
 */
export function validateConfig(
  requested: readonly ConfigEntry[],
  actual: Values,
  index: KconfigIndex,
): MissingOption[] {
  const out: MissingOption[] = [];
  const missingNames = new Set(requested.filter((r) => !optionLanded(r.value, actual.get(r.name))).map((r) => r.name));
  for (const r of requested) {
    const got = actual.get(r.name);
    if (optionLanded(r.value, got)) continue;
    const defs = index.symbols.get(r.name);
    const base = { option: `CONFIG_${r.name}`, wanted: r.value, got: got ?? 'n', source: r.source };
    if (!defs || defs.length === 0) {
      out.push({
        ...base,
        unknown: true,
        reason: `CONFIG_${r.name} is not defined in any Kconfig file of this tree (misspelled, or not in this kernel version)`,
      });
      continue;
    }
    out.push({ ...base, reason: explain(r.name, r.value, got ?? 'n', index, actual, missingNames) });
  }
  return out;
}

function where(index: KconfigIndex, name: string): string {
  const d = index.symbols.get(name)?.[0];
  return d ? ` (${d.file}:${d.line})` : '';
}

function explain(
  name: string,
  wanted: string,
  got: string,
  index: KconfigIndex,
  actual: Values,
  missing: ReadonlySet<string>,
): string {
  const defs = index.symbols.get(name)!;
  const loc = where(index, name);
  const wantLevel = TRI[wanted];
  const gotLevel = TRI[got];
  const activeSelectors = (index.selectedBy.get(name) ?? []).filter(
    (s) => !s.imply && (actual.get(s.by) ?? 'n') !== 'n' && evalExpr(s.cond ?? 'y', actual) > 0,
  );
  const also = (expr: string) => {
    const again = exprSymbols(expr).filter((s) => missing.has(s));
    return again.length
      ? ` (${again.map((s) => `CONFIG_${s}`).join(', ')} did not land either, see ${again.length > 1 ? 'their entries' : 'its entry'})`
      : '';
  };

  if (wantLevel !== undefined && gotLevel !== undefined && wantLevel > gotLevel) {
    // Asked for more than it got: find what holds it down.
    for (const d of defs) {
      const unmet = d.depends.filter((e) => evalExpr(e, actual) < wantLevel);
      if (unmet.length) {
        const expr = unmet.join(' && ');
        const cap = Math.min(...unmet.map((e) => evalExpr(e, actual)));
        const capText = cap === 1 ? ', so it can be m at most' : '';
        return `depends on ${annotateExpr(expr, actual)}${capText}${also(expr)}${loc}`;
      }
    }
    if (wanted === 'm' && (actual.get('MODULES') ?? 'n') !== 'y')
      return `=m needs CONFIG_MODULES=y, which is not set${loc}`;
    const d0 = defs[0]!;
    if (d0.choice !== undefined) {
      const chosen = (index.choices.get(d0.choice) ?? []).filter((m) => m !== name && actual.get(m) === 'y');
      if (chosen.length)
        return `is one of a choice and CONFIG_${chosen[0]} [=y] was chosen instead; set that one to n${loc}`;
    }
    if (!defs.some((d) => d.prompt)) {
      const sel = (index.selectedBy.get(name) ?? []).filter((s) => !s.imply);
      const list = sel
        .slice(0, 6)
        .map((s) => `CONFIG_${s.by} [=${actual.get(s.by) ?? 'n'}]`)
        .join(', ');
      return `has no prompt, so a fragment cannot set it: it is only enabled when selected${sel.length ? ` by ${list}${sel.length > 6 ? ', …' : ''}` : ' (nothing selects it)'}${loc}`;
    }
    const hidden = defs.map((d) => d.promptIf).find((c) => c !== undefined && evalExpr(c, actual) === 0);
    if (hidden) return `its prompt is only visible if ${annotateExpr(hidden, actual)}${loc}`;
    return `olddefconfig set it to ${got}; its dependencies look met, so check a range or a conflicting fragment${loc}`;
  }

  if (wantLevel !== undefined && gotLevel !== undefined && wantLevel < gotLevel) {
    // Asked for less than it got: something forces it on.
    if (activeSelectors.length) {
      return `is selected by ${activeSelectors
        .slice(0, 6)
        .map((s) => `CONFIG_${s.by} [=${actual.get(s.by)}]`)
        .join(', ')}, which forces it to ${got}${loc}`;
    }
    if (wanted === 'm' && got === 'y' && (actual.get('MODULES') ?? 'n') !== 'y')
      return `=m needs CONFIG_MODULES=y, which is not set, so it became y${loc}`;
    const hidden = defs.map((d) => d.promptIf).find((c) => c !== undefined && evalExpr(c, actual) === 0);
    if (hidden)
      return `can only be changed when ${annotateExpr(hidden, actual)}; otherwise it keeps its default ${got}${loc}`;
    if (!defs.some((d) => d.prompt)) return `has no prompt and defaults to ${got}${loc}`;
    if (defs[0]!.choice !== undefined)
      return `is one of a choice and it was picked (the choice's other members are off)${loc}`;
    return `olddefconfig set it to ${got}${loc}`;
  }

  // Non-tristate values (int, hex, string).
  for (const d of defs) {
    const unmet = d.depends.filter((e) => evalExpr(e, actual) === 0);
    if (unmet.length) return `depends on ${annotateExpr(unmet.join(' && '), actual)}${also(unmet.join(' && '))}${loc}`;
  }
  return `olddefconfig set it to ${got} (out of range, or the wrong type for a ${defs[0]!.type ?? 'symbol'})${loc}`;
}

/** One line per missing option, for error details and `hmmci config`. Pure. */
export function formatMissing(m: MissingOption): string {
  return `${m.option}=${m.wanted} ${m.got === 'n' ? 'is not set' : `is ${m.got}`}: ${m.reason}${m.source ? ` [asked by ${m.source}]` : ''}`;
}
