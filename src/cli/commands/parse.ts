import { closeSync, createReadStream, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { interruptSignal } from '../../common/cleanup.js';
import { BadInputError } from '../../common/errors.js';
import { ExitCode } from '../../common/exit-codes.js';
import { decodeEvents } from '../../results/decode.js';
import { formatResultText } from '../../results/format.js';
import { allPassed, parseConsole, type ParseResult } from '../../results/parser.js';
import { contextFrom } from '../context.js';

const SAMPLE_BYTES = 65536;
const CONSOLE_TEXT_RE = /Linux version \d|BIOS-e820|^TAP version|^KTAP version|Booting from ROM/m;

/**
 * Check that a path is a console log without reading it whole (a log can be hundreds of MB):
 * from its first 64 KiB, or say in one paragraph why it is not one (exit 3).
 */
export function checkConsoleLog(path: string): void {
  let sample: Buffer;
  let size: number;
  let fd: number | undefined;
  try {
    if (statSync(path).isDirectory())
      throw new BadInputError(
        `${path} is a directory, not a console log. Give the console.log file that \`hmmci test\` saved (its path is printed at the end of the run).`,
      );
    fd = openSync(path, 'r');
    size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(SAMPLE_BYTES, Math.max(size, 1)));
    sample = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
  } catch (err) {
    if (err instanceof BadInputError) throw err;
    throw new BadInputError(
      `Cannot read the console log ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Check the path; \`hmmci test\` prints where it saved the log.`,
    );
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (!sample.length || (size <= SAMPLE_BYTES && !sample.toString('utf8').trim()))
    throw new BadInputError(
      `The console log ${path} is empty: the guest printed nothing (or the capture failed). Run \`hmmci test\` again and look at the QEMU stderr file next to the log.`,
    );
  const nul = sample.filter((b) => b === 0).length;
  if (nul > sample.length / 100)
    throw new BadInputError(
      `${path} is a binary file, not a console log (text of a serial console with kernel messages and hmm-tests' TAP output).`,
    );
  if (/^\s*(?:<!doctype html|<html)/i.test(sample.toString('utf8')))
    throw new BadInputError(
      `${path} is an HTML page, not a console log. If you saved it from a web CI, download the raw log instead.`,
    );
}

/** The file's chunks, as read (1 MiB at a time), noting whether any looks like a kernel console or TAP. */
async function* sniffedChunks(path: string, seen: { console: boolean }): AsyncGenerator<Buffer> {
  let carry = '';
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (!seen.console) {
      const text = carry + chunk.toString('latin1');
      if (CONSOLE_TEXT_RE.test(text)) seen.console = true;
      carry = text.slice(-64);
    }
    yield chunk;
  }
}

/** Parse a console log file as a stream (never the whole file in one string). */
export async function parseConsoleFile(path: string): Promise<{ result: ParseResult; consoleText: boolean }> {
  const seen = { console: false };
  const result = await parseConsole(sniffedChunks(path, seen));
  return { result, consoleText: seen.console };
}

/** Does the parse show anything of a kernel console or a TAP stream at all? */
export function looksLikeConsole(consoleText: boolean, r: ParseResult): boolean {
  return r.session.booted || r.tests.length > 0 || r.events.length > 0 || consoleText;
}

export function resultJson(r: ParseResult): Record<string, unknown> {
  return { tests: r.tests, counts: r.counts, events: r.events, diagnostics: r.diagnostics, session: r.session };
}

/** `hmmci parse <console.log> [--json] [--vmlinux PATH] [--tree DIR] [--verbose]`. */
export function registerParse(program: Command): void {
  program
    .command('parse')
    .summary('parse a saved console log: per-test results and kernel events')
    .description(
      'Parse a saved guest console log: per-test results of hmm-tests (TAP / KTAP, also nested under run_kselftest.sh) and the kernel events (oops, BUG, panic, WARNING, RCU stall, hung task, KASAN, lockdep) with the test that was running. Needs no kernel tree. Exit 0 when every test passed or was skipped, 1 otherwise, 3 when the file is not a console log.',
    )
    .argument('<console-log>', 'the console log (e.g. the console.log `hmmci test` saved)')
    .option(
      '--json',
      'print {tests: [{name, status, durationMs?, reason?, output?}], counts: {status: n}, events: [{kind, test, text, function?, decoded?}], diagnostics, session}',
    )
    .option('--vmlinux <path>', "decode kernel traces with this vmlinux (and the tree's scripts/decode_stacktrace.sh)")
    .option('--tree <dir>', 'kernel source tree for decode_stacktrace.sh (default: the `source` link next to vmlinux)')
    .option('-v, --verbose', 'show the output lines of each test that did not pass')
    .action(
      async (
        path: string,
        opts: { json?: boolean; vmlinux?: string; tree?: string; verbose?: boolean },
        cmd: Command,
      ) => {
        const ctx = contextFrom(cmd);
        checkConsoleLog(path);
        const { result: r, consoleText } = await parseConsoleFile(path);
        if (!looksLikeConsole(consoleText, r)) {
          throw new BadInputError(
            `${path} does not look like a guest console log: no kernel messages, no TAP output from hmm-tests, no hmmci sentinel lines. Give the console.log of a run (\`hmmci test\` prints its path).`,
          );
        }
        if (opts.vmlinux && r.events.length) {
          let srcDir = opts.tree;
          if (!srcDir) {
            try {
              srcDir = realpathSync(join(dirname(opts.vmlinux), 'source'));
            } catch {
              srcDir = undefined;
            }
          }
          const why = await decodeEvents(r.events, {
            vmlinux: opts.vmlinux,
            srcDir,
            modulesDir: dirname(opts.vmlinux),
            signal: interruptSignal(),
          });
          if (why) ctx.reporter.warn(`traces not decoded: ${why}`);
        }
        ctx.out(opts.json ? JSON.stringify(resultJson(r), null, 2) : formatResultText(r, { verbose: opts.verbose }));
        process.exitCode = allPassed(r) ? ExitCode.OK : ExitCode.TESTS_FAILED;
      },
    );
}
