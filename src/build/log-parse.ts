import type { BuildLogSummary, Diagnostic, ProgressStep } from './types.js';

const GCC = /^(.+?):(\d+):(?:(\d+):)? (fatal error|error|warning): (.*)$/;
const GCC_CONTEXT =
  /^(.+?): (?:In function|In static function|In member function|At top level)\s*(?:[‘'`](.+?)[’'`])?:$/;
const LD_IN_FUNCTION = /^(?:\S*\/)?ld(?:\.\w+)?: (.+?): in function [‘'`](.+?)[’'`]:$/;
// `hmm.c:(.text+0x5): undefined reference to ...`, or with LTO/vmlinux.o just `(.text+0x11f446): ...`.
const LD_UNDEFINED =
  /^(?:(?:\S*\/)?ld(?:\.\w+)?: )?(?:(.+?):)?\((\.[\w.]+)\+0x[0-9a-f]+\): (undefined reference to [‘'`].+?[’'`].*)$/;
const LD_GENERIC = /^(?:\S*\/)?ld(?:\.\w+)?: (.*)$/;
const MODPOST = /^(ERROR|WARNING): modpost: (.*)$/;
const OBJTOOL = /^(.+?\.o): (warning|error): objtool: (.*)$/;
const MAKE_FAIL = /^make(?:\[\d+\])?: \*\*\* \[(?:(.+?):(\d+): )?(.+?)\] (Error \d+|Killed|Segmentation fault.*)$/;
const MAKE_NO_RULE = /^make(?:\[\d+\])?: \*\*\* (No rule to make target .*)$/;
const NO_CONFIG = /^\*\*\* Configuration file "(.+)" not found!/;
const QUIET = /^  ([A-Z][A-Z0-9_]*(?: \[M\])?)\s+(\S.*)$/;

const COMPILE = new Set(['CC', 'CC [M]', 'AS', 'AS [M]', 'HOSTCC', 'HOSTCXX', 'CPP', 'RUSTC', 'RUSTC [M]']);
const LINK = new Set(['LD', 'LD [M]', 'AR', 'BUILD', 'HOSTLD', 'OBJCOPY', 'LDS', 'KSYMS', 'MODPOST', 'MODINFO']);

/**
 * Make a path from the build log relative to the kernel tree: kbuild prints `../mm/hmm.c` when the
 * build dir is a subfolder of the tree, the absolute path otherwise. Pure.
 */
export function treeRelative(path: string, srcDir?: string): string {
  let p = path;
  if (srcDir && p.startsWith(`${srcDir.replace(/\/$/, '')}/`)) p = p.slice(srcDir.replace(/\/$/, '').length + 1);
  while (p.startsWith('../')) p = p.slice(3);
  if (p.startsWith('./')) p = p.slice(2);
  return p;
}

/** A kbuild quiet-command line as progress (`  CC      mm/hmm.o`), or undefined. Pure. */
export function progressFromLine(line: string): ProgressStep | undefined {
  const m = QUIET.exec(line);
  if (!m) return undefined;
  const command = m[1]!;
  const target = m[2]!.trim();
  const slash = target.lastIndexOf('/');
  return {
    command,
    target,
    dir: slash > 0 ? target.slice(0, slash) : '.',
    kind: COMPILE.has(command) ? 'compile' : LINK.has(command) ? 'link' : 'other',
  };
}

export interface BuildLogParser {
  push(line: string): void;
  result(): BuildLogSummary;
}

/** What the parser has found so far, and the context later lines refer to. */
class BuildLogState {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];
  readonly failedTargets: string[] = [];
  private readonly seen = new Set<string>();
  lineNo = 0;
  /** The last gcc "In function" line: the function later gcc diagnostics of that file are in. */
  gccFunction: { file: string; fn?: string } | undefined;
  /** The last ld "in function" line: the function later undefined references are in. */
  ldFunction: { file: string; fn: string } | undefined;

  constructor(private readonly srcDir: string | undefined) {}

  rel(path: string): string {
    return treeRelative(path, this.srcDir);
  }

  /** Records a diagnostic at the current line, once: identical ones are kept once. */
  add(d: Omit<Diagnostic, 'logLine'>): void {
    const key = `${d.severity}|${d.tool}|${d.file ?? ''}|${d.line ?? ''}|${d.column ?? ''}|${d.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    (d.severity === 'error' ? this.errors : this.warnings).push({ ...d, logLine: this.lineNo });
  }

  summary(): BuildLogSummary {
    const out: BuildLogSummary = {
      errors: [...this.errors],
      warnings: [...this.warnings],
      failedTargets: [...new Set(this.failedTargets)],
    };
    // A failure whose cause printed nothing recognizable: make's own line is the best we have.
    if (out.errors.length === 0 && out.failedTargets.length) {
      out.errors.push({
        severity: 'error',
        tool: 'make',
        message: `failed to build ${out.failedTargets[0]}`,
        logLine: this.lineNo,
      });
    }
    return out;
  }
}

/** One kind of build-log line: its pattern, an optional further check, and what it records. */
interface LineRule {
  name: string;
  re: RegExp;
  when?: (m: RegExpExecArray, line: string) => boolean;
  apply: (m: RegExpExecArray, s: BuildLogState) => void;
}

const LD_TOOL = /^(?:\S*\/)?ld(?:\.\w+)?$/;

/** The build-log grammar, tried in order: the first rule that matches a line takes it. */
const RULES: readonly LineRule[] = [
  {
    name: 'gcc-context',
    re: GCC_CONTEXT,
    when: (_m, line) => !line.startsWith('make'),
    apply: (m, s) => {
      s.gccFunction = { file: s.rel(m[1]!), fn: m[2] };
    },
  },
  {
    name: 'gcc',
    re: GCC,
    when: (m) => !LD_TOOL.test(m[1]!),
    apply: (m, s) => {
      const file = s.rel(m[1]!);
      s.add({
        severity: m[4] === 'warning' ? 'warning' : 'error',
        tool: 'gcc',
        file,
        line: Number(m[2]),
        column: m[3] ? Number(m[3]) : undefined,
        message: m[5]!.trim(),
        function: s.gccFunction && s.gccFunction.file === file ? s.gccFunction.fn : undefined,
      });
    },
  },
  {
    name: 'ld-in-function',
    re: LD_IN_FUNCTION,
    apply: (m, s) => {
      s.ldFunction = { file: s.rel(m[1]!), fn: m[2]! };
    },
  },
  {
    name: 'ld-undefined',
    re: LD_UNDEFINED,
    apply: (m, s) =>
      s.add({
        severity: 'error',
        tool: 'ld',
        file: s.ldFunction?.file ?? (m[1] ? s.rel(m[1]) : undefined),
        message: m[3]!.trim(),
        function: s.ldFunction?.fn,
      }),
  },
  {
    name: 'modpost',
    re: MODPOST,
    apply: (m, s) =>
      s.add({ severity: m[1] === 'ERROR' ? 'error' : 'warning', tool: 'modpost', message: m[2]!.trim() }),
  },
  {
    name: 'objtool',
    re: OBJTOOL,
    apply: (m, s) =>
      s.add({
        severity: m[2] === 'error' ? 'error' : 'warning',
        tool: 'objtool',
        file: s.rel(m[1]!),
        message: m[3]!.trim(),
      }),
  },
  {
    name: 'ld',
    re: LD_GENERIC,
    apply: (m, s) => {
      const msg = m[1]!;
      if (/error|cannot find|multiple definition|undefined/i.test(msg))
        s.add({ severity: 'error', tool: 'ld', message: msg.trim() });
      else if (/warning/i.test(msg)) s.add({ severity: 'warning', tool: 'ld', message: msg.trim() });
    },
  },
  {
    name: 'make-failed-target',
    re: MAKE_FAIL,
    apply: (m, s) => {
      s.failedTargets.push(s.rel(m[3]!));
    },
  },
  {
    name: 'make-no-rule',
    re: MAKE_NO_RULE,
    apply: (m, s) => s.add({ severity: 'error', tool: 'make', message: m[1]!.trim() }),
  },
  {
    name: 'no-config',
    re: NO_CONFIG,
    apply: (m, s) => s.add({ severity: 'error', tool: 'kconfig', message: `configuration file ${m[1]} not found` }),
  },
];

/**
 * Lazy line-by-line parser of kbuild output (kunit_tool style: it records what it finds and never
 * throws). Recognizes gcc errors and warnings (file:line:col), their "In function" context, ld
 * undefined references and other ld errors, modpost and objtool messages, make's failed targets
 * and a missing .config (the grammar is `RULES`). Identical diagnostics (a header warning printed
 * for every file that includes it) are kept once.
 */
export function createBuildLogParser(opts: { srcDir?: string } = {}): BuildLogParser {
  const state = new BuildLogState(opts.srcDir);
  return {
    push(raw: string) {
      state.lineNo++;
      const line = raw.replace(/\r$/, '');
      for (const rule of RULES) {
        const m = rule.re.exec(line);
        if (m && (!rule.when || rule.when(m, line))) return rule.apply(m, state);
      }
    },
    result: () => state.summary(),
  };
}

/** Parse a whole build log. Pure. */
export function parseBuildLog(text: string, opts: { srcDir?: string } = {}): BuildLogSummary {
  const p = createBuildLogParser(opts);
  for (const line of text.split('\n')) p.push(line);
  return p.result();
}

/** `mm/hmm.c:9:9: error: expected ';' before 'return'` — one line per diagnostic. Pure. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}${d.line ? `:${d.line}${d.column ? `:${d.column}` : ''}` : ''}: ` : '';
  const fn = d.function ? ` (in ${d.function})` : '';
  return `${where}${d.severity}: ${d.message}${fn}${d.tool === 'gcc' ? '' : ` [${d.tool}]`}`;
}
