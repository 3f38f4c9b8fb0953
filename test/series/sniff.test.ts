import t from 'tap';
import { readFileSync } from 'node:fs';
import { sniffInput } from '../../src/series/sniff.js';
import { fixture } from './helpers.js';

const shape = (name: string) => sniffInput(readFileSync(fixture(name))).kind;

t.test('each malformed shape is recognised from its bytes', async (t) => {
  t.equal(shape('malformed/empty.mbox'), 'empty');
  t.equal(shape('malformed/binary-garbage.bin'), 'binary');
  t.equal(shape('malformed/benign-3.mbox.gz'), 'gzip');
  t.equal(shape('malformed/lore-page.html'), 'html');
  t.equal(shape('benign-3.mbox'), 'text');
  t.equal(shape('malformed/crlf-benign-3.mbox'), 'text');
  t.equal(sniffInput(Buffer.from('  \n\r\n')).kind, 'empty');
  t.equal(sniffInput(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0])).kind, 'xz');
});

t.test('text that is not UTF-8 is kept byte for byte (Latin-1 mails)', async (t) => {
  const s = sniffInput(Buffer.from('Subject: J\xe9r\xf4me\n', 'latin1'));
  t.match(s, { kind: 'text', binary8bit: true, text: 'Subject: J\xe9r\xf4me\n' });
});
