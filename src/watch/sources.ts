/**
 * Where mail comes from: a public-inbox v2 mirror (`git/N.git` epochs, one commit per message with
 * the raw mail in blob `m`; new epochs appear over time) or a subscriber's Maildir (`new/`, `cur/`,
 * never modified). Each yields batches of new mails with the position after the batch; a corrupt
 * epoch or an unreadable file is reported and skipped, never fatal.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { SourcePosition } from './types.js';

export interface SourceMail {
  /** Where it came from, for the log: `0.git@<commit>` or the Maildir file name. */
  where: string;
  raw: Buffer;
}

export interface SourceProblem {
  where: string;
  reason: string;
}

export interface MailSource {
  /** What the state is keyed by (the inbox or Maildir path). */
  readonly name: string;
  /** Read everything after `position`, in batches; `onBatch` persists before the next batch is read. */
  scan(
    position: SourcePosition,
    onBatch: (mails: SourceMail[], next: SourcePosition) => Promise<void> | void,
    onProblem: (p: SourceProblem) => void,
  ): Promise<void>;
}

export const BATCH = 500;

export class PublicInboxSource implements MailSource {
  constructor(readonly name: string) {}

  epochs(): string[] {
    let names: string[];
    try {
      names = readdirSync(join(this.name, 'git'));
    } catch {
      return [];
    }
    return names.filter((n) => /^\d+\.git$/.test(n)).sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
  }

  async scan(
    position: SourcePosition,
    onBatch: (m: SourceMail[], next: SourcePosition) => Promise<void> | void,
    onProblem: (p: SourceProblem) => void,
  ): Promise<void> {
    const epochs = { ...(position.epochs ?? {}) };
    for (const epoch of this.epochs()) {
      const gitDir = join(this.name, 'git', epoch);
      const last = epochs[epoch];
      const list = await execa(
        'git',
        ['--git-dir', gitDir, 'rev-list', '--reverse', 'HEAD', ...(last ? [`^${last}`] : [])],
        { reject: false },
      );
      if (list.exitCode !== 0) {
        const empty = /unknown revision|ambiguous argument 'HEAD'/.test(list.stderr) && !last;
        if (!empty)
          onProblem({
            where: epoch,
            reason: `epoch ${epoch} cannot be read (${list.stderr.trim().split('\n')[0] ?? `git exit ${list.exitCode}`}); it is skipped this round and read again next time`,
          });
        continue;
      }
      const commits = list.stdout.split('\n').filter(Boolean);
      for (let i = 0; i < commits.length; i += BATCH) {
        const chunk = commits.slice(i, i + BATCH);
        const mails = await readBlobs(gitDir, epoch, chunk, onProblem);
        epochs[epoch] = chunk.at(-1) as string;
        await onBatch(mails, { ...position, epochs: { ...epochs } });
      }
    }
  }
}

/** `git cat-file --batch` over `<commit>:m` for each commit; deletions (no `m`) are skipped silently. */
async function readBlobs(
  gitDir: string,
  epoch: string,
  commits: string[],
  onProblem: (p: SourceProblem) => void,
): Promise<SourceMail[]> {
  const r = await execa('git', ['--git-dir', gitDir, 'cat-file', '--batch'], {
    input: commits.map((c) => `${c}:m\n`).join(''),
    encoding: 'buffer',
    reject: false,
    maxBuffer: 2 ** 31 - 1,
  });
  const out = Buffer.from(r.stdout as Uint8Array);
  const mails: SourceMail[] = [];
  let at = 0;
  for (const c of commits) {
    const nl = out.indexOf(10, at);
    if (nl < 0) {
      onProblem({
        where: `${epoch}@${c}`,
        reason: `the message of commit ${c} cannot be read (${
          Buffer.from(r.stderr as Uint8Array)
            .toString()
            .trim()
            .split('\n')[0] || 'git cat-file stopped'
        }); skipped`,
      });
      continue;
    }
    const head = out.subarray(at, nl).toString();
    const m = /^([0-9a-f]+) blob (\d+)$/.exec(head);
    if (!m) {
      at = nl + 1;
      continue; // `…:m missing`: a deletion commit (public-inbox-purge / -edit).
    }
    const size = Number(m[2]);
    mails.push({ where: `${epoch}@${c.slice(0, 12)}`, raw: out.subarray(nl + 1, nl + 1 + size) });
    at = nl + 1 + size + 1;
  }
  return mails;
}

export class MaildirSource implements MailSource {
  constructor(readonly name: string) {}

  async scan(
    position: SourcePosition,
    onBatch: (m: SourceMail[], next: SourcePosition) => Promise<void> | void,
    onProblem: (p: SourceProblem) => void,
  ): Promise<void> {
    const seen = new Set(position.maildir ?? []);
    const files: Array<{ key: string; path: string; name: string }> = [];
    for (const sub of ['new', 'cur']) {
      let names: string[];
      try {
        names = readdirSync(join(this.name, sub));
      } catch {
        continue;
      }
      for (const n of names) {
        const key = n.replace(/:2,.*$/, '');
        if (!n.startsWith('.') && !seen.has(key))
          files.push({ key, path: join(this.name, sub, n), name: `${sub}/${n}` });
      }
    }
    files.sort((a, b) => a.key.localeCompare(b.key));
    for (let i = 0; i < files.length; i += BATCH) {
      const chunk = files.slice(i, i + BATCH);
      const mails: SourceMail[] = [];
      for (const f of chunk) {
        try {
          if (statSync(f.path).size > 64 * 1024 * 1024) throw new Error('larger than 64 MiB');
          mails.push({ where: f.name, raw: readFileSync(f.path) });
          seen.add(f.key);
        } catch (err) {
          // Moved new/ → cur/ by a mail reader meanwhile: found again next round.
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          seen.add(f.key);
          onProblem({ where: f.name, reason: `cannot be read (${(err as Error).message}); skipped` });
        }
      }
      await onBatch(mails, { ...position, maildir: [...seen] });
    }
  }
}
