/**
 * Message-id intake through the real b4 (`b4 am -o DIR ID`): which archive b4 asks (`--mirror` /
 * `$HMMCI_MIRROR`, an archive URL given as the input, else b4's own config), and what its failures
 * mean (unknown message-id, archive unreachable, b4 missing) as one paragraph each.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { onCleanup } from '../common/cleanup.js';
import { BadInputError, HmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { requireTool, run, type ExecResult } from '../common/exec.js';
import { silentReporter, type Reporter } from '../common/progress.js';
import type { MailMessage } from './types.js';

const LORE = /^https?:\/\/lore\.kernel\.org(?:\/|$)/i;
/** A message-id as b4 takes it: local@domain, no spaces, brackets or slashes, never an option. */
const BARE_ID = /^[^\s<>@/-][^\s<>@/]*@[^\s<>@/]+$/;

/** An archive URL naming a message (`https://lore.kernel.org/linux-mm/<id>/`, `…/r/<id>`, a mirror's): its parts. */
export function messageIdUrl(input: string): { msgid: string; archive: string; lore: boolean } | undefined {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const segments = url.pathname.split('/').filter(Boolean);
  const at = segments.findIndex((s) => decodeURIComponent(s).includes('@'));
  if (at < 0) return undefined;
  const msgid = decodeURIComponent(segments[at] as string).replace(/^<|>$/g, '');
  if (!BARE_ID.test(msgid)) return undefined;
  const list = segments.slice(0, at).filter((s) => s !== 'r');
  const archive = `${url.origin}/${list.join('/')}`.replace(/\/$/, '');
  return { msgid, archive, lore: LORE.test(input) };
}

export interface B4Request {
  b4?: string;
  mirror?: string;
  reporter?: Reporter;
  signal?: AbortSignal;
  /** Reads one file b4 wrote into decoded mails (load.ts's reader). */
  read: (path: string, name: string) => MailMessage[];
}

/** What b4 is pointed at: `--mirror`, `$HMMCI_MIRROR`, or a non-lore archive URL given as the input. */
export function b4Target(input: string, mirror: string | undefined): { msgid: string; archive?: string } {
  const fromUrl = messageIdUrl(input);
  const msgid = fromUrl?.msgid ?? input.trim().replace(/^<|>$/g, '');
  if (!BARE_ID.test(msgid)) {
    throw new BadInputError(
      `${JSON.stringify(input)} is not a message-id hmmci can pass to b4 (it must look like <local@domain> and not start with "-").`,
    );
  }
  const archive = mirror?.trim() || (fromUrl && !fromUrl.lore ? fromUrl.archive : undefined);
  if (archive && !/^https?:\/\/[^\s]+$/i.test(archive)) {
    throw new BadInputError(
      `The archive ${JSON.stringify(archive)} (--mirror or $HMMCI_MIRROR) is not an http(s) URL. Give the URL of a public-inbox list, e.g. https://lore.kernel.org/linux-mm.`,
    );
  }
  return { msgid, ...(archive ? { archive: archive.replace(/\/+$/, '') } : {}) };
}

/** git's environment-only config (GIT_CONFIG_COUNT): b4 reads it through `git config`, so nothing is written. */
export function b4MirrorEnv(archive: string | undefined, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (!archive) return {};
  const n = Number.parseInt(env.GIT_CONFIG_COUNT ?? '0', 10) || 0;
  const mask = `${archive}/%s`;
  return {
    GIT_CONFIG_COUNT: String(n + 2),
    [`GIT_CONFIG_KEY_${n}`]: 'b4.midmask',
    [`GIT_CONFIG_VALUE_${n}`]: mask,
    [`GIT_CONFIG_KEY_${n + 1}`]: 'b4.linkmask',
    [`GIT_CONFIG_VALUE_${n + 1}`]: mask,
  };
}

const UNREACHABLE =
  /ConnectionError|Max retries exceeded|Failed to establish a new connection|Name or service not known|Temporary failure in name resolution|Connection refused|timed out|SSLError/;

