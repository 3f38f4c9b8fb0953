import type { KconfigIndex, KconfigSymbolDef } from './types.js';

/** A `source` directive met while parsing, with the dependencies in force where it appeared. */
export interface SourceDirective {
  path: string;
  /** `rsource`/`orsource`: relative to the including file's folder. */
  relative: boolean;
  /** `osource`/`orsource`: a missing file is fine. */
  optional: boolean;
  depends: string[];
}

export interface ParsedKconfig {
  defs: KconfigSymbolDef[];
  sources: SourceDirective[];
  /** Choice groups opened in this file: id → member names. */
  choices: Map<number, string[]>;
}

interface Frame {
  kind: 'if' | 'menu' | 'choice' | 'file';
  deps: string[];
  choiceId?: number;
}

let nextChoiceId = 1;

/**
 * Parse one Kconfig file (kconfig-language.rst subset that matters for dependencies): config and
 * menuconfig entries with their type, prompt, `depends on`, `select`, `imply`, `default`;
 * `if`/`endif`, `menu`/`endmenu` and `choice`/`endchoice` blocks whose conditions every entry
 * inside inherits; `source` directives (followed by the caller). Help text is skipped. Pure.
 */
export function parseKconfig(text: string, file: string, inherited: readonly string[] = []): ParsedKconfig {
  const defs: KconfigSymbolDef[] = [];
  const sources: SourceDirective[] = [];
  const choices = new Map<number, string[]>();
  const stack: Frame[] = [{ kind: 'file', deps: [...inherited] }];
  const inheritedDeps = () => stack.flatMap((f) => f.deps);
  let cur: KconfigSymbolDef | undefined;
  let curFrame: Frame | undefined; // a menu or choice whose attributes follow
  let helpIndent: number | undefined;
  let inHelp = false;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let raw = lines[i]!;
    while (raw.endsWith('\\') && i + 1 < lines.length) raw = `${raw.slice(0, -1)} ${lines[++i]}`;
    if (inHelp) {
      const width = /^[ \t]*/.exec(raw)![0].replace(/\t/g, '        ').length;
      if (raw.trim() === '') continue;
      if (helpIndent === undefined) {
        if (width > 0) {
          helpIndent = width;
          continue;
        }
      } else if (width >= helpIndent) continue;
      inHelp = false;
      helpIndent = undefined;
    }
    const line = stripComment(raw).trim();
    if (!line) continue;
    let m: RegExpExecArray | null;
    if ((m = /^(?:menu)?config\s+([A-Za-z0-9_]+)$/.exec(line))) {
      const choiceFrame = [...stack].reverse().find((f) => f.kind === 'choice');
      cur = {
        name: m[1]!,
        file,
        line: lineNo,
        prompt: false,
        depends: inheritedDeps(),
        selects: [],
        implies: [],
        defaults: [],
      };
      if (choiceFrame?.choiceId !== undefined) {
        cur.choice = choiceFrame.choiceId;
        choices.get(choiceFrame.choiceId)!.push(cur.name);
      }
      defs.push(cur);
      curFrame = undefined;
    } else if (/^choice(\s+\w+)?$/.test(line)) {
      const id = nextChoiceId++;
      choices.set(id, []);
      const f: Frame = { kind: 'choice', deps: [], choiceId: id };
      stack.push(f);
      curFrame = f;
      cur = undefined;
    } else if (line === 'endchoice' || line === 'endmenu' || line === 'endif') {
      const want = line === 'endchoice' ? 'choice' : line === 'endmenu' ? 'menu' : 'if';
      const idx = stack.map((f) => f.kind).lastIndexOf(want);
      if (idx > 0) stack.splice(idx);
      cur = undefined;
      curFrame = undefined;
    } else if ((m = /^if\s+(.+)$/.exec(line))) {
      stack.push({ kind: 'if', deps: [m[1]!.trim()] });
      cur = undefined;
      curFrame = undefined;
    } else if (/^menu\s+"/.test(line)) {
      const f: Frame = { kind: 'menu', deps: [] };
      stack.push(f);
      curFrame = f;
      cur = undefined;
    } else if ((m = /^(o?r?source)\s+"([^"]+)"/.exec(line))) {
      sources.push({
        path: m[2]!,
        relative: m[1] === 'rsource' || m[1] === 'orsource',
        optional: m[1]!.startsWith('o'),
        depends: inheritedDeps(),
      });
      cur = undefined;
      curFrame = undefined;
    } else if (/^(comment|mainmenu)\s/.test(line)) {
      cur = undefined;
      curFrame = undefined;
    } else if (/^(help|---help---)$/.test(line)) {
      inHelp = true;
      helpIndent = undefined;
    } else if ((m = /^depends\s+on\s+(.+)$/.exec(line))) {
      if (cur) cur.depends.push(m[1]!.trim());
      else if (curFrame) curFrame.deps.push(m[1]!.trim());
    } else if (cur) {
      parseAttribute(cur, line);
    }
  }
  return { defs, sources, choices };
}

