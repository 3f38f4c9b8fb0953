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

/**
 * Lazy line-by-line parser of kbuild output (kunit_tool style: it records what it finds and never
 * throws). Recognizes gcc errors and warnings (file:line:col), their "In function" context, ld
 * undefined references and other ld errors, modpost and objtool messages, make's failed targets
 * and a missing .config. Identical diagnostics (a header warning printed for every file that
 * includes it) are kept once.
 */
export function createBuildLogParser(opts: { srcDir?: string } = {}): BuildLogParser {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const failedTargets: string[] = [];
  const seen = new Set<string>();
  let lineNo = 0;
  let gccFunction: { file: string; fn?: string } | undefined;
  let ldFunction: { file: string; fn: string } | undefined;
  const add = (d: Omit<Diagnostic, 'logLine'>) => {
    const key = `${d.severity}|${d.tool}|${d.file ?? ''}|${d.line ?? ''}|${d.column ?? ''}|${d.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    (d.severity === 'error' ? errors : warnings).push({ ...d, logLine: lineNo });
  };
  return {
    push(raw: string) {
      lineNo++;
      const line = raw.replace(/\r$/, '');
      let m: RegExpExecArray | null;
      if ((m = GCC_CONTEXT.exec(line)) && !line.startsWith('make')) {
        gccFunction = { file: treeRelative(m[1]!, opts.srcDir), fn: m[2] };
        return;
      }
      if ((m = GCC.exec(line)) && !/^(?:\S*\/)?ld(?:\.\w+)?$/.test(m[1]!)) {
        const file = treeRelative(m[1]!, opts.srcDir);
        add({
          severity: m[4] === 'warning' ? 'warning' : 'error',
          tool: 'gcc',
          file,
          line: Number(m[2]),
          column: m[3] ? Number(m[3]) : undefined,
          message: m[5]!.trim(),
          function: gccFunction && gccFunction.file === file ? gccFunction.fn : undefined,
        });
        return;
      }
      if ((m = LD_IN_FUNCTION.exec(line))) {
        ldFunction = { file: treeRelative(m[1]!, opts.srcDir), fn: m[2]! };
        return;
      }
      if ((m = LD_UNDEFINED.exec(line))) {
        add({
          severity: 'error',
          tool: 'ld',
          file: ldFunction?.file ?? (m[1] ? treeRelative(m[1], opts.srcDir) : undefined),
          message: m[3]!.trim(),
          function: ldFunction?.fn,
        });
        return;
      }
      if ((m = MODPOST.exec(line))) {
        add({ severity: m[1] === 'ERROR' ? 'error' : 'warning', tool: 'modpost', message: m[2]!.trim() });
        return;
      }
      if ((m = OBJTOOL.exec(line))) {
        add({
          severity: m[2] === 'error' ? 'error' : 'warning',
          tool: 'objtool',
          file: treeRelative(m[1]!, opts.srcDir),
          message: m[3]!.trim(),
        });
        return;
      }
      if ((m = LD_GENERIC.exec(line))) {
        const msg = m[1]!;
        if (/error|cannot find|multiple definition|undefined/i.test(msg))
          add({ severity: 'error', tool: 'ld', message: msg.trim() });
        else if (/warning/i.test(msg)) add({ severity: 'warning', tool: 'ld', message: msg.trim() });
        return;
      }
      if ((m = MAKE_FAIL.exec(line))) {
        failedTargets.push(treeRelative(m[3]!, opts.srcDir));
        return;
      }
      if ((m = MAKE_NO_RULE.exec(line))) {
        add({ severity: 'error', tool: 'make', message: m[1]!.trim() });
        return;
      }
      if ((m = NO_CONFIG.exec(line))) {
        add({ severity: 'error', tool: 'kconfig', message: `configuration file ${m[1]} not found` });
      }
    },
    result() {
      const out: BuildLogSummary = {
        errors: [...errors],
        warnings: [...warnings],
        failedTargets: [...new Set(failedTargets)],
      };
      // A failure whose cause printed nothing recognizable: make's own line is the best we have.
      if (out.errors.length === 0 && out.failedTargets.length) {
        out.errors.push({
          severity: 'error',
          tool: 'make',
          message: `failed to build ${out.failedTargets[0]}`,
          logLine: lineNo,
        });
      }
      return out;
    },
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
