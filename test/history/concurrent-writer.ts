// Child process of concurrent.test.ts: writes `count` constructed jobs into the history at `file`,
// one transaction each (as `hmmci run` does), and prints when it started and ended writing.
import { openHistory, storeRecord } from '../../src/history/index.js';
import { result } from '../report/records.js';
import { job } from './history-fixtures.js';

import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const [file, worker, count, writers] = process.argv.slice(2) as [string, string, string, string];
// A barrier: every writer waits until all have opened the database, so the writes overlap.
const pass = result('baseline-58-pass');
const db = openHistory(file, { busyTimeoutMs: 30_000 });
writeFileSync(join(dirname(file), `ready-${worker}`), '');
while (readdirSync(dirname(file)).filter((f) => f.startsWith('ready-')).length < Number(writers)) await sleep(5);
const start = Date.now();
for (let i = 0; i < Number(count); i++) {
  const n = Number(worker) * 1000 + i;
  storeRecord(db, job(n, { baseline: pass, patched: [pass] }));
}
const end = Date.now();
db.close();
process.stdout.write(JSON.stringify({ start, end }));
