import t from 'tap';
import {
  decodeBytes,
  decodeEncodedWords,
  encodeHeaderValue,
  isoDate,
  normalizeAddress,
  normalizeMessageId,
  parseHeaders,
  header,
} from '../../src/series/headers.js';

t.test('folded headers are unfolded; names are case-insensitive', async (t) => {
  const h = parseHeaders([
    'Subject: [PATCH 1/3] mm/hmm: document the restart address in struct',
    ' hmm_vma_walk',
    'message-id: <a@b>',
    '',
    'body',
  ]);
  t.equal(header(h, 'subject'), '[PATCH 1/3] mm/hmm: document the restart address in struct hmm_vma_walk');
  t.equal(header(h, 'Message-ID'), '<a@b>');
  t.equal(h.bodyStart, 4);
});

t.test('RFC 2047: Q and B words, adjacent words joined, unknown charset kept readable', async (t) => {
  t.equal(
    decodeEncodedWords('=?UTF-8?q?Thomas=20Hellstr=C3=B6m?= <thomas.hellstrom@linux.intel.com>'),
    'Thomas Hellström <thomas.hellstrom@linux.intel.com>',
  );
  t.equal(decodeEncodedWords('=?UTF-8?Q?Thomas_Hellstr=C3=B6m?='), 'Thomas Hellström');
  t.equal(decodeEncodedWords('=?UTF-8?B?RGFuYSBNw61ycm9y?='), 'Dana Mírror');
  t.equal(
    decodeEncodedWords('=?UTF-8?q?=5BPATCH=5D_lib/test=5Fhmm=3A_log_rel?= =?UTF-8?q?eased?='),
    '[PATCH] lib/test_hmm: log released',
  );
  t.equal(decodeEncodedWords('=?iso-8859-1?q?J=E9r=F4me?='), 'Jérôme');
  t.equal(decodeEncodedWords('plain text'), 'plain text');
});

t.test('addresses, message-ids, dates', async (t) => {
  t.equal(normalizeAddress('"Gunthorpe, Jason" <jgg@nvidia.com>'), 'Gunthorpe, Jason <jgg@nvidia.com>');
  t.equal(normalizeAddress('jgg@nvidia.com (Jason Gunthorpe)'), 'Jason Gunthorpe <jgg@nvidia.com>');
  t.equal(
    normalizeMessageId(' <20241015111322.97514-1-thomas.hellstrom@linux.intel.com> '),
    '20241015111322.97514-1-thomas.hellstrom@linux.intel.com',
  );
  t.equal(isoDate('Tue, 15 Oct 2024 13:13:22 +0200'), '2024-10-15T11:13:22.000Z');
  t.equal(isoDate('not a date'), undefined);
});

t.test('header values for git am: ASCII unchanged, names with accents Q-encoded and decodable', async (t) => {
  t.equal(encodeHeaderValue('Dana Mirror <dana.mirror@example.org>'), 'Dana Mirror <dana.mirror@example.org>');
  const enc = encodeHeaderValue('Thomas Hellström <thomas.hellstrom@linux.intel.com>');
  t.match(enc, /^=\?UTF-8\?q\?[^ ]+\?= <thomas\.hellstrom@linux\.intel\.com>$/);
  t.equal(decodeEncodedWords(enc), 'Thomas Hellström <thomas.hellstrom@linux.intel.com>');
});

t.test('pipermail hides the @ of addresses: put it back', async (t) => {
  t.equal(
    normalizeAddress('thomas.hellstrom at linux.intel.com (Thomas Hellström)'),
    'Thomas Hellström <thomas.hellstrom@linux.intel.com>',
  );
  t.equal(normalizeAddress('Dana Mirror <dana at example.org>'), 'Dana Mirror <dana@example.org>');
  t.equal(normalizeAddress('Look at this <a@b.org>'), 'Look at this <a@b.org>', 'a name with " at " is left alone');
});

t.test('us-ascii and unknown charsets: UTF-8, Latin-1 only for invalid UTF-8', async (t) => {
  t.equal(decodeBytes(Buffer.from('Hellström', 'utf8'), 'US-ASCII'), 'Hellström');
  t.equal(decodeBytes(Buffer.from('Hellström', 'utf8'), 'unknown-8bit'), 'Hellström');
  t.equal(decodeBytes(Buffer.from('Hellström', 'latin1'), 'us-ascii'), 'Hellström');
});
