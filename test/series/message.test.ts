import t from 'tap';
import { decodeMessage, dmarcAuthor, looksLikeMail } from '../../src/series/message.js';
import { splitMbox, textLines } from '../../src/series/mbox.js';
import { parseMailBytes } from '../../src/series/load.js';
import { fixtureText } from './helpers.js';

t.test('a patch mail: decoded From, Date, Subject, Message-ID, body', async (t) => {
  const raw = [...splitMbox(textLines(fixtureText('rfc-p2p-allow.mbox')))][0]!;
  const m = decodeMessage(raw, 1, { origin: 'rfc-p2p-allow.mbox' });
  t.equal(m.from, 'Thomas Hellström <thomas.hellstrom@linux.intel.com>');
  t.equal(m.subject, '[RFC PATCH] mm/hmm, mm/migrate_device: Allow p2p access and p2p migration');
  t.equal(m.date, 'Tue, 15 Oct 2024 13:13:22 +0200');
  t.equal(m.messageId, '20241015111322.97514-1-thomas.hellstrom@linux.intel.com');
  t.equal(m.inReplyTo, undefined);
  t.match(m.body, /^Introduce a way for hmm_range_fault\(\)/);
  t.equal(m.origin, 'rfc-p2p-allow.mbox message 1');
});

t.test('a reply keeps In-Reply-To', async (t) => {
  const raw = [...splitMbox(textLines(fixtureText('rfc-p2p-allow-thread.mbox')))][1]!;
  const m = decodeMessage(raw, 2, { origin: 't.mbox' });
  t.equal(m.inReplyTo, '20241015111322.97514-1-thomas.hellstrom@linux.intel.com');
  t.equal(m.from, 'Jason Gunthorpe <jgg@nvidia.com>');
});

t.test("in-body From:/Subject:/Date: (git send-email for someone else's patch) win over the headers", async (t) => {
  const lines = [
    'From: Sender <sender@example.org>',
    'Subject: [PATCH] wrong subject',
    'Date: Mon, 2 Dec 2024 00:00:00 +0000',
    'Message-ID: <x@y>',
    '',
    'From: Real Author <author@example.org>',
    'Subject: mm/hmm: the real subject',
    '',
    'The message.',
    '---',
    'diff --git a/x b/x',
  ];
  const m = decodeMessage({ number: 1, lines }, 1, { origin: 'x.eml' });
  t.equal(m.from, 'Real Author <author@example.org>');
  t.equal(m.subject, 'mm/hmm: the real subject');
  t.equal(m.date, 'Mon, 2 Dec 2024 00:00:00 +0000');
  t.equal(m.body, 'The message.\n---\ndiff --git a/x b/x');
  // git mailinfo uses in-body headers only when the mail has a patch.
  const noPatch = decodeMessage({ number: 1, lines: lines.slice(0, -2) }, 1, { origin: 'x.eml' });
  t.equal(noPatch.from, 'Sender <sender@example.org>');
  t.equal(m.origin, 'x.eml');
});

t.test('what looks like a mail', async (t) => {
  t.ok(looksLikeMail(['Subject: x', '', 'b']));
  t.notOk(looksLikeMail(['diff --git a/x b/x', '--- a/x']));
});

t.test(
  'a format-patch mail attached (text/x-patch, application/octet-stream): the attachment is the patch',
  async (t) => {
    for (const name of ['malformed/attached-patch-x-patch.eml', 'malformed/attached-patch-octet-stream.eml']) {
      const [m] = parseMailBytes(Buffer.from(fixtureText(name)), name);
      t.equal(
        m?.from,
        'Thomas Hellström <thomas.hellstrom@linux.intel.com>',
        `${name}: the attachment's author, UTF-8 (its part says US-ASCII)`,
      );
      t.equal(m?.subject, '[PATCH] mm/hmm: touch three files');
      t.equal(m?.date, 'Sat, 21 Nov 2026 11:16:37 +0000', "the attachment's date");
      t.equal(m?.messageId, 'attach-1@example.org', "the mail's Message-ID");
      t.match(
        m?.body,
        /^Signed-off-by: Thomas Hellström <thomas\.hellstrom@linux\.intel\.com>\n---\n/,
        'no chatter, no inner headers in the message',
      );
      t.notMatch(m?.body, /mailer mangles/);
      t.match(m?.body, /diff --git a\/mm\/hmm\.c b\/mm\/hmm\.c/);
    }
  },
);

t.test('a folded in-body Subject: is still an in-body header block', async (t) => {
  const [m] = parseMailBytes(Buffer.from(fixtureText('malformed/inbody-subject-folded.patch')), 'x.patch');
  t.equal(m?.from, 'Thomas Hellström <thomas.hellstrom@linux.intel.com>', 'the in-body author, not the sender');
  t.equal(m?.subject, '[PATCH] mm/hmm: a long in-body subject that the author folded onto a second line');
  t.match(m?.body, /^Signed-off-by: Thomas Hellström/);
});

t.test('DMARC-rewritten From: the author comes back from X-Original-From or a matching Reply-To', async (t) => {
  const via = 'Jane Doe via dri-devel <dri-devel@lists.freedesktop.org>';
  const hdr = (fields: Record<string, string>) => (n: string) => fields[n];
  t.equal(dmarcAuthor(via, hdr({ 'x-original-from': 'Jane Doe <jane@example.org>' })), 'Jane Doe <jane@example.org>');
  t.equal(dmarcAuthor(via, hdr({ 'reply-to': 'Jane Doe <jane@example.org>' })), 'Jane Doe <jane@example.org>');
  t.equal(
    dmarcAuthor(via, hdr({ 'reply-to': 'dri-devel <dri-devel@lists.freedesktop.org>' })),
    via,
    'a Reply-To of someone else is not the author',
  );
  t.equal(
    dmarcAuthor('Jane Doe <jane@example.org>', hdr({ 'reply-to': 'X <x@y.org>' })),
    'Jane Doe <jane@example.org>',
  );
  const raw = [
    ...splitMbox(
      textLines(
        [
          'From: Jane Doe via dri-devel <dri-devel@lists.freedesktop.org>',
          'X-Original-From: Jane Doe <jane@example.org>',
          'Subject: [PATCH] x',
          '',
          'body',
        ].join('\n'),
      ),
    ),
  ][0]!;
  t.equal(decodeMessage(raw, 1, { origin: 'x' }).from, 'Jane Doe <jane@example.org>');
});
