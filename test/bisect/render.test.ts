import t from 'tap';
import { bisect } from '../../src/bisect/driver.js';
import { renderJson, renderText } from '../../src/bisect/render.js';
import { commitsOf, HistoryTester, type History } from './history.js';

const SNAPSHOT = 'hmm2.hmm2_device_coherent.snapshot';

async function report(h: History) {
  const tester = new HistoryTester(h);
  return bisect({
    commits: commitsOf(h.n),
    tester,
    base: tester.outcomeAt(0, 0),
    tip: tester.outcomeAt(h.n, 0),
    now: (() => {
      let x = 0;
      return () => (x += 1000);
    })(),
  });
}

t.test('--json keeps the contract: firstBad, flipped, steps, skipped', async (t) => {
  const r = await report({ n: 4, breaks: { [SNAPSHOT]: 2 } });
  const doc = JSON.parse(renderJson(r)) as Record<string, unknown>;
  t.same(Object.keys(doc).slice(0, 4), ['firstBad', 'flipped', 'steps', 'skipped']);
  t.same(doc.firstBad, { index: 2, total: 4, sha: commitsOf(4)[2]!.sha, subject: 'mm/hmm: patch 2' });
  t.same(doc.flipped, [SNAPSHOT]);
  t.same(doc.skipped, []);
  const steps = doc.steps as Record<string, unknown>[];
  t.same(
    steps.map((s) => [s.sha, s.subject, s.verdict, s.ms]),
    [
      [commitsOf(4)[2]!.sha, 'mm/hmm: patch 2', 'bad', 1002],
      [commitsOf(4)[1]!.sha, 'mm/hmm: patch 1', 'good', 1001],
      [commitsOf(4)[2]!.sha, 'mm/hmm: patch 2', 'bad', 1002],
    ],
  );
});

t.test('text: a step table and the answer', async (t) => {
  const r = await report({ n: 4, breaks: { [SNAPSHOT]: 2 } });
  const text = renderText(r, { kind: 'series', title: '[PATCH mm-unstable 0/4] test' });
  t.match(text, /^bisect: \[PATCH mm-unstable 0\/4\] test\n/);
  t.match(text, /step\s+commit\s+patch\s+verdict\s+time\s+why\s+subject/);
  t.match(
    text,
    /\n1\s+0002c0ffeec0\s+patch 2\/4\s+bad\s+1\.0s\s+hmm2\.hmm2_device_coherent\.snapshot\s+mm\/hmm: patch 2/,
  );
  t.match(
    text,
    /3\s+0002c0ffeec0\s+patch 2\/4\s+bad \(again\)\s+1\.0s\s+hmm2/,
    'the answer is tested again (a rebuild: patch 1 was built last)',
  );
  t.match(text, /first bad patch: 2\/4 0002c0ffeec0 mm\/hmm: patch 2\nflipped: hmm2\.hmm2_device_coherent\.snapshot\n/);
  t.match(text, /2 steps \+ 1 re-test \(ends cached\), 3 builds, /);
});

t.test('text: an ambiguous answer lists the candidates and the skipped commits', async (t) => {
  const r = await report({ n: 8, breaks: { [SNAPSHOT]: 5 }, buildFails: [4, 5] });
  const text = renderText(r, { kind: 'range' });
  t.match(
    text,
    /the first bad commit is one of .*:\n  commit 4\/8 0004c0ffeec0 mm\/hmm: patch 4\n  commit 5\/8 .*\n  commit 6\/8 /,
  );
  t.match(text, /skipped: 0004c0ffeec0 0005c0ffeec0/);
  t.match(text, /does not build/);
});

t.test('text: nothing to bisect', async (t) => {
  const r = await report({ n: 3 });
  t.match(
    renderText(r, { kind: 'series' }),
    /nothing to bisect: no test that passes at the base and fails, crashes or times out at the tip\./,
  );
});
