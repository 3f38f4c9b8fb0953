import t from 'tap';
import { join } from 'node:path';
import { MIGRATIONS, openHistory } from '../../src/history/index.js';
import { scratchDir } from '../helpers/scratch.js';

const file = () => join(scratchDir('hmmci-hist-db-'), 'history.sqlite');

t.test('a new database is created in WAL mode at the latest schema version; reopening migrates nothing', async (t) => {
  const f = file();
  const db = openHistory(f);
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  t.ok((db.pragma('busy_timeout', { simple: true }) as number) >= 1000, 'writers wait for each other');
  db.close();
  const again = openHistory(f);
  t.equal(again.pragma('user_version', { simple: true }), MIGRATIONS.length);
  again.close();
});

t.test('a database from a newer hmmci, or a read-only open of an old one, is refused with what to do', async (t) => {
  const f = file();
  const db = openHistory(f);
  db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
  db.close();
  t.throws(() => openHistory(f), {
    exitCode: 3,
    message: /schema version \d+, newer than this hmmci knows \(\d+\).*hmmci history import/s,
  });
  t.throws(() => openHistory(join(scratchDir('hmmci-hist-none-'), 'history.sqlite'), { readonly: true }), {
    exitCode: 3,
    message: /hmmci history import/,
  });
});
