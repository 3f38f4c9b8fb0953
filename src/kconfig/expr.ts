/**
 * Kconfig expressions (`A && (B || !C)`, `X = y`, `FOO != ""`) evaluated against a .config with
 * kconfig's tristate logic: n=0, m=1, y=2; && is min, || is max, ! is 2-x. Pure.
 */
export type Values = ReadonlyMap<string, string>;

type Tok = string;

function tokenize(expr: string): Tok[] {
  return expr.match(/&&|\|\||!=|<=|>=|[()!=<>]|"[^"]*"|[A-Za-z0-9_$.-]+/g) ?? [];
}

function tri(v: string | undefined): number {
  if (v === 'y') return 2;
  if (v === 'm') return 1;
  return 0;
}

function symbolValue(tok: string, values: Values): string {
  if (tok === 'y' || tok === 'm' || tok === 'n') return tok;
  if (tok.startsWith('"')) return tok.slice(1, -1);
  if (/^-?\d+$/.test(tok) || /^0x[0-9a-f]+$/i.test(tok)) return tok;
  return values.get(tok) ?? 'n';
}

export function evalExpr(expr: string, values: Values): number {
  const toks = tokenize(expr);
  let p = 0;
  const primary = (): number => {
    const t = toks[p++];
    if (t === undefined) return 0;
    if (t === '!') return 2 - primary();
    if (t === '(') {
      const v = or();
      if (toks[p] === ')') p++;
      return v;
    }
    const op = toks[p];
    if (op === '=' || op === '!=' || op === '<' || op === '>' || op === '<=' || op === '>=') {
      p++;
      const rhs = toks[p++] ?? '';
      const a = symbolValue(t, values);
      const b = symbolValue(rhs, values);
      const na = Number(a);
      const nb = Number(b);
      const numeric = a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb);
      const cmp = numeric ? Math.sign(na - nb) : a === b ? 0 : a < b ? -1 : 1;
      const ok =
        op === '='
          ? cmp === 0
          : op === '!='
            ? cmp !== 0
            : op === '<'
              ? cmp < 0
              : op === '>'
                ? cmp > 0
                : op === '<='
                  ? cmp <= 0
                  : cmp >= 0;
      return ok ? 2 : 0;
    }
    return tri(symbolValue(t, values));
  };
  const and = (): number => {
    let v = primary();
    while (toks[p] === '&&') {
      p++;
      v = Math.min(v, primary());
    }
    return v;
  };
  const or = (): number => {
    let v = and();
    while (toks[p] === '||') {
      p++;
      v = Math.max(v, and());
    }
    return v;
  };
  return toks.length === 0 ? 2 : or();
}

/** Symbols named in an expression (not literals). */
export function exprSymbols(expr: string): string[] {
  return [...new Set(tokenize(expr).filter((t) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(t) && !['y', 'm', 'n'].includes(t)))];
}

/** The expression with each symbol's value, as menuconfig shows it: `A [=y] && B [=n]`. */
export function annotateExpr(expr: string, values: Values): string {
  return expr.replace(/[A-Za-z_][A-Za-z0-9_]*/g, (s) =>
    ['y', 'm', 'n'].includes(s) ? s : `${s} [=${values.get(s) ?? 'n'}]`,
  );
}