function stripComment(line: string): string {
  // A # outside quotes starts a comment.
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') q = !q;
    else if (c === '#' && !q) return line.slice(0, i);
  }
  return line;
}

function splitIf(rest: string): { value: string; cond?: string } {
  const m = /^(.*?)\s+if\s+(.+)$/.exec(rest);
  return m ? { value: m[1]!.trim(), cond: m[2]!.trim() } : { value: rest.trim() };
}

function parseAttribute(cur: KconfigSymbolDef, line: string): void {
  let m: RegExpExecArray | null;
  if ((m = /^(bool|tristate|string|int|hex)\b\s*(.*)$/.exec(line))) {
    cur.type = m[1] as KconfigSymbolDef['type'];
    const rest = m[2]!.trim();
    if (rest.startsWith('"')) {
      cur.prompt = true;
      const c = /"[^"]*"\s*if\s+(.+)$/.exec(rest);
      if (c) cur.promptIf = c[1]!.trim();
    }
  } else if ((m = /^def_(bool|tristate)\s+(.+)$/.exec(line))) {
    cur.type = m[1] as 'bool' | 'tristate';
    const { value, cond } = splitIf(m[2]!);
    cur.defaults.push({ value, cond });
  } else if ((m = /^prompt\s+"[^"]*"\s*(?:if\s+(.+))?$/.exec(line))) {
    cur.prompt = true;
    if (m[1]) cur.promptIf = m[1].trim();
  } else if ((m = /^default\s+(.+)$/.exec(line))) {
    const { value, cond } = splitIf(m[1]!);
    cur.defaults.push({ value, cond });
  } else if ((m = /^(select|imply)\s+([A-Za-z0-9_]+)(?:\s+if\s+(.+))?$/.exec(line))) {
    (m[1] === 'select' ? cur.selects : cur.implies).push({ target: m[2]!, cond: m[3]?.trim() });
  }
}

/** Build the symbol index from parsed files. Pure. */
export function buildKconfigIndex(files: readonly ParsedKconfig[]): KconfigIndex {
  const symbols = new Map<string, KconfigSymbolDef[]>();
  const selectedBy: KconfigIndex['selectedBy'] = new Map();
  const choices = new Map<number, string[]>();
  for (const f of files) {
    for (const [id, members] of f.choices) choices.set(id, members);
    for (const d of f.defs) {
      const list = symbols.get(d.name) ?? [];
      list.push(d);
      symbols.set(d.name, list);
      for (const s of d.selects) push(selectedBy, s.target, { by: d.name, cond: s.cond });
      for (const s of d.implies) push(selectedBy, s.target, { by: d.name, cond: s.cond, imply: true });
    }
  }
  return { symbols, selectedBy, choices };
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V) {
  const l = m.get(k) ?? [];
  l.push(v);
  m.set(k, l);
}
