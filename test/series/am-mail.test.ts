import t from 'tap';
import { amMail } from '../../src/series/am-mail.js';
import { buildSeries } from '../../src/series/series.js';
import { parseMailBytes } from '../../src/series/load.js';
import { fixtureSeries } from './helpers.js';

function patch(name: string) {
  return fixtureSeries(name).patches[0]!;
}

t.test('the mail for git am: parsed headers and the decoded body; it parses back to the same patch', async (t) => {
  const p = patch('rfc-p2p-allow.mbox');
  const mail = amMail(p);
  t.match(
    mail,
    /^From 0{40} Mon Sep 17 00:00:00 2001\nFrom: =\?UTF-8\?q\?Thomas_Hellstr=C3=B6m\?= <thomas\.hellstrom@linux\.intel\.com>\nDate: Tue, 15 Oct 2024 13:13:22 \+0200\nSubject: mm\/hmm, mm\/migrate_device: Allow p2p access and p2p migration\n/,
  );
  const back = buildSeries(parseMailBytes(Buffer.from(mail), 'am'), { kind: 'mbox', input: 'am' }).patches[0]!;
  t.equal(back.author, p.author);
  t.equal(back.message, p.message);
  t.equal(back.diff, p.diff, 'exactly the diff that was checked');
});

t.test('From lines of the message are mboxrd-escaped', async (t) => {
  const mail = amMail(patch('malformed/from-escapes.mboxrd'));
  t.match(mail, /\n>From the caller's side/);
  t.match(mail, /\n>>From lines in a commit message/);
});

t.test('git am gets the whole body: every file section of the mail, even past lines the scan skips', async (t) => {
  const urn = amMail(patch('malformed/diff-urN-two-files.patch'));
  t.match(
    urn,
    /\ndiff -urN old\/lib\/test_hmm\.c new\/lib\/test_hmm\.c\n[^]*\ndiff -urN old\/mm\/hmm\.c new\/mm\/hmm\.c\n--- old\/mm\/hmm\.c\n/,
  );
  const blank = amMail(patch('malformed/blank-line-between-files.patch'));
  t.equal(blank.match(/^diff --git /gm)?.length, 3);
  t.match(blank, /\n #define _LINUX_MEMREMAP_H_\n \n\ndiff --git a\/lib\/test_hmm\.c/);
});

t.test('seriesMbox: every fixture series written back reads as the same series', async (t) => {
  const { mailFiles } = await import('./git-oracle.js');
  const { FIXTURES } = await import('./helpers.js');
  const { loadSeries } = await import('../../src/series/load.js');
  const { seriesMbox } = await import('../../src/series/am-mail.js');
  const { toSeriesJson } = await import('../../src/series/series.js');
  let n = 0;
  for (const file of mailFiles(FIXTURES)) {
    const s = await loadSeries(file).catch(() => undefined);
    if (!s) continue;
    const back = buildSeries(parseMailBytes(Buffer.from(seriesMbox(s)), 'back'), { kind: 'mbox', input: 'back' });
    t.same(toSeriesJson(back), toSeriesJson(s), `${file}: same series JSON`);
    t.same(
      back.patches.map((p) => p.diff),
      s.patches.map((p) => p.diff),
      `${file}: same diffs`,
    );
    n++;
  }
  t.ok(n > 40, `${n} series`);
});
