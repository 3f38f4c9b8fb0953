/**
 * Differential testing against the installed git (issue 9): for every fixture mail, the author,
 * subject and date hmmci reads are what `git mailsplit` + `git mailinfo` say. A new fixture is
 * checked for free. (git-am.test.ts compares the commits.)
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isoDate } from '../../src/series/headers.js';
import { parseMailBytes } from '../../src/series/load.js';
import { mailinfoSubject } from '../../src/series/mailinfo.js';
import { isMboxrd, textLines } from '../../src/series/mbox.js';
import { gitMailView, mailFiles } from './git-oracle.js';
import { FIXTURES } from './helpers.js';

t.setTimeout(300_000);

/** Where hmmci knowingly differs from git, and why (README "Differences from git am"). */
const EXCEPTIONS: Record<string, { field: 'author' | 'date'; why: string }> = {
  'malformed/attached-patch-octet-stream.eml': {
    field: 'date',
    why: "the attached format-patch mail is the patch: its own Date, not the outer mail's",
  },
  'malformed/attached-patch-x-patch.eml': {
    field: 'date',
    why: "the attached format-patch mail is the patch: its own Date, not the outer mail's",
  },
  'malformed/pipermail-separators.txt': {
    field: 'author',
    why: 'pipermail writes "x at y": hmmci puts the @ back, git finds no address',
  },
};

const files = mailFiles(FIXTURES);

t.test('author, subject and date of every fixture mail are what git mailinfo says', async (t) => {
  t.ok(files.length >= 60, `${files.length} fixture files`);
  for (const file of files) {
    const name = relative(FIXTURES, file);
    const bytes = readFileSync(file);
    const git = gitMailView(file, { mboxrd: isMboxrd(textLines(bytes.toString('latin1'))) });
    let ours;
    try {
      ours = parseMailBytes(bytes, name);
    } catch (err) {
      t.ok(
        git.every((g) => g.failed || !g.author),
        `${name}: hmmci refuses it, and so does git (${(err as Error).message.slice(0, 60)}…)`,
      );
      continue;
    }
    t.equal(ours.length, git.length, `${name}: as many mails as git mailsplit finds`);
    const exception = EXCEPTIONS[name];
    ours.forEach((m, i) => {
      const g = git[i]!;
      const got: Record<string, string | null> = {
        author: m.from,
        subject: mailinfoSubject(m.subject),
        date: isoDate(m.date) ?? null,
      };
      const want = { author: g.author, subject: g.subject, date: g.date };
      if (exception) {
        t.not(got[exception.field], want[exception.field], `${name} #${i + 1}: differs on purpose: ${exception.why}`);
        got[exception.field] = want[exception.field];
      }
      t.same(got, want, `${name} #${i + 1}`);
    });
  }
});
