/**
 * The lazy line stream under the console parser (kunit_tool's LineStream idea): raw console
 * bytes in, one normalised `ConsoleLine` at a time out. Normalising means: CRLF and lone CRs,
 * ANSI/VT100 escapes from the firmware (SeaBIOS clears the screen), other control characters,
 * the printk `[    1.234567]` prefix (kept as `kernelTime`), and kernel messages that the serial
 * console wrote into the middle of a user-space line (split out, the user-space fragments joined
 * back together).
 */
import { StringDecoder } from 'node:string_decoder';
import { isTapLine } from './grammar.js';
import { SENTINEL } from './sentinels.js';

export interface ConsoleLine {
  /** 1-based line number in the raw console log. */
  n: number;
  /** The raw line (without its line ending). */
  raw: string;
  /** The cleaned text, printk timestamp removed. */
  text: string;
  /** Seconds since boot, when the line carried a printk timestamp. */
  kernelTime?: number;
  /** Host time (ms) the line arrived, when the caller streamed a live console. */
  atMs?: number;
  /** For a user-space line rejoined around a kernel message: the raw line where it began. */
  startN?: number;
}

// CSI sequences (ESC [ ... final), OSC (ESC ] ... BEL/ST), two-char escapes (ESC c, ESC 7, ESC =).
const ANSI_RE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\x1b[0-9=>c]/g;

const CONTROL_RE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;
/** `[   82.138113]`, with CONFIG_PRINTK_CALLER also `[   T88]` (task) or `[    C0]` (CPU) after it. */
const PRINTK_TIME_RE = /^(?:<\d+>)?\[\s*(\d+\.\d+)\](?:\[\s*[TC]\d+\])?\s?/;
/** A printk timestamp in the middle of a line: a kernel message interrupted user-space output. */
const MID_PRINTK_RE = /\[\s*\d+\.\d{6}\]/;
/**
 * Kernel report headers that can start in the middle of a user-space line when printk has no
 * timestamps (the serial console interleaves them at any byte).
 */
const MID_HEADER_RE =
  /(?:BUG: (?:kernel NULL|unable to handle|KASAN|sleeping|scheduling|Bad page)|Oops: |kernel BUG at |WARNING: CPU: |Kernel panic - not syncing|rcu: INFO: |INFO: task |general protection fault)/;

export function stripAnsi(s: string): string {
  return s.replace(ANSI_RE, '').replace(CONTROL_RE, '');
}

/**
 * Split raw text into lines: \n, a run of \r before \n (`\r\n`, and the `\r\r\n` of a console
 * captured through a second tty layer), and a run of lone \r all end one line; a final partial
 * line is kept.
 */
export function* splitLines(text: string): Generator<string> {
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      yield text.slice(start, i);
      if (c === 13) {
        while (text.charCodeAt(i + 1) === 13) i++;
        if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
  }
  if (start < text.length) yield text.slice(start);
}

/** A line longer than this (no line end in 1 MiB: garbage, or a binary blob) is cut into pieces. */
export const MAX_LINE_CHARS = 1 << 20;

/** Incremental splitter for streamed chunks (a QEMU serial console delivers arbitrary pieces). */
export class LineSplitter {
  private rest = '';
  private pendingCR = false;
  push(chunk: string): string[] {
    const out: string[] = [];
    let s = chunk;
    if (this.pendingCR) {
      // The line already ended at a \r: the rest of its `\r…\r\n` ending may come in this chunk.
      const m = /^\r*(\n)?/.exec(s)!;
      s = s.slice(m[0].length);
      if (!m[1] && !s.length) return [];
    }
    this.pendingCR = false;
    let data = this.rest + s;
    this.rest = '';
    let start = 0;
    for (let i = 0; i < data.length; i++) {
      const c = data.charCodeAt(i);
      if (c === 10 || c === 13) {
        out.push(data.slice(start, i));
        if (c === 13) {
          while (data.charCodeAt(i + 1) === 13) i++;
          if (i + 1 === data.length) this.pendingCR = true;
          else if (data.charCodeAt(i + 1) === 10) i++;
        }
        start = i + 1;
      }
    }
    data = data.slice(start);
    while (data.length > MAX_LINE_CHARS) {
      out.push(data.slice(0, MAX_LINE_CHARS));
      data = data.slice(MAX_LINE_CHARS);
    }
    this.rest = data;
    return out;
  }
  /** The unterminated tail (truncated output keeps its last partial line). */
  end(): string[] {
    const r = this.rest;
    this.rest = '';
    return r ? [r] : [];
  }
}

/**
 * Normalises raw lines one at a time. Stateful only to rejoin a user-space line that a kernel
 * message interrupted: `ok 3 hmm.hmm_dev[ 5.1] BUG: …` then `ice_private.x` on a later line.
 */
export class LineNormalizer {
  private fragment: { text: string; n: number } | undefined;

