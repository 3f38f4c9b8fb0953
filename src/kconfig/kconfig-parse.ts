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

/** One file's parse: what it found, the open blocks, and the entry or block attributes attach to. */
class KconfigFileParse {
  readonly defs: KconfigSymbolDef[] = [];
  readonly sources: SourceDirective[] = [];
  readonly choices = new Map<number, string[]>();
  readonly stack: Frame[];
  /** The config entry whose attributes follow. */
  cur: KconfigSymbolDef | undefined;
  /** A menu or choice whose attributes follow. */
  curFrame: Frame | undefined;
  private helpIndent: number | undefined;
  private inHelp = false;

  constructor(
    readonly file: string,
    inherited: readonly string[],
  ) {
    this.stack = [{ kind: 'file', deps: [...inherited] }];
  }

  inheritedDeps(): string[] {
    return this.stack.flatMap((f) => f.deps);
  }

  /** Ends the current entry and block: attributes that follow belong to neither. */
  detach(): void {
    this.cur = undefined;
    this.curFrame = undefined;
  }

  startHelp(): void {
    this.inHelp = true;
    this.helpIndent = undefined;
  }

  /** True when `raw` is a line of help text (its first line sets the indent; a shallower one ends it). */
  inHelpText(raw: string): boolean {
    if (!this.inHelp) return false;
    const width = /^[ \t]*/.exec(raw)![0].replace(/\t/g, '        ').length;
    if (raw.trim() === '') return true;
    if (this.helpIndent === undefined) {
      if (width > 0) {
        this.helpIndent = width;
        return true;
      }
    } else if (width >= this.helpIndent) return true;
    this.inHelp = false;
    this.helpIndent = undefined;
    return false;
  }

  result(): ParsedKconfig {
    return { defs: this.defs, sources: this.sources, choices: this.choices };
  }
}

/** One Kconfig directive: its pattern and what it does to the parse (`line` is its 1-based number). */
interface KconfigRule {
  name: string;
  re: RegExp;
  apply: (m: RegExpExecArray, p: KconfigFileParse, line: number) => void;
}

function configEntry(m: RegExpExecArray, p: KconfigFileParse, lineNo: number): void {
  const choiceFrame = [...p.stack].reverse().find((f) => f.kind === 'choice');
  const cur: KconfigSymbolDef = {
    name: m[1]!,
    file: p.file,
    line: lineNo,
    prompt: false,
    depends: p.inheritedDeps(),
    selects: [],
    implies: [],
    defaults: [],
  };
  if (choiceFrame?.choiceId !== undefined) {
    cur.choice = choiceFrame.choiceId;
    p.choices.get(choiceFrame.choiceId)!.push(cur.name);
  }
  p.defs.push(cur);
  p.cur = cur;
  p.curFrame = undefined;
}

function openBlock(p: KconfigFileParse, f: Frame): void {
  p.stack.push(f);
  p.curFrame = f;
  p.cur = undefined;
}

const BLOCK_OF_END = { endchoice: 'choice', endmenu: 'menu', endif: 'if' } as const;

/** The directives that structure a Kconfig file, tried in order; other lines are entry attributes. */
const RULES: readonly KconfigRule[] = [
  { name: 'config', re: /^(?:menu)?config\s+([A-Za-z0-9_]+)$/, apply: configEntry },
  {
    name: 'choice',
    re: /^choice(\s+\w+)?$/,
    apply: (_m, p) => {
      const id = nextChoiceId++;
      p.choices.set(id, []);
      openBlock(p, { kind: 'choice', deps: [], choiceId: id });
    },
  },
  {
    name: 'end',
    re: /^(endchoice|endmenu|endif)$/,
    apply: (m, p) => {
      const want = BLOCK_OF_END[m[1] as keyof typeof BLOCK_OF_END];
      const idx = p.stack.map((f) => f.kind).lastIndexOf(want);
      if (idx > 0) p.stack.splice(idx);
      p.detach();
    },
  },
  {
    name: 'if',
    re: /^if\s+(.+)$/,
    apply: (m, p) => {
      p.stack.push({ kind: 'if', deps: [m[1]!.trim()] });
      p.detach();
    },
  },
  { name: 'menu', re: /^menu\s+"/, apply: (_m, p) => openBlock(p, { kind: 'menu', deps: [] }) },
  {
    name: 'source',
    re: /^(o?r?source)\s+"([^"]+)"/,
    apply: (m, p) => {
      p.sources.push({
        path: m[2]!,
        relative: m[1] === 'rsource' || m[1] === 'orsource',
        optional: m[1]!.startsWith('o'),
        depends: p.inheritedDeps(),
      });
      p.detach();
    },
  },
  { name: 'comment', re: /^(comment|mainmenu)\s/, apply: (_m, p) => p.detach() },
  { name: 'help', re: /^(help|---help---)$/, apply: (_m, p) => p.startHelp() },
  {
    name: 'depends',
    re: /^depends\s+on\s+(.+)$/,
    apply: (m, p) => {
      if (p.cur) p.cur.depends.push(m[1]!.trim());
      else if (p.curFrame) p.curFrame.deps.push(m[1]!.trim());
    },
  },
];

/**
 * Parse one Kconfig file (kconfig-language.rst subset that matters for dependencies): config and
 * menuconfig entries with their type, prompt, `depends on`, `select`, `imply`, `default`;
 * `if`/`endif`, `menu`/`endmenu` and `choice`/`endchoice` blocks whose conditions every entry
 * inside inherits; `source` directives (followed by the caller). Help text is skipped. Pure.
 */
export function parseKconfig(text: string, file: string, inherited: readonly string[] = []): ParsedKconfig {
  const p = new KconfigFileParse(file, inherited);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let raw = lines[i]!;
    while (raw.endsWith('\\') && i + 1 < lines.length) raw = `${raw.slice(0, -1)} ${lines[++i]}`;
    if (p.inHelpText(raw)) continue;
    const line = stripComment(raw).trim();
    if (line) parseLine(p, line, lineNo);
  }
  return p.result();
}

function parseLine(p: KconfigFileParse, line: string, lineNo: number): void {
  for (const rule of RULES) {
    const m = rule.re.exec(line);
    if (m) return rule.apply(m, p, lineNo);
  }
  if (p.cur) parseAttribute(p.cur, line);
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
