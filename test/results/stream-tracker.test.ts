import t from 'tap';
import { StreamTracker, type StreamHost } from '../../src/results/stream-tracker.js';
import type { TapLine } from '../../src/results/grammar.js';

/** A host that records where each line went. */
function host(planned?: string[]) {
  const seen: string[] = [];
  const h: StreamHost = {
    plannedNames: planned,
    note: (_n, m) => seen.push(`note: ${m}`),
    output: (text) => seen.push(`output: ${text}`),
    adopted: (s, again) => seen.push(`adopted depth ${s.depth}${again ? ' again' : ''}`),
    hmmLine: (c: TapLine) => seen.push(`hmm: ${c.type}${'name' in c ? ` ${c.name}` : ''}`),
    wrapperResult: (c) => seen.push(`wrapper: ${c.name}`),
  };
  return { h, seen };
}
const feed = (tr: StreamTracker, lines: string[]) => lines.forEach((text, i) => tr.feed({ n: i + 1, raw: text, text }));

t.test('announced by the runner line: the nested stream is adopted, the wrapper result kept apart', async (t) => {
  const { h, seen } = host(['hmm.hmm_device_private.open_close']);
  const tr = new StreamTracker(h);
  feed(tr, [
    'TAP version 13',
    '1..1',
    '# selftests: mm: hmm-tests',
    '# TAP version 13',
    '# 1..1',
    '# #  RUN           hmm.hmm_device_private.open_close ...',
    '# ok 1 hmm.hmm_device_private.open_close',
    'ok 1 selftests: mm: hmm-tests',
  ]);
  t.same(seen, [
    'output: # selftests: mm: hmm-tests',
    'adopted depth 1',
    'hmm: run hmm.hmm_device_private.open_close',
    'hmm: result hmm.hmm_device_private.open_close',
    'wrapper: selftests: mm: hmm-tests',
  ]);
  t.equal(tr.depth, 1);
});

t.test("another program's stream: its results are ignored with one note, its lines are output", async (t) => {
  const { h, seen } = host(['hmm.hmm_device_private.open_close']);
  const tr = new StreamTracker(h);
  feed(tr, ['running ./gup_test', 'TAP version 13', '1..2', 'ok 1 gup_test one', 'ok 2 gup_test two']);
  t.same(seen, [
    'output: running ./gup_test',
    "note: ignoring the TAP results of another program (./gup_test) at nesting depth 0: not hmm-tests' stream",
    'output: ok 1 gup_test one',
    'output: ok 2 gup_test two',
  ]);
  t.equal(tr.hmm, undefined);
});

t.test('no listing and no runner line: the only stream is taken, with a note', async (t) => {
  const { h, seen } = host();
  const tr = new StreamTracker(h);
  feed(tr, ['TAP version 13', '1..1', 'ok 1 some_test']);
  t.match(seen[0], /^note: taken as hmm-tests' TAP stream although "some_test" is not an hmm fixture name/);
  t.same(seen.slice(1), ['adopted depth 0', 'hmm: result some_test']);
});

t.test('a nested stream without its own TAP version line is found one level deeper', async (t) => {
  const { h, seen } = host(['hmm.a.b']);
  const tr = new StreamTracker(h);
  feed(tr, ['TAP version 13', '# 1..58', '# #  RUN           hmm.a.b ...']);
  t.same(seen, ['adopted depth 1', 'hmm: run hmm.a.b']);
});

t.test('hmm-tests run twice: the second stream is adopted again', async (t) => {
  const { h, seen } = host(['hmm.a.b']);
  const tr = new StreamTracker(h);
  feed(tr, ['TAP version 13', '#  RUN           hmm.a.b ...', 'TAP version 13', '#  RUN           hmm.a.b ...']);
  t.same(
    seen.filter((s) => s.startsWith('adopted')),
    ['adopted depth 0', 'adopted depth 0 again'],
  );
});
