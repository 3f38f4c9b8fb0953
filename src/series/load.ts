/**
 * Series intake: an mbox or mail file, a folder of .patch/.eml files, a git range `A..B` of a
 * tree, or a message-id fetched with b4. Reading and process spawning live here; parsing is in
 * the pure modules (mbox, headers, mime, message, series).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BadInputError, HmmciError, UsageError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import type { Reporter } from '../common/progress.js';
import { commitSha, git } from '../tree/git.js';
import { b4Fetch, messageIdUrl } from './b4.js';
import { findDiffStart } from './diff.js';
import { isMboxrd, splitMbox, textLines } from './mbox.js';
import { decodeMessage, looksLikeMail } from './message.js';
import { buildSeries } from './series.js';
import { MAX_MIME_DEPTH } from './mime.js';
import { sniffInput } from './sniff.js';
import { visible } from './visible.js';
import { parseSubject } from './subject.js';
import type { MailMessage, Series, SeriesSourceKind } from './types.js';

export interface LoadSeriesOptions {
  /** Repository a `A..B` range is read from (`--tree`). */
  tree?: string;
  /** Directory relative inputs are resolved against (default: process.cwd()). */
  cwd?: string;
  reporter?: Reporter;
  signal?: AbortSignal;
  /** b4 executable; default `b4`. */
  b4?: string;
  /**
   * A public-inbox archive to fetch message-ids from (`--mirror URL`, e.g. `https://lore.example.com/linux-mm`):
   * given to b4 as b4.midmask/b4.linkmask for this call only. Default: `$HMMCI_MIRROR`, else b4's own config.
   */
  mirror?: string;
}

const EXPECTED =
  "hmmci expected an mbox (lore's t.mbox, `git format-patch --stdout`), a .patch or .eml file, a folder of them, a git range A..B with --tree, or a message-id (with b4 installed)";
/** b4 am -o writes the series as *.mbx and the cover letter as *.cover. */
const PATCH_FILE = /\.(patch|eml|mbox|mbx|diff|cover)$/i;
const RANGE = /^([^\s.][^\s]*?)?\.\.\.?([^\s.][^\s]*)?$/;
const MESSAGE_ID = /^<?[^\s<>@/-][^\s<>@/]*@[^\s<>@/]+>?$/;

export type InputKind = SeriesSourceKind | 'missing';

/** What an input string names, without reading it (files win over ranges and message-ids). */
export function classifyInput(input: string, exists: (p: string) => 'file' | 'dir' | undefined): InputKind {
  const kind = exists(input);
  if (kind === 'dir') return 'folder';
  if (kind === 'file') return 'mbox';
  if (messageIdUrl(input)) return 'message-id';
  if (RANGE.test(input) && input.includes('..')) return 'range';
  if (MESSAGE_ID.test(input)) return 'message-id';
  return 'missing';
}

