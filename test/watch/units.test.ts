/** The watcher's pure parts: MAINTAINERS selection, mail reading, addresses and commands, reply safety. */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { followUps, readWatchMail } from '../../src/watch/mail-meta.js';
import { SendmailOutbox, safeRecipient, splitCommand } from '../../src/watch/outbox.js';
import { headerSafe } from '../../src/watch/reply.js';
import { termSafe } from '../../src/watch/log.js';
import { entryPatterns, loadSelection, patternMatches } from '../../src/watch/select.js';
import { identityOf, seriesKeyFor } from '../../src/watch/assemble.js';
import { emptyState } from '../../src/watch/types.js';
import { MAINTAINERS } from './traffic.js';

t.test('MAINTAINERS: the HMM entry and get_maintainer.pl pattern semantics', async (t) => {
  t.same(entryPatterns(MAINTAINERS), [
    'Documentation/mm/hmm.rst',
    'include/linux/hmm*',
    'lib/test_hmm*',
    'mm/hmm*',
    'tools/testing/selftests/mm/*hmm*',
  ]);
  t.equal(entryPatterns('NOTHING\nF:\tx\n'), undefined);
  t.ok(patternMatches('mm/hmm*', 'mm/hmm.c'));
  t.notOk(patternMatches('mm/hmm*', 'mm/hmm/sub.c'), 'a glob stays at its depth');
  t.ok(patternMatches('tools/testing/selftests/mm/*hmm*', 'tools/testing/selftests/mm/hmm-tests.c'));
  t.ok(
    patternMatches('drivers/crypto/hisilicon/zip/', 'drivers/crypto/hisilicon/zip/a/b.c'),
    'a trailing / matches below',
  );
  t.ok(patternMatches('mm/migrate_device.c', 'mm/migrate_device.c'));
  t.notOk(patternMatches('mm/hmm*', 'mm/page_alloc.c'));
  const none = loadSelection(undefined);
  t.match(none.source, /hmmci's copy .* has no MAINTAINERS file/);
  t.ok(none.matches('mm/memremap.c') && none.matches('lib/test_hmm_uapi.h') && !none.matches('mm/page_alloc.c'));
  const onlyPaths = loadSelection(undefined, ['mm/page_alloc.c']);
  t.ok(onlyPaths.matches('mm/page_alloc.c') && !onlyPaths.matches('mm/memremap.c'), '--paths replaces the extra paths');
});

t.test('reading mails: kinds, versions, trailers, files', async (t) => {
  const patch = readWatchMail(
    'From: A <a@x.org>\nSubject: [RFC PATCH v3 2/5] mm/hmm: x\nMessage-ID: <p2@x>\nIn-Reply-To: <c@x>\nReferences: <v2c@x>\n\nmsg\n---\ndiff --git a/mm/hmm.c b/mm/hmm.c\n--- a/mm/hmm.c\n+++ b/mm/hmm.c\n@@ -1 +1 @@\n-a\n+b\n',
  );
  t.match(patch, {
    kind: 'patch',
    version: 3,
    index: 2,
    total: 5,
    rfc: true,
    files: ['mm/hmm.c'],
    references: ['v2c@x', 'c@x'],
  });
  t.match(readWatchMail('Subject: [PATCH v2 0/5] t\nMessage-ID: <c@x>\nFrom: a@x\n\nblurb\n'), {
    kind: 'cover',
    index: 0,
    total: 5,
    version: 2,
  });
  t.match(
    readWatchMail(
      'Subject: [PATCH RESEND] t\nMessage-ID: <r@x>\nFrom: a@x\n\ntext\n---\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n',
    ),
    { kind: 'patch', resend: true, index: 1, total: 1 },
  );
  t.same(
    followUps([
      '> Reviewed-by: Quoted <q@x>',
      'reviewed-by: Low Case <l@x>',
      'Acked-by:   Spaced <s@x>  ',
      'Signed-off-by: Not <n@x>',
    ]),
    [
      { key: 'Reviewed-by', value: 'Low Case <l@x>' },
      { key: 'Acked-by', value: 'Spaced <s@x>' },
    ],
  );
  t.match(readWatchMail('garbage without headers\n'), { problem: 'no Message-ID header' });
  t.equal(
    identityOf('Dana <dana+v2@example.org>', 'Mm/HMM:  Fix'),
    identityOf('dana@example.org', 'mm/hmm: fix'),
    'sub-addressing and case do not split a series',
  );
});

t.test('threading: a patch joins the open series of its version it replies to', async (t) => {
  const s = emptyState('x');
  s.series['c1@x v1'] = { key: 'c1@x v1', version: 1, total: 2 } as never;
  s.messages['c1@x'] = 'c1@x v1';
  const mail = (o: object) => ({ ...readWatchMail('Subject: s\nMessage-ID: <m@x>\n\n'), ...o });
  t.equal(
    seriesKeyFor(
      s,
      mail({
        kind: 'patch',
        messageId: 'p@x',
        version: 1,
        index: 2,
        total: 2,
        references: ['c1@x'],
        inReplyTo: 'c1@x',
      }),
    ),
    'c1@x v1',
  );
  t.equal(
    seriesKeyFor(
      s,
      mail({
        kind: 'patch',
        messageId: 'p@x',
        version: 2,
        index: 2,
        total: 2,
        references: ['c1@x', 'c2@x'],
        inReplyTo: 'c2@x',
      }),
    ),
    'c2@x v2',
    'v2 parts do not join v1',
  );
  t.equal(
    seriesKeyFor(
      s,
      mail({
        kind: 'patch',
        messageId: 'p1@x',
        version: 2,
        index: 1,
        total: 2,
        references: ['c1@x'],
        inReplyTo: 'c1@x',
      }),
    ),
    'p1@x v2',
    'a cover-less v2 sent in reply to v1: patch 1 is the root',
  );
});

t.test('addresses, commands and text from mail are made safe', async (t) => {
  t.same(splitCommand(`msmtp -a "list account" --read-envelope-from 'x y' a\\ b`), [
    'msmtp',
    '-a',
    'list account',
    '--read-envelope-from',
    'x y',
    'a b',
  ]);
  t.throws(() => splitCommand('sendmail "open'), /unclosed/);
  t.equal(safeRecipient('Dana <dana@example.org>'), 'dana@example.org');
  t.equal(safeRecipient('-oQ/tmp/x@evil.example'), undefined, 'an address that reads as an option never reaches argv');
  t.equal(safeRecipient('a b@example.org'), undefined);
  t.equal(headerSafe('Re: x\r\nBcc: victim@example.org'), 'Re: x Bcc: victim@example.org', 'no header injection');
  t.equal(termSafe('\u001b[31mred\u0007'), '\\x1b[31mred\\x07');
});

t.test('--sendmail: the command gets -i and the recipients as arguments, the mail on stdin, no shell', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hmmci-sendmail-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'mail');
  // A recording MTA: sh prints its arguments and stores stdin (CMD is the operator's, not the mail's).
  const box = new SendmailOutbox(`sh -c 'printf "%s\\n" "$@" > "$0.args"; cat > "$0"' ${out}`);
  const where = await box.send({
    text: 'Subject: hi\n\nbody $(touch pwned)\n',
    messageId: 'm@x',
    recipients: ['Dana <dana@example.org>', '-oX@evil', ' list@kvack.org'],
  });
  t.match(where, /dana@example\.org, list@kvack\.org/);
  t.same(readFileSync(`${out}.args`, 'utf8').trim().split('\n'), ['-i', 'dana@example.org', 'list@kvack.org']);
  t.equal(readFileSync(out, 'utf8'), 'Subject: hi\n\nbody $(touch pwned)\n');
  const failing = new SendmailOutbox('false');
  await t.rejects(
    failing.send({ text: 'x', messageId: 'm@x', recipients: ['a@b.org'] }),
    /failed \(exit status 1\).*tried again on the next round/,
  );
});

