import t from 'tap';
import { parseSubject } from '../../src/series/subject.js';

t.test('prefixes kernel series use', async (t) => {
  t.match(parseSubject('[PATCH] mm/hmm: x'), {
    title: 'mm/hmm: x',
    isPatchTagged: true,
    rfc: false,
    index: undefined,
    version: undefined,
  });
  t.match(parseSubject('[RFC PATCH] mm/hmm, mm/migrate_device: Allow p2p access and p2p migration'), {
    title: 'mm/hmm, mm/migrate_device: Allow p2p access and p2p migration',
    rfc: true,
  });
  t.match(parseSubject('[PATCH v3 2/5] mm/hmm: y'), { version: 3, index: 2, total: 5, title: 'mm/hmm: y' });
  t.match(parseSubject('[PATCH mm-unstable 0/4] cover'), { index: 0, total: 4, tags: ['mm-unstable'] });
  t.match(parseSubject('[PATCHv2 01/10] z'), { version: 2, index: 1, total: 10 });
  t.match(parseSubject('[PATCH RESEND v2 3/3] z'), { resend: true, version: 2, index: 3 });
  t.match(parseSubject('[RFC] [PATCH 1/2] z'), { rfc: true, index: 1, total: 2, prefix: '[RFC] [PATCH 1/2]' });
});

t.test('replies are recognised', async (t) => {
  t.match(parseSubject('Re: [RFC PATCH] mm/hmm, mm/migrate_device: Allow p2p access and p2p migration'), {
    isReply: true,
    rfc: true,
  });
  t.match(parseSubject('RE: Re: [PATCH 2/5] x'), { isReply: true, index: 2 });
  t.match(parseSubject('Fwd: [PATCH] x'), { isReply: false, title: 'x' });
});

t.test('point versions: [PATCH v2.1 03/12] and [PATCHv2.1] are 2.1', async (t) => {
  t.match(parseSubject('[PATCH v2.1 03/12] lib/test_hmm: add test_hmm_new.c'), { version: 2.1, index: 3, total: 12 });
  t.match(parseSubject('[PATCHv2.1] x'), { version: 2.1 });
});