/** One paragraph for a failed `b4 am`: unknown message-id (exit 3), archive unreachable (exit 7), other. */
export function b4Failure(r: ExecResult, msgid: string, archive: string | undefined): HmmciError {
  const text = `${r.stderr}\n${r.stdout}`;
  const where = archive
    ? `the archive ${archive}`
    : "b4's configured archive (b4.midmask, default https://lore.kernel.org/all)";
  const tail = text
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .slice(-4);
  const facets = { command: r.command, commandExitCode: r.exitCode, details: tail };
  if (/message-id is not known|No messages found|Unable to find/i.test(text)) {
    return new HmmciError(
      `The message-id ${msgid} is not known to ${where}. Check the id (copy it from the mail's Message-ID header or its lore link), or point hmmci at the archive that has it with --mirror URL.`,
      { exitCode: ExitCode.BAD_INPUT, ...facets },
    );
  }
  if (UNREACHABLE.test(text)) {
    const line = /(Failed to establish[^'"(]*|Name or service not known|Connection refused|timed out)/
      .exec(text)?.[1]
      ?.trim();
    return new HmmciError(
      `b4 could not reach ${where} to fetch ${msgid}${line ? ` (${line})` : ''}. Check the network or the archive's URL, give another archive with --mirror URL (any public-inbox, e.g. a lore mirror), or download the thread's mbox and pass the file.`,
      { exitCode: ExitCode.INFRA, ...facets },
    );
  }
  return new HmmciError(
    `b4 could not fetch the series ${msgid} from ${where} (exit status ${r.exitCode}). Check the message-id and the archive, or download the thread's mbox and pass the file.`,
    { exitCode: ExitCode.BAD_INPUT, ...facets },
  );
}

/** `b4 am -o <tmp> <id>`, the .cover then the .mbx read; the temporary folder always removed. */
export async function b4Fetch(input: string, req: B4Request): Promise<{ mails: MailMessage[]; msgid: string }> {
  const bin = req.b4 ?? 'b4';
  const { msgid, archive } = b4Target(input, req.mirror ?? process.env.HMMCI_MIRROR);
  requireTool(
    bin,
    `the series ${input} is a message-id, which hmmci fetches with \`b4 am\` (or download the thread yourself from https://lore.kernel.org/r/${msgid}/t.mbox.gz and pass the unpacked file)`,
  );
  // b4 0.12 crashes when the -o folder does not exist: it is made first.
  const dir = mkdtempSync(join(tmpdir(), 'hmmci-b4-'));
  const unregister = onCleanup(`b4 output ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  const stage = (req.reporter ?? silentReporter).stage('series: b4 am', msgid);
  try {
    const env = { ...process.env, ...b4MirrorEnv(archive) };
    const r = await run(bin, ['--no-stdin', 'am', '--no-cache', '-o', dir, msgid], {
      env,
      signal: req.signal,
      timeoutMs: 5 * 60_000,
    });
    if (r.exitCode !== 0) {
      stage.fail();
      throw b4Failure(r, msgid, archive);
    }
    const files = readdirSync(dir).sort();
    const picked = [
      ...files.filter((f) => f.endsWith('.cover')),
      ...files.filter((f) => f.endsWith('.mbx') || f.endsWith('.mbox')),
    ];
    if (picked.length === 0) {
      stage.fail();
      const said = (r.stderr || r.stdout).trim().split('\n').filter(Boolean).slice(-3);
      throw new BadInputError(
        `b4 am ${msgid} wrote no patch series (it wrote: ${files.join(', ') || 'nothing'}): the thread has no patches b4 recognises. Is ${msgid} the message-id of a patch or cover letter?`,
        { details: said },
      );
    }
    const mails = picked.flatMap((f) => req.read(join(dir, f), `b4 am ${msgid} (${basename(f)})`));
    stage.done(`${picked.length} file(s)${archive ? ` from ${archive}` : ''}`);
    return { mails, msgid };
  } finally {
    unregister();
    rmSync(dir, { recursive: true, force: true });
  }
}