t.test('decide: a RESEND of identical patches is not tested again; settle; supersede order', async (t) => {
  const { ingest, decide, DEFAULT_LIMITS } = await import('../../src/watch/assemble.js');
  const s = emptyState('x');
  const patch = (id: string, subject: string, extra = '') =>
    readWatchMail(
      `From: A <a@x.org>\nSubject: ${subject}\nMessage-ID: <${id}>\n${extra}\ntext\n---\ndiff --git a/mm/hmm.c b/mm/hmm.c\n--- a/mm/hmm.c\n+++ b/mm/hmm.c\n@@ -1 +1 @@\n-a\n+b\n`,
    );
  const store = () => 'mail/x.eml';
  ingest(s, patch('a@x', '[PATCH] mm/hmm: fix'), 0, DEFAULT_LIMITS, store);
  const d1 = decide(s, 0, { settleMs: 1000, selects: (p) => p.startsWith('mm/hmm') });
  t.same(
    d1.map((d) => d.status),
    ['queued'],
  );
  ingest(s, patch('b@x', '[PATCH RESEND] mm/hmm: fix'), 10, DEFAULT_LIMITS, store);
  const d2 = decide(s, 10, { settleMs: 1000, selects: (p) => p.startsWith('mm/hmm') });
  t.match(d2, [{ key: 'b@x v1', status: 'skipped', reason: /the same patches as a@x v1/ }]);
  ingest(s, patch('c@x', '[PATCH v2 1/2] mm/hmm: fix'), 20, DEFAULT_LIMITS, store);
  t.same(
    decide(s, 500, { settleMs: 1000, selects: () => true }),
    [],
    'v2 is incomplete but within --settle: no decision, and it supersedes nothing yet',
  );
  t.equal(s.series['a@x v1']?.status, 'queued');
  t.match(decide(s, 1020, { settleMs: 1000, selects: () => true }), [
    { key: 'c@x v2', status: 'incomplete', reason: /missing 2\/2/ },
  ]);
});
