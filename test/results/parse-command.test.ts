import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.js';
import { fixturePath } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'hmmci-parse-cmd-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Run the CLI in-process, capturing stdout and stderr. */
function hmmci(...args: string[]): Promise<CliResult> {
  return runCli(args, { cacheDir: dir });
}

t.test('--json keeps the contract field names; exit 0 on a clean run', async (t) => {
  const r = await hmmci('parse', fixturePath('clean-58-pass.log'), '--json');
  t.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  t.same(Object.keys(j).slice(0, 3), ['tests', 'counts', 'events']);
  t.same(j.counts, { pass: 58 });
  t.same(Object.keys(j.tests[0]).sort(), ['durationMs', 'name', 'status'].filter((k) => k in j.tests[0]).sort());
  t.equal(j.tests[0].name, 'hmm.hmm_device_private.open_close');
});

t.test('exit 1 with a crash; events carry kind, test, text and the function', async (t) => {
  const r = await hmmci('parse', fixturePath('oops-no-panic.log'), '--json');
  t.equal(r.code, 1);
  const j = JSON.parse(r.out);
  t.match(j.events, [
    {
      kind: 'oops',
      test: 'hmm.hmm_device_private.migrate_release',
      text: /^BUG: kernel NULL pointer dereference/,
      function: 'dmirror_fops_unlocked_ioctl',
    },
  ]);
});

t.test('text output: table, counts, events', async (t) => {
  const r = await hmmci('parse', fixturePath('panic-mid-suite.log'));
  t.equal(r.code, 1);
  t.match(r.out, /^CRASH\s+hmm\.hmm_device_private\.migrate_release\s+kernel oops in dmirror_fops_unlocked_ioctl/m);
  t.match(r.out, /^NOTRUN\s+hmm2\.hmm2_device_coherent\.double_map/m);
  t.match(r.out, /^58 tests: pass 14, crash 1, notrun 43$/m);
  t.match(
    r.out,
    /^2 kernel events:\n  oops in dmirror_fops_unlocked_ioctl during hmm\.hmm_device_private\.migrate_release\n    BUG: kernel NULL pointer dereference/m,
  );
  t.match(
    r.out,
    /^  panic during hmm\.hmm_device_private\.migrate_release\n    Kernel panic - not syncing: Fatal exception/m,
  );
});

t.test('unusable inputs exit 3 with one paragraph', async (t) => {
  const empty = join(dir, 'empty.log');
  writeFileSync(empty, '');
  const html = join(dir, 'page.log');
  writeFileSync(html, '<!DOCTYPE html><html><body>CI</body></html>');
  const bin = join(dir, 'bin.log');
  writeFileSync(bin, Buffer.alloc(4096));
  const prose = join(dir, 'notes.txt');
  writeFileSync(prose, 'shopping list\neggs\nmilk\n');
  for (const [file, re] of [
    [empty, /is empty/],
    [html, /HTML page/],
    [bin, /binary file/],
    [prose, /does not look like a guest console log/],
    [join(dir, 'missing.log'), /Cannot read the console log .*ENOENT/],
    [dir, /is a directory/],
  ] as const) {
    const r = await hmmci('parse', file);
    t.equal(r.code, 3, file);
    t.match(r.err, re);
    t.equal(r.out, '');
  }
});

t.test(
  'exit status contract: a kernel warning during a passing test and an xfail both exit 0; the event is still reported',
  async (t) => {
    const w = await hmmci('parse', fixturePath('warning-new-format.log'), '--json');
    t.equal(w.code, 0, w.err);
    t.match(JSON.parse(w.out).events, [
      { kind: 'warning', test: 'hmm.hmm_device_private.migrate', function: 'hmm_vma_walk_pmd' },
    ]);
    const xf = join(dir, 'xfail.log');
    writeFileSync(
      xf,
      readFileSync(fixturePath('clean-58-pass.log'), 'utf8').replace(
        'ok 5 hmm.hmm_device_private.anon_write_prot',
        'ok 5 hmm.hmm_device_private.anon_write_prot # XFAIL known broken',
      ),
    );
    const x = await hmmci('parse', xf, '--json');
    t.equal(x.code, 0, x.err);
    t.same(JSON.parse(x.out).counts, { pass: 57, xfail: 1 });
    const old = await hmmci('parse', fixturePath('old-harness-skip-without-name.log'));
    t.equal(old.code, 0);
    t.match(old.out, /^58 tests: pass 29, skip 29$/m);
  },
);

t.test('a log made of many runs is streamed: parser notes are capped with a count of the rest', async (t) => {
  const one = readFileSync(fixturePath('clean-58-pass.log'));
  const big = join(dir, 'many-runs.log');
  writeFileSync(big, Buffer.concat(Array.from({ length: 250 }, () => one)));
  const r = await hmmci('parse', big, '--json');
  t.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  t.same(j.counts, { pass: 58 });
  t.ok(j.diagnostics.length <= 201, `${j.diagnostics.length} notes`);
  t.match(j.diagnostics.at(-1), { message: /^… \d+ more parser notes not kept$/ });
});
