/**
 * How many mails of a set of mail files hmmci reads as git does: author, subject and date
 * against `git mailsplit` + `git mailinfo` (test/series/git-oracle.ts). For issue 9's before/after
 * figures on git's t/t5100 mails and b4's src/tests/samples.
 *
 *   npx tsx tools/series/mailinfo-agreement.ts [--src DIR] FILE...
 *
 * --src: the src/ of another checkout (the code before a change). Prints one line per
 * disagreement and a total.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gitMailView } from '../../test/series/git-oracle.js';

const args = process.argv.slice(2);
let src = resolve(import.meta.dirname, '../../src');
if (args[0] === '--src') {
  src = resolve(args[1] ?? '');
  args.splice(0, 2);
}
const mod = async (p: string) => import(pathToFileURL(resolve(src, p)).href);
const load = await mod('series/load.ts');
const mbox = await mod('series/mbox.ts');
const headers = await mod('series/headers.ts');
const subjectMod = await mod('series/subject.ts');
const mailinfo = await mod('series/mailinfo.ts').catch(() => undefined);

let agree = 0;
let total = 0;
for (const file of args) {
  const bytes = readFileSync(file);
  const text = bytes.toString('latin1');
  const git = gitMailView(file, { mboxrd: mbox.isMboxrd(mbox.textLines(text)) });
  let ours: Array<{ from: string; subject: string; date: string }> = [];
  try {
    ours = load.parseMailBytes(bytes, file);
  } catch (err) {
    console.log(`${file}: hmmci refused it: ${(err as Error).message.slice(0, 100)}`);
  }
  git.forEach((g, i) => {
    total++;
    const m = ours[i];
    if (!m && (g.failed || !g.author)) {
      agree++; // both refuse it: git finds no author, hmmci says why it is not a mail
      return;
    }
    const subject = m
      ? mailinfo
        ? mailinfo.mailinfoSubject(m.subject)
        : subjectMod.parseSubject(m.subject).title
      : undefined;
    const date = m ? (headers.isoDate(m.date) ?? (mailinfo ? null : m.date)) : undefined;
    const diffs: string[] = [];
    if (m?.from !== g.author) diffs.push(`author ${JSON.stringify(m?.from)} vs git ${JSON.stringify(g.author)}`);
    if (subject !== g.subject) diffs.push(`subject ${JSON.stringify(subject)} vs git ${JSON.stringify(g.subject)}`);
    if (date !== g.date)
      diffs.push(`date ${JSON.stringify(date)} vs git ${JSON.stringify(g.date)} (${JSON.stringify(g.rawDate)})`);
    if (diffs.length === 0) agree++;
    else console.log(`${file} #${i + 1}: ${diffs.join('; ')}`);
  });
  if (ours.length > git.length) console.log(`${file}: hmmci read ${ours.length} mails, git ${git.length}`);
}
console.log(`agree ${agree}/${total}`);
