import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeEvents, decodeScript } from '../../src/results/decode.js';
import { parseConsole } from '../../src/results/parser.js';
import { log } from './fixtures.js';

// Decoding itself needs a vmlinux and the tree (test-e2e/guest.test.ts does it for real); here:
// without them the events are left as they are and the reason is returned, never thrown.
t.test('no tree or no vmlinux: events untouched, a reason returned', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hmmci-decode-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = parseConsole(log('oops-no-panic.log'));
  const before = JSON.stringify(r.events);
  t.equal(decodeScript(undefined), undefined);
  t.equal(decodeScript(dir), undefined);
  t.match(await decodeEvents(r.events, { vmlinux: join(dir, 'vmlinux') }), /no scripts\/decode_stacktrace\.sh/);
  t.equal(JSON.stringify(r.events), before);
});
