import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheLayout } from '../../src/common/cache.js';
import { loadRunPageData, matrixRows, renderRunReport, reproduceCommand, shellQuote } from '../../src/web/index.js';
import { runCli } from '../helpers/cli.js';
import { record } from '../report/records.js';
import { HOSTILE_AUTHOR, writeRunDir } from './web-fixtures.js';
import { scratchDir } from '../helpers/scratch.js';

const SNAPSHOT = 'hmm2.hmm2_device_coherent.snapshot';

t.test('the matrix has all 58 cases, k/N over reruns, and the labels', async (t) => {
  const rows = matrixRows(
    record('baseline-58-pass', ['patched-coherent-remote-snapshot-fails', 'patched-coherent-remote-snapshot-fails']),
  );
  t.equal(rows.length, 58);
  t.match(
    rows.find((r) => r.name === SNAPSHOT),
    { label: 'regression', pass: 0, total: 2 },
  );
  t.equal(rows.filter((r) => r.label).length, 1);
  const flaky = matrixRows(record('baseline-58-pass', ['patched-migrate-multiple-fails-once', 'baseline-58-pass']));
  t.match(
    flaky.find((r) => r.label === 'flaky'),
    { pass: 1, total: 2 },
  );
  const thp = matrixRows(record('baseline-thp-always-4-fail-per-variant', ['baseline-58-pass']));
  t.equal(thp.filter((r) => r.label === 'fixed').length, 8);
  const oops = matrixRows(
    record('baseline-58-pass', ['patched-oops-in-migrate-vma-collect-pmd', 'patched-oops-in-migrate-vma-collect-pmd']),
  );
  t.ok(oops.some((r) => r.label === 'not run'));
});

t.test('repeat counts from hmm-tests (issue 16) give k/N when present', async (t) => {
  const r = record('baseline-58-pass', ['patched-migrate-multiple-fails-once']);
  const first = r.patched?.tests[0] as unknown as { repeat?: { pass: number; total: number } };
  first.repeat = { pass: 7, total: 10 };
  t.match(matrixRows(r)[0], { pass: 7, total: 10 });
});

t.test('the reproduce command quotes what a mail could put in it', async (t) => {
  t.equal(shellQuote("<a'b@c>"), `'<a'\\''b@c>'`);
  t.equal(shellQuote('CONFIG_X=y'), 'CONFIG_X=y');
  const r = record('baseline-58-pass', ['baseline-58-pass'], {
    config: {
      fragments: ['base-x86_64-qemu.config', 'hmm.config', 'debug.config'],
      extra: ['CONFIG_KASAN=y'],
      configHash: 'x',
    },
  });
  t.equal(
    reproduceCommand(r),
    `hmmci run ${r.artifacts.series} --base ${r.series.base} --kconfig debug.config --config CONFIG_KASAN=y`,
  );
});

t.test('report --html: one self-contained page, changes first, hostile mail text shown as text', async (t) => {
  const root = scratchDir('hmmci-html-');
  const cache = cacheLayout(root);
  const r = writeRunDir(cache.runs, {
    id: '20261121-102300-hostile-1a2b',
    createdAt: '2026-11-21T10:23:00.000Z',
    hostile: true,
  });
  const out = join(root, 'report.html');
  const res = await runCli(['report', r.id, '--html', out], { cacheDir: root });
  t.equal(res.code, 1, 'the run regressed: report exits as the run did');
  const page = readFileSync(out, 'utf8');
  t.notMatch(page, /<script>alert/, 'no script from the mail');
  t.notMatch(page, /<img src=x/);
  t.notMatch(page, /\x1b/, 'no raw escape character');
  t.match(page, '&lt;script>alert(&quot;pwned&quot;)&lt;/script>', 'markup from the mail is escaped text');
  t.match(page, '\\x1b]0;owned\\x07', 'the terminal escape is shown, visibly');
  t.match(page, '\\u{202e}evil');
  t.equal((page.match(/<script/g) ?? []).length, 1, "only the page's own search script");
  t.notMatch(page, /(src|href)="https?:/, 'nothing fetched from the network');
  t.match(page, /http-equiv="Content-Security-Policy"/);
  t.ok(
    page.indexOf('id="changes"') < page.indexOf('id="series"') &&
      page.indexOf('id="series"') < page.indexOf('id="matrix"'),
    'changes first',
  );
  t.match(page, /All cases \(58\)/);
  t.match(page, 'data:text/plain;charset=utf-8;base64,', 'the .config is downloadable from the page');
  t.match(page, 'Reviewed-by: Rev &lt;script>x&lt;/script> &lt;rev@example.org>', 'trailers from the kept mbox');
  t.match(page, HOSTILE_AUTHOR.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;'));
  t.match(page, /gcc \(Debian 12\.2\.0-14\) 12\.2\.0/);
  t.match(page, /QEMU emulator version 7\.2\.19/);
  t.match(page, /<svg[^>]*aria-label="time per stage"/);
  t.match(page, /data-logsearch="log-patched-console"/);
  t.match(page, /hmmci run \S+series\.mbox --base a3c5f2b0e1d4/);
});

t.test('a 50 MB console log: the page keeps its head and tail and names the whole log', async (t) => {
  const root = scratchDir('hmmci-html-big-');
  const r = writeRunDir(cacheLayout(root).runs, {
    id: 'big',
    createdAt: '2026-11-21T10:23:00.000Z',
    patched: ['patched-coherent-remote-snapshot-fails'],
    consoleBytes: 50 * 1024 * 1024,
  });
  const page = renderRunReport(await loadRunPageData(r));
  t.ok(page.length < 6 * 1024 * 1024, `page is ${(page.length / 1048576).toFixed(1)} MiB`);
  t.match(page, /bytes of this log left out of the page; the whole log is \S+patched\.console\.log/);
  t.match(page, '# FAIL hmm2.hmm2_device_coherent.snapshot', 'the end of the log is there');
  t.match(page, 'Linux version 6.12.117', 'so is its start');
});
