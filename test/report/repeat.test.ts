import t from 'tap';
import { readFileSync } from 'node:fs';
import { validateXML } from 'xmllint-wasm';
import { compareResults } from '../../src/compare/index.js';
import { renderJson, renderJunit, renderKcidb, renderMail, renderTerminal } from '../../src/report/index.js';
import type { TestRunResult } from '../../src/results/types.js';
import { record, result } from './records.js';

/** The clean fixture as a --repeat 20 result: every test 20/20, except `failing` k/20. */
function repeated(failing: Record<string, number>): TestRunResult {
  const r = result('baseline-58-pass');
  const tests = r.tests.map((x) => {
    const bad = failing[x.name] ?? 0;
    return {
      ...x,
      ...(bad ? { status: 'fail' as const, reason: `${bad} of 20 runs bad` } : {}),
      repeat: { pass: 20 - bad, total: 20 },
    };
  });
  return { ...r, tests };
}

const RACY = 'hmm.hmm_device_private.migrate_multiple';
const FLAKY = 'hmm.hmm_device_private.anon_teardown';
const base = repeated({ [FLAKY]: 1 });
const patched = repeated({ [RACY]: 3, [FLAKY]: 1 });
const rec = record('baseline-58-pass', ['baseline-58-pass'], {
  baseline: { ...base, cached: false },
  patched,
  reruns: [],
  comparison: compareResults(base, [patched]),
});

t.test('every report shows k/N on both sides and the rate test that decided', async (t) => {
  t.same(
    rec.comparison!.regressions.map((x) => x.name),
    [RACY],
  );
  t.same(
    rec.comparison!.flaky.map((x) => x.name),
    [FLAKY],
  );
  const term = renderTerminal(rec);
  t.match(term, new RegExp(`REGRESSION\\s+${RACY.replace(/\./g, '\\.')}\\s+20/20 pass\\s+17/20 pass`));
  t.match(
    term,
    /fails 3\/20 patched, 0\/20 baseline \(Barnard's exact test, one-sided p = 0\.043, 95\.7% confidence\)/,
  );
  t.match(term, /FLAKY\s+hmm\.hmm_device_private\.anon_teardown\s+19\/20 pass\s+19\/20 pass/);
  t.match(term, /each test ran up to 20 times patched, 20 at the baseline/);
  const json = JSON.parse(renderJson([rec])) as { runs?: unknown[] };
  const text = JSON.stringify(json);
  t.match(text, /"repeat":\{"pass":17,"total":20\}/, 'JSON: the contract names');
  t.match(json, {
    regressions: [
      {
        name: RACY,
        rate: {
          patched: { pass: 17, total: 20 },
          baseline: { pass: 20, total: 20 },
          verdict: 'regression',
          test: 'barnard-exact-one-sided',
        },
      },
    ],
  });
  const junit = renderJunit([rec]);
  t.match(junit, /<property name="hmmci.repeat" value="20"\/>/);
  t.match(junit, /message="3 of 20 runs bad; passed 17\/20 runs \(regression: fails 3\/20 patched/);
  t.match(junit, /<system-out>hmmci.repeat: passed 20\/20 runs<\/system-out>/);
  const XSD = readFileSync(new URL('../../fixtures/schemas/junit-10.xsd', import.meta.url), 'utf8');
  const v = await validateXML({
    xml: [{ fileName: 'repeat.xml', contents: junit }],
    schema: [{ fileName: 'junit-10.xsd', contents: XSD }],
  });
  t.ok(v.valid, v.rawOutput);
  t.match(junit, /regression: fails 3\/20 patched, 0\/20 baseline/);
  const kcidb = JSON.stringify(renderKcidb([rec]));
  t.match(kcidb, /"repeat":"17\/20"/);
  t.match(kcidb, /"repeat":"20\/20"/, 'baseline side too');
  const mail = renderMail(rec);
  t.match(mail, new RegExp(`REGRESSION ${RACY.replace(/\./g, '\\.')}: 20/20 pass -> 17/20 pass`));
  t.match(mail, /hmm\.hmm_device_private\.anon_teardown: 19\/20 pass -> 19\/20 pass/);
});

t.test('a run without --repeat renders as before: no k/N anywhere', async (t) => {
  const plain = record('baseline-58-pass', ['baseline-58-pass']);
  t.notMatch(renderTerminal(plain), /\d+\/\d+ pass|--repeat/);
  t.notMatch(renderJunit([plain]), /hmmci\.repeat/);
  t.notMatch(renderMail(plain), /times on each kernel/);
});
