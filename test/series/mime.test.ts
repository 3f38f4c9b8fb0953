import t from 'tap';
import { decodeBody, decodeQuotedPrintable, parseContentType, patchAttachment } from '../../src/series/mime.js';
import { parseHeaders } from '../../src/series/headers.js';
import { splitMbox, textLines } from '../../src/series/mbox.js';
import { fixtureText } from './helpers.js';

function body(name: string): string {
  const raw = [...splitMbox(textLines(fixtureText(name)))][0]!;
  const h = parseHeaders(raw.lines);
  return decodeBody(h, raw.lines.slice(h.bodyStart));
}

t.test('quoted-printable body decodes to the 8bit original (soft breaks, =3D)', async (t) => {
  t.equal(body('malformed/quoted-printable-oops.mbox'), body('oops.mbox'));
  t.equal(decodeQuotedPrintable('a=3Db =\nc=C3=A9\n').toString('utf8'), 'a=b cé\n');
});

t.test('base64 body decodes to the 8bit original', async (t) => {
  // The encoder also took the blank lines that separated messages in the source file.
  t.equal(body('malformed/base64-hang.mbox').trimEnd(), body('hang.mbox').trimEnd());
});

t.test('multipart mail: text parts joined, the patch attachment included, HTML dropped', async (t) => {
  const lines = [
    'Content-Type: multipart/mixed; boundary="XX"',
    '',
    'preamble',
    '--XX',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'The message.',
    '--XX',
    'Content-Type: text/html',
    '',
    '<p>html</p>',
    '--XX',
    'Content-Type: text/x-patch; name="0001-x.patch"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('diff --git a/x b/x\n').toString('base64'),
    '--XX--',
  ];
  const h = parseHeaders(lines);
  t.equal(decodeBody(h, lines.slice(h.bodyStart)), 'The message.\ndiff --git a/x b/x');
  t.same(parseContentType('text/plain; charset="UTF-8"'), { type: 'text/plain', params: { charset: 'UTF-8' } });
});

t.test('8-bit Latin-1 body of a non-UTF-8 file is decoded with its charset', async (t) => {
  const lines = [
    'Content-Type: text/plain; charset=iso-8859-1',
    '',
    Buffer.from('J\xe9r\xf4me', 'latin1').toString('latin1'),
  ];
  const h = parseHeaders(lines);
  t.equal(decodeBody(h, lines.slice(h.bodyStart), true), 'Jérôme');
});

t.test('multiparts nested 3000 deep (a hostile mail) are cut, not a stack overflow', async (t) => {
  const lines = [
    'From: a@b',
    'Subject: [PATCH] x',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b0"',
    '',
  ];
  for (let i = 0; i < 3000; i++) lines.push(`--b${i}`, `Content-Type: multipart/mixed; boundary="b${i + 1}"`, '');
  lines.push('--b3000', 'Content-Type: text/plain', '', 'deep text');
  const h = parseHeaders(lines);
  t.doesNotThrow(() => decodeBody(h, lines.slice(h.bodyStart)));
  t.equal(patchAttachment(h, lines.slice(h.bodyStart)), undefined);
});