function statKind(p: string): 'file' | 'dir' | undefined {
  try {
    const s = statSync(p);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

export async function loadSeries(input: string, opts: LoadSeriesOptions = {}): Promise<Series> {
  const cwd = opts.cwd ?? process.cwd();
  const path = resolve(cwd, input);
  const kind = classifyInput(input, (p) => statKind(resolve(cwd, p)));
  switch (kind) {
    case 'mbox':
      return finish(readMailFile(path, input), { kind: 'mbox', input }, input);
    case 'folder':
      return finish(readFolder(path, input), { kind: 'folder', input }, input);
    case 'range':
      return loadRange(input, opts);
    case 'message-id': {
      const { mails, msgid } = await b4Fetch(input, { ...opts, read: readMailFile });
      return finish(mails, { kind: 'message-id', input: msgid }, `b4's mbox for ${msgid}`);
    }
    default:
      throw new BadInputError(
        `The series input ${JSON.stringify(input)} is not a file or folder that exists, a git range (A..B) or a message-id. ${EXPECTED}.`,
      );
  }
}

/** Parse the bytes of one input file into decoded mails (BadInputError for unusable bytes). */
export function parseMailBytes(bytes: Uint8Array, name: string): MailMessage[] {
  const shape = sniffInput(bytes);
  switch (shape.kind) {
    case 'empty':
      throw new BadInputError(`${name} is empty. ${EXPECTED}.`);
    case 'gzip':
      throw new BadInputError(
        `${name} is gzip-compressed (lore's t.mbox.gz is). Unpack it first (\`gunzip -k ${name}\`) and pass the .mbox file.`,
      );
    case 'xz':
      throw new BadInputError(
        `${name} is xz-compressed. Unpack it first (\`unxz -k ${name}\`) and pass the mbox inside.`,
      );
    case 'html':
      throw new BadInputError(
        `${name} is an HTML page, not an mbox: a web page was saved instead of the raw mail. On lore, use a message's "raw" link or the thread's "mbox.gz" (or \`b4 am <message-id>\`), then pass that file.`,
      );
    case 'binary':
      throw new BadInputError(
        `${name} holds binary data (${shape.nulBytes} NUL and ${shape.controlBytes} control bytes in the first 64 KiB), not mail text. ${EXPECTED}.`,
      );
  }
  const lines = textLines(shape.text);
  const raws = [...splitMbox(lines, { unescape: isMboxrd(lines) })];
  const first = raws[0];
  if (!first || !looksLikeMail(first.lines)) {
    if (findDiffStart(lines.map((l) => l.replace(/\r$/, ''))) < 0) {
      throw new BadInputError(
        `${name} is text, but no patch was found in it: it has no mail headers (From:, Subject:, Date:) and no diff. ${EXPECTED}.`,
      );
    }
    throw new BadInputError(
      `${name} is text but not a mail or mbox: it does not start with a \`From \` line or mail headers (From:, Subject:, Date:). A bare diff cannot be applied with its author and message; make it with \`git format-patch\`. ${EXPECTED}.`,
    );
  }
  return raws
    .filter((r) => looksLikeMail(r.lines))
    .map((r, i) => decodeMessage(r, i + 1, { origin: name, binary8bit: shape.binary8bit }));
}

function readMailFile(path: string, name: string): MailMessage[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new BadInputError(`Cannot read the series file ${name}: ${(err as Error).message}.`);
  }
  return parseMailBytes(bytes, name);
}

/** Files of a folder that hold patches, ordered by N/M of their subject, then by name. */
function readFolder(dir: string, name: string): MailMessage[] {
  const files = readdirSync(dir)
    .filter((f) => PATCH_FILE.test(f) && statKind(join(dir, f)) === 'file')
    .sort();
  if (files.length === 0) {
    throw new BadInputError(`The folder ${name} has no .patch, .eml or .mbox files. ${EXPECTED}.`);
  }
  const mails = files.flatMap((f) => readMailFile(join(dir, f), join(name, f)));
  const key = (m: MailMessage) => parseSubject(m.subject).index ?? Number.MAX_SAFE_INTEGER;
  return mails
    .map((m, i) => ({ m, i }))
    .sort((a, b) => key(a.m) - key(b.m) || a.i - b.i)
    .map(({ m }, i) => ({ ...m, position: i + 1 }));
}

function finish(mails: MailMessage[], source: { kind: SeriesSourceKind; input: string }, name: string): Series {
  const series = buildSeries(mails, source);
  if (series.patches.length === 0) {
    const replies = series.warnings.filter((w) => w.kind === 'not-a-patch').length;
    const deep = mails.filter((m) => m.nestedTooDeep).length;
    throw new BadInputError(
      deep > 0
        ? visible(
            `${name} holds no patch hmmci can read: ${deep === mails.length ? (mails.length === 1 ? 'its mail is' : 'its mails are') : `${deep} of its ${mails.length} mails are`} MIME multiparts nested too deeply (more than ${MAX_MIME_DEPTH} levels), and hmmci stops reading there. Ask for the patch as a plain \`git format-patch\` mail (or an mbox from lore or b4).`,
          )
        : visible(
            `${name} holds ${mails.length} message${mails.length === 1 ? '' : 's'} but no patch${replies ? ` (${replies} ${replies === 1 ? 'is a reply or has' : 'are replies or have'} no diff)` : ''}. ${EXPECTED}; for a review thread, pass the mbox of the patch mails themselves (b4 am <message-id> writes one).`,
          ),
      { details: series.warnings.map((w) => visible(w.message)).slice(0, 5) },
    );
  }
  return series;
}

/** `A..B` of a repository: `git format-patch --stdout A..B`, base-commit A. */
async function loadRange(range: string, opts: LoadSeriesOptions): Promise<Series> {
  if (!opts.tree) {
    throw new UsageError(`The series ${range} is a git range: say which repository it is in with --tree DIR.`);
  }
  const m = /^(.*?)\.\.\.?(.*)$/.exec(range);
  const from = m?.[1] || 'HEAD';
  const to = m?.[2] || 'HEAD';
  if (from.startsWith('-') || to.startsWith('-')) {
    throw new UsageError(`The range ${range} names a revision starting with "-"; name commits, tags or branches.`);
  }
  const sha = (rev: string) => commitSha(opts.tree as string, rev, { signal: opts.signal });
  const [a, b] = [await sha(from), await sha(to)];
  if (!a || !b) {
    throw new HmmciError(
      `The range ${range} does not resolve in ${opts.tree}: ${!a ? from : to} is not a commit there. List commits with \`git -C ${opts.tree} log --oneline\`.`,
      { exitCode: ExitCode.TREE },
    );
  }
  const args = ['format-patch', '--stdout', '--no-signature', '--no-color', `--base=${a}`, `${a}..${b}`];
  let text = await git(opts.tree, args, { what: `reading the range ${range}`, signal: opts.signal }).catch(async () => {
    // --base needs A to be an ancestor of B; without it the patches are the same.
    return git(
      opts.tree as string,
      args.filter((x) => !x.startsWith('--base=')),
      { what: `reading the range ${range}`, signal: opts.signal },
    );
  });
  if (!text.trim()) {
    throw new BadInputError(
      `The range ${range} in ${opts.tree} has no commits (or only merges). Name a range with commits, e.g. v6.12..my-branch.`,
    );
  }
  if (!text.endsWith('\n')) text += '\n';
  return finish(
    parseMailBytes(Buffer.from(text, 'utf8'), `git range ${range}`),
    { kind: 'range', input: range },
    `The range ${range}`,
  );
}
