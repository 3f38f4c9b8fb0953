import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSeries } from '../../src/series/load.js';
import { mboxOf } from '../../src/run/real-stages.js';

const FIXTURES = new URL('../../fixtures/series/', import.meta.url).pathname;

t.test('the series mbox kept in a run directory reads back as the same series (mboxrd, From lines escaped)', async (t) => {
  for (const input of ['folder-v3-5', 'malformed/from-escapes.mboxrd', 'benign-3.mbox']) {
    const s = await loadSeries(join(FIXTURES, input));
    const file = join(mkdtempSync(join(tmpdir(), 'hmmci-mbox-')), 'series.mbox');
    writeFileSync(file, mboxOf(s));
    const back = await loadSeries(file);
    t.same(back.patches.map((p) => p.subject), s.patches.map((p) => p.subject), `${input}: subjects`);
    t.same(back.patches.map((p) => p.body), s.patches.map((p) => p.body), `${input}: bodies as git am gets them`);
    t.same(back.cover?.subject, s.cover?.subject, `${input}: cover`);
    t.same(back.patches.map((p) => [p.author, p.messageId, p.index, p.total]), s.patches.map((p) => [p.author, p.messageId, p.index, p.total]), `${input}: authors, ids, numbering`);
  }
});
