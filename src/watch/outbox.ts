/**
 * Where replies go: a Maildir (`--outbox DIR`: tmp/ then new/, the file name fixed by the reply's
 * Message-ID, so a restart never writes a second copy) or a sendmail-compatible command
 * (`--sendmail "CMD"`, the git send-email convention: CMD's words, then `-i` and the recipients;
 * the mail on standard input; never a shell).
 */
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HmmciError, UsageError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { run } from '../common/exec.js';

export interface Outbox {
  /** Deliver a reply; returns where it went. */
  send(mail: { text: string; messageId: string; recipients: string[] }): Promise<string>;
}

export class MaildirOutbox implements Outbox {
  constructor(readonly dir: string) {
    for (const sub of ['tmp', 'new', 'cur']) mkdirSync(join(dir, sub), { recursive: true });
  }

  async send(mail: { text: string; messageId: string }): Promise<string> {
    const name = `hmmci.${mail.messageId.replace(/[^A-Za-z0-9._-]/g, '_')}.${hostname().replace(/[/:]/g, '_')}`;
    const already = ['new', 'cur'].flatMap((d) =>
      readdirSync(join(this.dir, d))
        .filter((f) => f.startsWith(name))
        .map((f) => join(this.dir, d, f)),
    );
    if (already[0]) return already[0];
    const tmp = join(this.dir, 'tmp', name);
    writeFileSync(tmp, mail.text);
    const dest = join(this.dir, 'new', name);
    renameSync(tmp, dest);
    return dest;
  }
}

/** Split a command line into words (single and double quotes, backslash escapes); no shell runs it. */
export function splitCommand(cmd: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: '"' | "'" | undefined;
  let any = false;
  for (let i = 0; i < cmd.length; i++) {
    const ch = cmd[i] as string;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < cmd.length) cur += cmd[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      any = true;
    } else if (ch === '\\' && i + 1 < cmd.length) {
      cur += cmd[++i];
      any = true;
    } else if (/\s/.test(ch)) {
      if (cur || any) words.push(cur);
      cur = '';
      any = false;
    } else cur += ch;
  }
  if (quote) throw new UsageError(`--sendmail ${JSON.stringify(cmd)} has an unclosed ${quote} quote.`);
  if (cur || any) words.push(cur);
  return words;
}

/** A recipient as an argument: a bare address that cannot be read as an option. */
export function safeRecipient(addr: string): string | undefined {
  const bare = (/<([^<>]+)>/.exec(addr)?.[1] ?? addr).trim();
  return /^[A-Za-z0-9_.%+=~!#$&*/?^{|}`'][A-Za-z0-9_.%+=~!#$&*/?^{|}`'-]*@[A-Za-z0-9][A-Za-z0-9.-]*$/.test(bare)
    ? bare
    : undefined;
}

export class SendmailOutbox implements Outbox {
  private readonly argv: string[];
  constructor(readonly command: string) {
    this.argv = splitCommand(command);
    if (!this.argv.length)
      throw new UsageError(
        '--sendmail needs a command, e.g. --sendmail "/usr/sbin/sendmail" or --sendmail "msmtp -a list".',
      );
  }

  async send(mail: { text: string; messageId: string; recipients: string[] }): Promise<string> {
    const rcpt = mail.recipients.map(safeRecipient).filter((a): a is string => Boolean(a));
    if (!rcpt.length)
      throw new HmmciError(
        `The reply ${mail.messageId} has no usable recipient (${mail.recipients.join(', ') || 'none'}); it was not sent.`,
        { exitCode: ExitCode.BAD_INPUT },
      );
    const [file, ...args] = this.argv as [string, ...string[]];
    const r = await run(file, [...args, '-i', ...rcpt], { input: mail.text, timeoutMs: 120_000 });
    if (r.exitCode !== 0) {
      throw new HmmciError(
        `The sendmail command ${JSON.stringify(this.command)} failed (exit status ${r.exitCode}) for the reply ${mail.messageId}; it will be tried again on the next round.`,
        {
          exitCode: ExitCode.INFRA,
          command: r.command,
          commandExitCode: r.exitCode,
          details: (r.stderr || r.stdout).trim().split('\n').slice(-4),
        },
      );
    }
    return `${this.command} → ${rcpt.join(', ')}`;
  }
}
