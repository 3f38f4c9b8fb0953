import t from 'tap';
import { formatResultText } from '../../src/results/format.js';
import { parseConsole } from '../../src/results/parser.js';
import { log as readLog } from './fixtures.js';

t.test('a clean run: one row per test, then the counts; no events, no notes', async (t) => {
  const text = formatResultText(parseConsole(readLog('clean-58-pass.log')));
  const lines = text.split('\n');
  t.equal(lines.filter((l) => /^PASS {4}hmm/.test(l)).length, 58, 'a PASS row per case');
  t.match(text, /\n58 tests: pass 58\n$/);
  t.notMatch(text, /kernel event|parser notes/);
});

t.test('an oops: the crashed test with its reason, the event block with function and test', async (t) => {
  const r = parseConsole(readLog('oops-no-panic.log'));
  const text = formatResultText(r, { eventLines: 5 });
  t.match(text, /^CRASH {3}\S+ .* kernel (oops|bug)/m);
  t.match(text, /\n\d+ kernel events?:\n {2}(oops|bug) in \w+ during hmm\S+\n/);
  const ev = r.events[0]!;
  const lines = ev.text.split('\n').length;
  if (lines > 5) t.match(text, new RegExp(`… ${lines - 5} more lines`), 'long reports are cut at eventLines');
});

t.test('verbose adds the output of failing tests only; notes are listed with their line', async (t) => {
  const r = parseConsole(readLog('fail-coherent-snapshot.log'));
  const quiet = formatResultText(r);
  const verbose = formatResultText(r, { verbose: true });
  t.ok(verbose.length > quiet.length);
  t.match(verbose, /^ {10}\| /m, 'output lines are indented under the failing row');
  const failing = r.tests.filter((x) => x.status === 'fail').flatMap((x) => x.output ?? []);
  const shown = verbose.split('\n').filter((l) => l.startsWith('          | ')).length;
  t.equal(shown, failing.length, 'exactly the failing tests’ lines');
  const noted = formatResultText({ ...r, diagnostics: [{ line: 12, message: 'a note' }] });
  t.match(noted, /\nparser notes:\n {2}line 12: a note\n$/);
});

t.test('no results at all says so', async (t) => {
  const text = formatResultText(parseConsole(readLog('boot-failure-no-init.log')));
  t.match(text, /^\(no test results\)\n\n0 tests: none\n/);
});
