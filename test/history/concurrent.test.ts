import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { MIGRATIONS, openHistory } from '../../src/history/index.js';

const writer = fileURLToPath(new URL('./concurrent-writer.ts', import.meta.url));

t.test('parallel processes writing runs at once: every run lands, the database stays intact', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'hmmci-hist-conc-')), 'history.sqlite');
  const writers = 4;
  const each = 15;
  // Each process opens (and, the first time, creates and migrates) the same new database.
  const procs = Array.from({ length: writers }, (_, w) =>
    execa(process.execPath, ['--import=tsx', writer, file, String(w), String(each), String(writers)], {
      reject: false,
    }),
  );
  const done = await Promise.all(procs);
  for (const p of done) t.equal(p.exitCode, 0, p.stderr);
  const db = openHistory(file);
  t.teardown(() => db.close());
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(db.prepare('SELECT count(*) FROM jobs').pluck().get(), writers * each);
  t.equal(db.prepare('SELECT count(*) FROM results').pluck().get(), writers * each * 58 * 2);
  t.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length, 'migrated once');
  const overlapped = done.map((p) => JSON.parse(p.stdout) as { start: number; end: number });
  const starts = overlapped.map((o) => o.start);
  const ends = overlapped.map((o) => o.end);
  t.ok(Math.max(...starts) < Math.min(...ends), 'the writers really ran at the same time');
});
