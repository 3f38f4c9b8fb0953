import t from 'tap';
import { cacheLayout } from '../../src/common/cache.js';
import { importRuns, openCacheHistory, runDirsOf } from '../../src/history/index.js';
import { startServer } from '../../src/web/server.js';
import { writeRunDir } from './web-fixtures.js';
import { scratchDir } from '../helpers/scratch.js';

t.test('hmmci serve: loopback, read-only, 404s that echo the request as text, the .config download', async (t) => {
  const cache = cacheLayout(scratchDir('hmmci-serve-'));
  const r = writeRunDir(cache.runs, {
    id: '20261121-102300-hostile-1a2b',
    createdAt: '2026-11-21T10:23:00.000Z',
    hostile: true,
  });
  const w = openCacheHistory(cache);
  importRuns(w, runDirsOf(cache));
  w.close();
  const db = openCacheHistory(cache, { readonly: true });
  const srv = await startServer({ db, port: 0 });
  t.teardown(async () => {
    await srv.close();
    db.close();
  });
  t.match(srv.url, /^http:\/\/127\.0\.0\.1:/);
  const home = await fetch(srv.url);
  t.equal(home.status, 200);
  t.match(home.headers.get('content-security-policy'), /default-src 'none'/);
  t.equal(home.headers.get('x-content-type-options'), 'nosniff');
  const body = await home.text();
  t.notMatch(body, /<script>alert/);
  t.match(body, '&lt;script>alert(&quot;pwned&quot;)&lt;/script>');
  const missing = await fetch(`${srv.url}tests/${encodeURIComponent('<script>alert(1)</script>')}`);
  t.equal(missing.status, 404);
  t.match(await missing.text(), 'No test &lt;script>alert(1)&lt;/script> in the history.');
  t.equal((await fetch(`${srv.url}runs/nope`)).status, 404);
  t.equal((await fetch(`${srv.url}%E0%A4%A`)).status, 404, 'a malformed escape is a 404, not a crash');
  const cfg = await fetch(`${srv.url}runs/${r.id}/config`);
  t.equal(cfg.status, 200);
  t.match(cfg.headers.get('content-disposition'), /^attachment; filename="config-20261121-102300-hostile-1a2b"$/);
  t.match(await cfg.text(), 'CONFIG_TEST_HMM=m');
  for (const method of ['POST', 'PUT', 'DELETE']) t.equal((await fetch(srv.url, { method })).status, 405, method);
  const filtered = await (await fetch(`${srv.url}?status=regressed&series=pwned&base=a3c5`)).text();
  t.match(filtered, /1 run\b/);
  const none = await (await fetch(`${srv.url}?base=ffff`)).text();
  t.match(none, /0 runs/);
});
