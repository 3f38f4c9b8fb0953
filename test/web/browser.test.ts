import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cacheLayout } from '../../src/common/cache.js';
import { importRuns, openCacheHistory, runDirsOf } from '../../src/history/index.js';
import { startServer } from '../../src/web/server.js';
import { CHROMIUM, HOSTILE_TITLE, watchedPage, writeRunDir } from './web-fixtures.js';
import { scratchDir } from '../helpers/scratch.js';

const CRASHED = 'hmm.hmm_device_private.migrate_fault';

/** A fixture history (constructed run directories over the fixture results), imported into a new database. */
function fixtureHistory() {
  const root = scratchDir('hmmci-browser-');
  const cache = cacheLayout(root);
  for (let i = 1; i <= 6; i++) {
    writeRunDir(cache.runs, {
      id: `20261120-0${i}0000-benign-${i}-aaaa`,
      createdAt: `2026-11-20T0${i}:00:00.000Z`,
      slower: i * 15,
      patched: i === 3 ? ['patched-migrate-multiple-fails-once', 'baseline-58-pass'] : ['baseline-58-pass'],
    });
  }
  writeRunDir(cache.runs, {
    id: '20261121-090000-oops-bbbb',
    createdAt: '2026-11-21T09:00:00.000Z',
    patched: ['patched-oops-in-migrate-vma-collect-pmd', 'patched-oops-in-migrate-vma-collect-pmd'],
  });
  writeRunDir(cache.runs, {
    id: '20261121-100000-hostile-cccc',
    createdAt: '2026-11-21T10:00:00.000Z',
    hostile: true,
    patched: ['baseline-58-pass'],
  });
  const db = openCacheHistory(cache);
  const res = importRuns(db, runDirsOf(cache));
  db.close();
  return { root, cache, imported: res.imported };
}

t.test(
  'in Chromium: run list → regressed run (regression row, event function) → test history; hostile text stays text',
  async (t) => {
    t.ok(existsSync(CHROMIUM), `${CHROMIUM} is installed (apt-get install chromium)`);
    const { root, cache, imported } = fixtureHistory();
    t.equal(imported, 8);
    const db = openCacheHistory(cache, { readonly: true });
    const srv = await startServer({ db, port: 0 });
    t.teardown(async () => {
      await srv.close();
      db.close();
    });
    t.match(srv.url, /^http:\/\/127\.0\.0\.1:\d+\/$/, 'loopback only');
    const { page, dialogs, requests } = await watchedPage(t);

    await page.goto(srv.url);
    t.equal(await page.locator('table.runs tbody tr').count(), 8, 'the run list shows every run');
    // The hostile subject is shown as text, and no script ran.
    const hostileCell = page.locator('tr[data-run="20261121-100000-hostile-cccc"] td a').first();
    t.match(await hostileCell.textContent(), '<script>alert("pwned")</script> \\x1b]0;owned\\x07 fix \\u{202e}evil');
    t.not(await hostileCell.textContent(), HOSTILE_TITLE);

    // Filter by status: only the regressed run is left.
    await page.selectOption('select[name="status"]', 'regressed');
    await page.click('form.filters button[type="submit"]');
    t.equal(await page.locator('table.runs tbody tr').count(), 1, 'status filter');

    await page.click('tr[data-run="20261121-090000-oops-bbbb"] td a');
    await page.waitForSelector('#changes');
    const regression = page.locator('#changes tr[data-change="REGRESSION"]');
    t.equal(await regression.count(), 1, 'one regression row');
    t.match(await regression.textContent(), CRASHED);
    const fn = await page.locator('#events .event summary .fn').first().textContent();
    t.equal(fn, 'migrate_vma_collect_pmd', "the event's function is shown");
    t.match(await page.locator('#changes').textContent(), /new event.*oops in migrate_vma_collect_pmd/s);
    t.equal(await page.locator('#matrix tbody tr').count(), 58);
    const runShot = join(root, 'run-page.png');
    await page.screenshot({ path: runShot, fullPage: false });

    // Search a collapsed log.
    await page.click('#log-patched-console-box summary');
    await page.fill('[data-logsearch="log-patched-console"] input', 'Linux version');
    t.match(await page.locator('[data-logsearch="log-patched-console"] .count').textContent(), /^1 matching line$/);

    await regression.locator('a').first().click();
    await page.waitForSelector('svg.strip');
    t.equal(await page.locator('h1').textContent(), CRASHED);
    t.equal(await page.locator('svg.strip rect').count(), 8, 'one cell per run');
    t.equal(await page.locator('svg.strip rect[data-outcome="fail"]').count(), 1);
    const testShot = join(root, 'test-page.png');
    await page.screenshot({ path: testShot, fullPage: true });

    await page.goto(`${srv.url}flaky`);
    t.match(await page.locator('table.flaky').textContent(), 'hmm.hmm_device_private.migrate_multiple');

    t.same(dialogs, [], 'no script from a mail ran');
    t.same(
      requests.filter((u) => !u.startsWith(srv.url)),
      [],
      'nothing was fetched from anywhere else',
    );
    const post = await fetch(srv.url, { method: 'POST' });
    t.equal(post.status, 405, 'read-only');
    t.comment(`screenshots: ${runShot} ${testShot}`);
    if (process.env.HMMCI_KEEP_SCREENSHOTS) t.comment('kept');
  },
);
