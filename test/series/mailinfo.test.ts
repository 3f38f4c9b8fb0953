import t from 'tap';
import {
  decodeHeader,
  fromForGit,
  identText,
  inBodyHeaders,
  mailinfoFrom,
  mailinfoSubject,
} from '../../src/series/mailinfo.js';

t.test('From values as git mailinfo reads them', async (t) => {
  const cases: Array<[string, string]> = [
    ['<a.u.thor@example.com> (A U Thor)', 'A U Thor <a.u.thor@example.com>'],
    ['A (zzz) U Thor <a.u.thor@example.com> (Comment)', 'A (zzz) U Thor (Comment) <a.u.thor@example.com>'],
    ['"Rob \\"Bob\\" O\'Neil, Jr." <rob@example.com>', 'Rob "Bob" O\'Neil, Jr. <rob@example.com>'],
    ['rob@example.com', 'rob@example.com <rob@example.com>'],
    ['Dana   (the\n   hmm\tmirror)   Mirror\t<d@example.org>', 'Dana (the hmm mirror) Mirror <d@example.org>'],
    ['a.very.long.name.that.goes.on.and.on.and.on.for.more.than.sixty.bytes <x@y>', 'x@y <x@y>'],
    ['John Doe <johndoe>', 'John Doe <johndoe>'],
  ];
  for (const [from, want] of cases) t.equal(identText(mailinfoFrom(from)), want, from);
  t.same(mailinfoFrom('nobody'), { name: '', email: '' });
});

t.test('a From value written for git reads back as the same author', async (t) => {
  for (const id of [
    { name: 'Rob "Bob" O\'Neil, Jr.', email: 'rob@example.com' },
    { name: '(parenthesised)', email: 'p@example.com' },
    { name: 'back\\slash (x)', email: 'b@example.com' },
  ]) {
    t.same(mailinfoFrom(fromForGit(id)), id, id.name);
  }
});

t.test('subjects as git am cleans them; encoded words as git decodes them', async (t) => {
  t.equal(mailinfoSubject('Re: [PATCH v2 1/3] [mm-unstable] re: mm/hmm:  fix   it'), 'mm/hmm: fix it');
  t.equal(mailinfoSubject('[PATCH] :  mm/hmm: x'), 'mm/hmm: x');
  t.equal(mailinfoSubject('Re:'), 'Re:');
  t.equal(decodeHeader('=?UTF-8?q?caf=C3=A9?= =?UTF-8?q?_au_lait?= done'), 'café au lait done');
  t.equal(decodeHeader('plain =?ISO-8859-1?Q?Andr=E9?= Pirard'), 'plain André Pirard');
  t.equal(decodeHeader('broken =?UTF-8?q?no end'), 'broken =?UTF-8?q?no end');
});

t.test('in-body headers: after blank lines, any case, folded, each once; the rest kept', async (t) => {
  const r = inBodyHeaders('\n\nFrom: A <a@b>\nsubject: one\n  two\nFrom: again\n\nbody\n');
  t.equal(r.from, 'A <a@b>');
  t.equal(r.subject, 'one  two');
  t.equal(r.consumed, '\n\nFrom: A <a@b>\nsubject: one\n  two\n');
  t.equal(r.rest, 'From: again\n\nbody\n');
  t.same(inBodyHeaders('text\nFrom: x\n'), { consumed: '', rest: 'text\nFrom: x\n' });
  t.equal(inBodyHeaders('[PATCH] a subject line\n\nbody').subject, '[PATCH] a subject line');
});
