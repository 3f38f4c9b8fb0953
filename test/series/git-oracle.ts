/**
 * git itself as the oracle for what a mail means: `git mailsplit` + `git mailinfo -u` (what
 * `git am` runs) for the author, subject and date of every message, and `git var` (git's own
 * date parser) for the date as ISO 8601. Computed with the installed git at test time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GitMailView {
  /** `Name <email>`, or '' when git found no address (git am refuses such a mail). */
  author: string;
  subject: string;
  /** ISO 8601 (UTC) of the date git am would commit, or null when git refuses the date. */
  date: string | null;
  rawDate: string;
  /** mailinfo exited non-zero (NUL in a header, a malformed encoded word). */
  failed: boolean;
}

const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LANG: 'C', LC_ALL: 'C' };

/** git's parse_date(): the date as ISO 8601 UTC, null when git rejects it. */
export function gitDate(date: string): string | null {
  if (!date) return null;
  const r = spawnSync('git', ['var', 'GIT_AUTHOR_IDENT'], {
    env: { ...ENV, GIT_AUTHOR_NAME: 'x', GIT_AUTHOR_EMAIL: 'x@x', GIT_AUTHOR_DATE: date },
    encoding: 'utf8',
  });
  const m = / (\d+) [+-]\d{4}\n?$/.exec(r.stdout ?? '');
  return r.status === 0 && m ? new Date(Number(m[1]) * 1000).toISOString() : null;
}

/** What git mailinfo reads from each message of an mbox or mail file (split as git am splits). */
export function gitMailView(file: string, opts: { mboxrd?: boolean } = {}): GitMailView[] {
  const dir = mkdtempSync(join(tmpdir(), 'hmmci-oracle-'));
  try {
    const split = spawnSync('git', ['mailsplit', '-b', ...(opts.mboxrd ? ['--mboxrd'] : []), `-o${dir}`, file], {
      env: ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // git am refuses what mailsplit cannot split (an empty file): one refused "mail".
    if (split.status !== 0) return [{ author: '', subject: '', date: null, rawDate: '', failed: true }];
    return readdirSync(dir)
      .filter((f) => /^\d+$/.test(f))
      .sort()
      .map((f) => {
        const r = spawnSync('git', ['mailinfo', '-u', join(dir, `${f}.msg`), join(dir, `${f}.patch`)], {
          env: ENV,
          input: readFileSync(join(dir, f)),
          encoding: 'utf8',
        });
        const field = (k: string) => new RegExp(`^${k}: (.*)$`, 'm').exec(r.stdout ?? '')?.[1] ?? '';
        const name = field('Author');
        const email = field('Email');
        const rawDate = field('Date');
        return {
          author: email ? `${name ? `${name} ` : ''}<${email}>` : '',
          subject: field('Subject'),
          date: gitDate(rawDate),
          rawDate,
          failed: r.status !== 0,
        };
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * How many mails git splits `file` into, as gitMailView(file).length (one refused "mail" when
 * mailsplit fails), without running mailinfo on each: for callers that only compare the count.
 */
export async function gitMailCount(file: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'hmmci-oracle-'));
  try {
    const split = await new Promise<number | null>((resolve, reject) =>
      spawn('git', ['mailsplit', '-b', `-o${dir}`, file], { env: ENV, stdio: 'ignore' })
        .on('error', reject)
        .on('close', resolve),
    );
    if (split !== 0) return 1;
    return readdirSync(dir).filter((f) => /^\d+$/.test(f)).length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const MAIL_FILE = /\.(mbox|mboxrd|eml|patch|mbx|cover|txt|diff)$/;

/** Every mail file of a fixture folder, recursively (the tree-6.12 sources left out). */
export function mailFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) return f === 'tree-6.12' ? [] : mailFiles(p);
      return MAIL_FILE.test(f) ? [p] : [];
    });
}
