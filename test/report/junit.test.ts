import t from 'tap';
import { readFileSync } from 'node:fs';
import { validateXML } from 'xmllint-wasm';
import { renderJunit } from '../../src/report/index.js';
import { record } from './records.js';

const XSD = readFileSync(new URL('../../fixtures/schemas/junit-10.xsd', import.meta.url), 'utf8');

/**
 * Validate documents against Jenkins' junit-10.xsd with libxml2 (xmllint-wasm: the real xmllint, as
 * WebAssembly), all in one xmllint run: each run starts a worker thread that compiles the
 * WebAssembly and loads the test runner's loaders again (over a CPU-second under tap), so the file
 * validates its documents once, up front. xmllint says `NAME.xml validates` for each valid one.
 */
async function xmllint(docs: Record<string, string>): Promise<Record<string, { ok: boolean; out: string }>> {
  const r = await validateXML({
    xml: Object.entries(docs).map(([name, contents]) => ({ fileName: `${name}.xml`, contents })),
    schema: [{ fileName: 'junit-10.xsd', contents: XSD }],
  });
  const lines = r.rawOutput.split('\n');
  return Object.fromEntries(
    Object.keys(docs).map((name) => [
      name,
      {
        ok: lines.includes(`${name}.xml validates`),
        out: lines.filter((l) => l.startsWith(`${name}.xml`)).join('\n'),
      },
    ]),
  );
}

const regression = renderJunit([
  record('baseline-58-pass', ['patched-coherent-remote-snapshot-fails', 'patched-coherent-remote-snapshot-fails']),
]);
const flaky = renderJunit([
  record('baseline-58-pass', [
    'patched-migrate-multiple-fails-once',
    'patched-migrate-multiple-fails-once',
    'baseline-58-pass',
  ]),
]);
const oops = renderJunit([record('baseline-58-pass', ['patched-oops-in-migrate-vma-collect-pmd'])]);
const skipped = renderJunit([record('baseline-58-pass', ['baseline-coherent-skipped-no-reserved-memory'])]);
const failed = record('baseline-58-pass', ['baseline-58-pass'], {
  status: 'failed',
  patched: null,
  comparison: null,
  reruns: [],
  error: { message: 'Patch 1/1 does not apply: "<&>" \u0001', exitCode: 4 },
});
const several = renderJunit([record('baseline-58-pass', ['baseline-58-pass']), failed]);
const broken = '<testsuites><testsuite name="x"><testcase/></testsuite></testsuites>';
const lint = await xmllint({ regression, flaky, oops, skipped, several, broken });

t.test('a regression validates against junit-10.xsd and says it is one', async (t) => {
  const xml = regression;
  const v = lint.regression!;
  t.ok(v.ok, v.out);
  t.match(
    xml,
    /<testsuite name="hmm-tests: \[PATCH mm-unstable 0\/4\][^"]*" tests="58" failures="1" errors="0" skipped="0"/,
  );
  t.match(
    xml,
    /<testcase name="hmm2\.hmm2_device_coherent\.snapshot" classname="hmm-tests\.hmm2\.hmm2_device_coherent" time="0\.000">\n\s+<failure type="fail" message="hmm-tests\.c:1607:snapshot:Expected m\[6\] \(66\) == HMM_DMIRROR_PROT_DEV_COHERENT_REMOTE \| HMM_DMIRROR_PROT_WRITE \(82\) \(regression: pass at the baseline, fail with the series\)">/,
  );
  t.equal((xml.match(/<testcase /g) ?? []).length, 58);
  t.match(xml, /<property name="series.base" value="a3c5f2b0e1d4c6b8a9f7e5d3c1b0a2f4e6d8c0b1"\/>/);
});

t.test('flaky tests carry rerun elements; skips and not-run tests are skipped; crashes are errors', async (t) => {
  t.ok(lint.flaky!.ok);
  t.match(flaky, /message="[^"]*\(flaky: patched runs fail, fail, pass\)"/);
  t.match(flaky, /<rerunFailure type="fail" message="rerun 1: fail"\/>/);
  const v = lint.oops!;
  t.ok(v.ok, v.out);
  t.match(oops, /errors="1" skipped="44"/);
  t.match(
    oops,
    /<error type="crash" message="killed by signal 11 \(kernel oops\) \(regression: pass at the baseline, crash with the series\)">/,
  );
  t.ok(lint.skipped!.ok);
  t.match(skipped, /<skipped message="DEVICE_COHERENT not available"\/>/);
});

t.test('several jobs, a failed job and hostile text still validate', async (t) => {
  const xml = several;
  const v = lint.several!;
  t.ok(v.ok, v.out);
  t.equal((xml.match(/<testsuite /g) ?? []).length, 2);
  t.match(xml, /<system-err>Patch 1\/1 does not apply: &quot;&lt;&amp;&gt;&quot; <\/system-err>/);
});

t.test('the validator really rejects a broken document', async (t) => {
  t.notOk(lint.broken!.ok);
  t.match(lint.broken!.out, /broken\.xml fails to validate/);
});
