import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheLayout } from '../../src/common/cache.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { parseVariant } from '../../src/cli/commands/run.js';
import { kernelConfigsDir } from '../../src/kconfig/key.js';
import { createRunDir, writeRecord } from '../../src/run/run-dir.js';
import { record } from '../report/records.js';
import { scratchDir } from '../helpers/scratch.js';

/** Run the CLI in-process, capturing stdout. */
function cli(args: string[]): Promise<CliResult> {
  return runCli(args);
}

function cacheWithRuns() {
  const root = scratchDir('hmmci-cli-');
  const cache = cacheLayout(root);
  const mk = (input: string, base: string, patched: string[], when: number) => {
    const rd = createRunDir(cache, input, new Date(Date.UTC(2026, 10, 21, 10, when)));
    const r = record(base, patched, {
      id: rd.id,
      runDir: rd.dir,
      artifacts: { ...record(base, patched).artifacts, dir: rd.dir },
    });
    writeRecord(rd.dir, r);
    return rd.id;
  };
  const clean = mk('benign-3.mbox', 'baseline-58-pass', ['baseline-58-pass'], 0);
  const broken = mk(
    'break-test-at-2.mbox',
    'baseline-58-pass',
    ['patched-coherent-remote-snapshot-fails', 'patched-coherent-remote-snapshot-fails'],
    1,
  );
  return { root, clean, broken };
}

t.test('hmmci runs lists past runs newest first', async (t) => {
  const { root, clean, broken } = cacheWithRuns();
  const r = await cli(['--cache-dir', root, 'runs']);
  t.equal(r.code, 0);
  const lines = r.out.trim().split('\n');
  t.match(lines[0], new RegExp(`^${broken}\\s+exit 1\\s+regressed: 1 regression\\s+\\[PATCH`));
  t.match(lines[1], new RegExp(`^${clean}\\s+exit 0\\s+nothing regressed`));
  const j = await cli(['--cache-dir', root, 'runs', '--json']);
  t.same(
    JSON.parse(j.out).map((x: { id: string }) => x.id),
    [broken, clean],
  );
  const empty = await cli(['--cache-dir', scratchDir('hmmci-cli-'), 'runs']);
  t.match(empty.out, /^No runs in .* yet\./);
});

t.test('hmmci report renders a past run again and exits with its status', async (t) => {
  const { root, broken, clean } = cacheWithRuns();
  const term = await cli(['--cache-dir', root, 'report', 'break-test']);
  t.equal(term.code, 1);
  t.match(term.out, /REGRESSION\s+hmm2\.hmm2_device_coherent\.snapshot\s+pass\s+fail,fail/);
  const last = await cli(['--cache-dir', root, 'report']);
  t.match(last.out, new RegExp(`hmmci run ${broken}:`), 'defaults to the last run');
  const json = await cli(['--cache-dir', root, 'report', clean, '--json']);
  t.equal(json.code, 0);
  t.same(JSON.parse(json.out).regressions, []);
  const junit = await cli(['--cache-dir', root, 'report', broken, '--junit']);
  t.match(junit.out, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites /);
  const file = join(root, 'reply.txt');
  const mail = await cli([
    '--cache-dir',
    root,
    'report',
    clean,
    '--mail',
    file,
    '--tested-by',
    'Dana Tester <dana@example.org>',
  ]);
  t.equal(mail.code, 0);
  t.match(readFileSync(file, 'utf8'), /\nTested-by: Dana Tester <dana@example\.org>\n/);
  t.match(mail.out, /hmmci run .*: nothing regressed/, 'the terminal report still prints');
  const kcidb = await cli(['--cache-dir', root, 'report', broken, '--kcidb']);
  t.same(JSON.parse(kcidb.out).version, { major: 5, minor: 0 });
});

t.test('bad references and conflicting formats are clear errors', async (t) => {
  const { root } = cacheWithRuns();
  const missing = await cli(['--cache-dir', root, 'report', 'nope']);
  t.equal(missing.code, 3);
  t.match(missing.err, /No run "nope" in .*hmmci runs/);
  const two = await cli(['--cache-dir', root, 'report', 'last', '--json', '--junit']);
  t.equal(two.code, 2);
  t.match(two.err, /Only one format can go to standard output/);
});

t.test('--variant specs', async (t) => {
  t.same(parseVariant('thp:CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS=y', ['a.config']), {
    name: 'thp',
    fragments: ['a.config'],
    extra: ['CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS=y'],
  });
  const frag = join(scratchDir('hmmci-variant-'), 'kasan.config');
  writeFileSync(frag, 'CONFIG_KASAN=y\n');
  t.same(parseVariant(`kasan:${frag},CONFIG_KASAN_INLINE=y`, []), {
    name: 'kasan',
    fragments: [frag],
    extra: ['CONFIG_KASAN_INLINE=y'],
  });
  t.same(
    parseVariant('debug', ['a.config']),
    { name: 'debug', fragments: ['a.config', join(kernelConfigsDir(), 'debug.config')], extra: [] },
    'a named variant',
  );
  t.throws(() => parseVariant('empty:', []), { message: /names no variant, fragment or CONFIG_ option/ });
  t.throws(() => parseVariant('kasan:no-such.config', []), {
    message: /"no-such.config" is neither a named variant \(debug[,)]/,
  });
});

t.test('hmmci run checks its arguments before building anything', async (t) => {
  const r = await cli(['--cache-dir', scratchDir('hmmci-cli-'), 'run', 'x.mbox', '--reruns', 'two']);
  t.equal(r.code, 2);
  t.match(r.err, /--reruns wants a whole number/);
});