  /** Returns zero or more cleaned lines for one raw line. */
  push(raw: string, n: number, atMs?: number): ConsoleLine[] {
    const clean = stripAnsi(raw);
    const out: ConsoleLine[] = [];
    // hmmci's own kill line quotes the kernel report that caused it: never a message to split off.
    if (clean.startsWith(SENTINEL.killed)) return [this.kernelLine(raw, clean, n, atMs)];
    // A kernel message starting mid-line: everything before it is a user-space fragment.
    let cut = -1;
    const ts = MID_PRINTK_RE.exec(clean);
    if (ts && ts.index > 0 && !PRINTK_TIME_RE.test(clean)) cut = ts.index;
    if (cut < 0) {
      const h = MID_HEADER_RE.exec(clean);
      if (h && h.index > 0 && !/^\s*$/.test(clean.slice(0, h.index)) && !isKernelish(clean.slice(0, h.index)))
        cut = h.index;
    }
    if (cut > 0) {
      const before = clean.slice(0, cut);
      // Only run_kselftest.sh's `# ` in front of a kernel message (its output went through the
      // runner's pipe): nothing of user space to rejoin.
      if (!/^[#\s]*$/.test(before)) this.fragment = { text: (this.fragment?.text ?? '') + before, n };
      out.push(this.kernelLine(raw, clean.slice(cut), n, atMs));
      return out;
    }
    const line = this.kernelLine(raw, clean, n, atMs);
    if (this.fragment && line.kernelTime === undefined) {
      const f = this.fragment;
      // Rejoin when the pieces make a user-space (TAP) line; when this line is a complete TAP
      // line on its own, the fragment was a whole line cut short: emit it first. Otherwise this
      // is the kernel report's continuation and the fragment keeps waiting (for a while).
      if (isTapAtAnyDepth(f.text + line.text) && !(isTapAtAnyDepth(line.text) && isTapAtAnyDepth(f.text))) {
        this.fragment = undefined;
        line.text = f.text + line.text;
        line.startN = f.n;
      } else if (isTapAtAnyDepth(line.text) || n - f.n > 400) {
        this.fragment = undefined;
        out.push({ n: f.n, raw: f.text, text: f.text });
      }
    }
    out.push(line);
    return out;
  }

  /** Flush a dangling fragment at end of input. */
  end(n: number): ConsoleLine[] {
    if (!this.fragment) return [];
    const f = this.fragment;
    this.fragment = undefined;
    return [{ n, raw: f.text, text: f.text }];
  }

  private kernelLine(raw: string, clean: string, n: number, atMs?: number): ConsoleLine {
    const m = PRINTK_TIME_RE.exec(clean);
    const line: ConsoleLine = { n, raw, text: m ? clean.slice(m[0].length) : clean };
    if (m) line.kernelTime = Number.parseFloat(m[1]!);
    if (atMs !== undefined) line.atMs = atMs;
    return line;
  }
}

/** A TAP line as is, or under one or more run_kselftest.sh `# ` levels. */
function isTapAtAnyDepth(text: string): boolean {
  let t = text;
  for (let d = 0; d < 5; d++) {
    if (isTapLine(t)) return true;
    if (!t.startsWith('# ')) return false;
    t = t.slice(2);
  }
  return false;
}

/** Text before a mid-line header that is itself kernel output (e.g. "watchdog: "), not user space. */
function isKernelish(prefix: string): boolean {
  // `---[ end Kernel panic - not syncing: … ]---` is the panic's footer, not a new report.
  const p = prefix.trim().replace(/^(?:<\d+>)?\[\s*\d+\.\d+\](?:\[\s*[TC]\d+\])?\s*/, '');
  return /^(?:watchdog|rcu|\s*<\w+>|-+\[ end)?[: ]*$/.test(p) || /:\s*$/.test(prefix);
}

/** Lazy stream of cleaned lines from a whole log (sync). */
export function* consoleLines(text: string): Generator<ConsoleLine> {
  const norm = new LineNormalizer();
  let n = 0;
  for (const raw of splitLines(text)) {
    n++;
    yield* norm.push(raw, n);
  }
  yield* norm.end(n);
}

/**
 * Lazy stream of cleaned lines from streamed chunks (async). Buffers go through a StringDecoder,
 * so a UTF-8 character split between two chunks is decoded whole.
 */
export async function* consoleLinesAsync(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<ConsoleLine> {
  const split = new LineSplitter();
  const norm = new LineNormalizer();
  const decoder = new StringDecoder('utf8');
  let n = 0;
  for await (const chunk of chunks) {
    for (const raw of split.push(typeof chunk === 'string' ? chunk : decoder.write(chunk))) {
      n++;
      yield* norm.push(raw, n);
    }
  }
  for (const raw of [...split.push(decoder.end()), ...split.end()]) {
    n++;
    yield* norm.push(raw, n);
  }
  yield* norm.end(n);
}
