/** Raw mails of series being assembled, kept under the state directory until the series is done. */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SeriesEntry } from './types.js';

export class MailStore {
  constructor(readonly dir: string) {}

  /** Store a raw mail under a name derived from its Message-ID (a re-read overwrites, never duplicates). */
  put(messageId: string, raw: Uint8Array): string {
    const name = `mail/${createHash('sha1').update(messageId).digest('hex')}.eml`;
    mkdirSync(join(this.dir, 'mail'), { recursive: true });
    writeFileSync(join(this.dir, name), raw);
    return name;
  }

  read(file: string): Buffer {
    return readFileSync(join(this.dir, file));
  }

  /** The series as an mboxrd (cover first, then 1..N), the input `hmmci run` is given. */
  writeMbox(s: SeriesEntry): string {
    const parts = [s.cover, ...Array.from({ length: s.total }, (_, i) => s.parts[String(i + 1)])].filter(
      (p) => p !== undefined,
    );
    const text = parts
      .map((p) => {
        const body = this.read(p.file)
          .toString('utf8')
          .replace(/^From (?!:)[^\n]*\n/, '')
          .replace(/\r\n/g, '\n')
          .replace(/^(>*From )/gm, '>$1');
        return `From mboxrd@z Thu Jan  1 00:00:00 1970\n${body.endsWith('\n') ? body : `${body}\n`}`;
      })
      .join('\n');
    const file = this.mboxPathOf(s);
    mkdirSync(join(this.dir, 'series'), { recursive: true });
    writeFileSync(file, text);
    return file;
  }

  /** `<title slug>-vN-<hash>.mbox`: the run id (and so the run directory) carries the slug and hash. */
  mboxPathOf(s: SeriesEntry): string {
    const slug =
      s.title
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 22)
        .replace(/-+$/, '') || 'series';
    return join(
      this.dir,
      'series',
      `${slug}-v${s.version}-${createHash('sha1').update(s.key).digest('hex').slice(0, 8)}.mbox`,
    );
  }

  /** Remove a finished series' stored mails. */
  drop(s: SeriesEntry): void {
    for (const p of [s.cover, ...Object.values(s.parts)]) if (p) rmSync(join(this.dir, p.file), { force: true });
  }
}
