import t from 'tap';
import { isFromLine, isMboxrd, splitMbox, textLines } from '../../src/series/mbox.js';
import { fixtureText } from './helpers.js';

t.test('git format-patch output splits at each From_ line (cover + 3 patches)', async (t) => {
  const msgs = [...splitMbox(textLines(fixtureText('benign-3.mbox')))];
  t.equal(msgs.length, 4);
  t.match(msgs[0]?.envelope, /^From 41eee45221348375bf42cda5e8168887245eda0b Mon Sep 17 00:00:00 2001$/);
  t.equal(
    msgs[1]?.lines[0],
    'Message-Id: <2f1237ee6ede108d7bed1b3a513619dd0c67f8f4.1795256698.git.dana.mirror@example.org>',
  );
  t.notOk(
    msgs.some((m) => m.lines[m.lines.length - 1] === ''),
    'the blank line before the next From_ is not part of a message',
  );
});

t.test("lore's mboxrd From_ line separates messages; replies follow the patch", async (t) => {
  const msgs = [...splitMbox(textLines(fixtureText('rfc-p2p-allow-thread.mbox')))];
  t.equal(msgs.length, 3);
  t.equal(msgs[0]?.envelope, 'From mboxrd@z Thu Jan  1 00:00:00 1970');
});

t.test('>From escapes lose one > (mboxrd); a From line without a date is text', async (t) => {
  const msgs = [...splitMbox(textLines(fixtureText('malformed/from-escapes.mboxrd')))];
  t.equal(msgs.length, 1);
  const lines = msgs[0]!.lines;
  t.ok(lines.includes("From the caller's side nothing else is needed: mmap_lock held for read"));
  t.ok(lines.includes('>From lines in a commit message are escaped by mboxrd writers.'));
  t.notOk(isFromLine("From the caller's side nothing else is needed"));
  t.ok(isFromLine('From mboxrd@z Thu Jan  1 00:00:00 1970'));
});

t.test('CRLF line endings become LF', async (t) => {
  const crlf = [...splitMbox(textLines(fixtureText('malformed/crlf-benign-3.mbox')))];
  const lf = [...splitMbox(textLines(fixtureText('benign-3.mbox')))];
  t.same(crlf, lf);
});

t.test('a mail without envelope (a .patch file body, an .eml) is one message', async (t) => {
  const msgs = [...splitMbox(['From: A <a@example.org>', 'Subject: [PATCH] x', '', 'body'])];
  t.equal(msgs.length, 1);
  t.equal(msgs[0]?.envelope, undefined);
});

t.test('splitting is lazy: the first message comes out before the input ends', async (t) => {
  function* lines() {
    yield 'From x Mon Sep 17 00:00:00 2001';
    yield 'Subject: one';
    yield 'From y Mon Sep 17 00:00:00 2001';
    throw new Error('read past the second separator too early');
  }
  const it = splitMbox(lines());
  t.equal(it.next().value?.lines[0], 'Subject: one');
});

t.test('>From is unescaped only in an mboxrd (From mboxrd@z separator or >>From evidence)', async (t) => {
  const plain = [
    'From 4d4fa424d6b8604cd45374bd2defca367c645e12 Mon Sep 17 00:00:00 2001',
    'From: A <a@x>',
    'Subject: [PATCH] x',
    '',
    '>From a quote in plain format-patch output',
    '',
  ];
  t.notOk(isMboxrd(plain));
  t.equal(
    [...splitMbox(plain, { unescape: isMboxrd(plain) })][0]?.lines[3],
    '>From a quote in plain format-patch output',
  );
  const lore = ['From mboxrd@z Thu Jan  1 00:00:00 1970', ...plain.slice(1)];
  t.ok(isMboxrd(lore));
  t.equal([...splitMbox(lore, { unescape: isMboxrd(lore) })][0]?.lines[3], 'From a quote in plain format-patch output');
  t.ok(isMboxrd(textLines(fixtureText('malformed/from-escapes.mboxrd'))), '>>From lines are evidence');
});
