import t from 'tap';
import { readFileSync } from 'node:fs';
import { consoleLines } from '../../src/results/line-stream.js';
import { RepeatParser } from '../../src/guest/repeat-parser.js';
import { aggregateRuns } from '../../src/guest/repeat.js';
import { completeRuns } from '../../src/guest/test-kernel.js';
import { planShards, mergeShards } from '../../src/guest/shards.js';
import { parseConsole } from '../../src/results/parser.js';
import { fixturePath } from '../results/fixtures.js';

const clean = readFileSync(fixturePath('clean-58-pass.log'), 'utf8');
const lines = clean.split('\n').map((l) => l.replace(/\r$/, ''));
const start = lines.findIndex((l) => l.startsWith('HMMCI-START'));
const exit = lines.findIndex((l) => l.startsWith('HMMCI-EXIT'));
const boot = lines.slice(0, start);
const run = lines.slice(start, exit + 1);
const failing = run.map((l) =>
  l.replace('ok 10 hmm.hmm_device_private.file_read', 'not ok 10 hmm.hmm_device_private.file_read'),
);

/** A boot that ran hmm-tests three times (the second run with file_read failing), as the init prints it. */
const threeRuns = [...boot, 'HMMCI-ITER 1/3', ...run, 'HMMCI-ITER 2/3', ...failing, 'HMMCI-ITER 3/3', ...run, ''].join(
  '\n',
);

function feed(p: RepeatParser, text: string) {
  for (const l of consoleLines(text)) p.feed(l);
}

t.test('RepeatParser gives each HMMCI-ITER run its own verdicts; aggregateRuns makes k/N', async (t) => {
  t.ok(
    run.some((l) => l === 'ok 10 hmm.hmm_device_private.file_read'),
    'fixture has the line the test edits',
  );
  const p = new RepeatParser();
  feed(p, threeRuns);
  const runs = p.finish();
  t.equal(runs.length, 3);
  t.same(
    runs.map((r) => r.counts),
    [{ pass: 58 }, { pass: 57, fail: 1 }, { pass: 58 }],
  );
  const agg = aggregateRuns(runs);
  const fr = agg.tests.find((x) => x.name === 'hmm.hmm_device_private.file_read')!;
  t.match(fr, { status: 'fail', repeat: { pass: 2, total: 3 }, reason: /^1 of 3 runs bad; first, run 2\/3: fail/ });
  t.same(agg.tests.find((x) => x.name === 'hmm.hmm_device_private.open_close')!.repeat, { pass: 3, total: 3 });
  t.equal(agg.tests.length, 58);
  t.same(agg.counts, { pass: 57, fail: 1 });
});

t.test('without ITER markers RepeatParser is one ConsoleParser: the same result', async (t) => {
  const p = new RepeatParser();
  feed(p, clean);
  const [only, ...rest] = p.finish();
  t.equal(rest.length, 0);
  const direct = parseConsole(clean);
  t.same(only!.tests, direct.tests);
});

t.test('a run cut short by a kill counts for the tests it reached; the rest get no verdict from it', async (t) => {
  const cut = run.slice(0, run.findIndex((l) => l.includes('RUN           hmm.hmm_device_private.exclusive')) + 1);
  const p = new RepeatParser();
  feed(p, [...boot, 'HMMCI-ITER 1/2', ...run, 'HMMCI-ITER 2/2', ...cut].join('\n'));
  p.markKilled('stall');
  const agg = aggregateRuns(p.finish());
  t.match(
    agg.tests.find((x) => x.name === 'hmm.hmm_device_private.exclusive'),
    { status: 'timeout', repeat: { pass: 1, total: 2 } },
  );
  t.same(
    agg.tests.find((x) => x.name === 'hmm2.hmm2_device_coherent.snapshot')?.repeat,
    { pass: 1, total: 1 },
    'not reached in run 2: counted once',
  );
});

t.test('completeRuns boots again for the runs a crashed boot did not do, at most N boots', async (t) => {
  const p1 = new RepeatParser();
  feed(p1, [...boot, 'HMMCI-ITER 1/3', ...run, 'HMMCI-INFO tainted=128 stopped=oops'].join('\n'));
  const asked: number[] = [];
  const out = await completeRuns(
    3,
    { outcome: { ms: 1, stderr: '' }, results: p1.finish(), logPath: 'a' },
    async (runs) => {
      asked.push(runs);
      const p = new RepeatParser();
      feed(
        p,
        [...boot, ...Array.from({ length: runs }, (_, i) => [`HMMCI-ITER ${i + 1}/${runs}`, ...run]).flat()].join('\n'),
      );
      return { outcome: { ms: 1, stderr: '' }, results: p.finish(), logPath: 'b' };
    },
  );
  t.same(asked, [2], 'one more boot, for the 2 remaining runs');
  t.equal(out.runs.length, 3);
  t.equal(out.boots.length, 2);
});

t.test(
  'shards: every case once, balanced, groups kept whole, listing order; the merge is the serial shape',
  async (t) => {
    const cases = parseConsole(clean).tests.map((x) => x.name);
    const shards = planShards(cases, 2, [[cases[3]!, cases[40]!]], {});
    t.equal(shards.length, 2);
    t.same([...shards[0]!.cases, ...shards[1]!.cases].sort(), [...cases].sort());
    t.ok(Math.abs(shards[0]!.cases.length - shards[1]!.cases.length) <= 2);
    t.ok(
      shards.some((s) => s.cases.includes(cases[3]!) && s.cases.includes(cases[40]!)),
      'the group stays together',
    );
    for (const s of shards)
      t.same(
        s.cases,
        cases.filter((c) => s.cases.includes(c)),
        'listing order',
      );
    t.same(shards[0]!.testArgs.slice(0, 2), ['-r', shards[0]!.cases[0]]);
    // Each shard's console: the full listing (its unselected cases become notrun) and its own cases.
    const serial = parseConsole(clean);
    const shardResult = (mine: readonly string[]) => ({
      ...serial,
      tests: serial.tests.map((x) => (mine.includes(x.name) ? x : { name: x.name, status: 'notrun' as const })),
    });
    const merged = mergeShards(
      shards,
      shards.map((s) => shardResult(s.cases)),
      cases,
    );
    t.same(merged.tests, serial.tests);
    t.same(merged.counts, serial.counts);
  },
);
