import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { renderKcidb } from '../../src/report/index.js';
import { record } from './records.js';

const schema = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../fixtures/schemas/kcidb.v5.0.schema.json', import.meta.url)), 'utf8'),
) as Record<string, unknown>;
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);
const check = (data: unknown) => (validate(data) ? '' : ajv.errorsText(validate.errors));

t.test('a regression: checkouts, builds and tests validate against KCIDB v5.0', async (t) => {
  const k = renderKcidb([
    record('baseline-58-pass', ['patched-coherent-remote-snapshot-fails', 'patched-coherent-remote-snapshot-fails']),
  ]);
  t.equal(check(k), '');
  t.same(k.version, { major: 5, minor: 0 });
  t.equal(k.checkouts.length, 2);
  t.equal(k.builds.length, 2);
  t.equal(k.tests.length, 116);
  const patched = k.checkouts[1] as Record<string, unknown>;
  t.match(patched, {
    id: 'hmmci:20261121-102300-break-test-at-2-1a2b:patched',
    patchset_hash: 'c'.repeat(64),
    message_id: '20261120093000.1-dana.mirror@example.org',
    valid: true,
  });
  t.equal((k.checkouts[0] as Record<string, unknown>).patchset_hash, '');
  const snap = (k.tests as Array<Record<string, unknown>>).find(
    (x) =>
      x.path === 'kselftest.mm.hmm-tests.hmm2.hmm2_device_coherent.snapshot' &&
      String(x.build_id).includes(':patched:'),
  );
  t.match(snap, {
    status: 'FAIL',
    misc: { hmmci_status: 'fail', change: 'regression' },
    log_url: /^file:\/\/\/var\/cache\/hmmci\/runs\/.*\/patched\.console\.log$/,
  });
  t.match(String(snap?.log_excerpt), /COHERENT_REMOTE/);
});

t.test('statuses: crash is FAIL, not-run is MISS, skip is SKIP', async (t) => {
  const k = renderKcidb([record('baseline-58-pass', ['patched-oops-in-migrate-vma-collect-pmd'])]);
  t.equal(check(k), '');
  const statuses = (k.tests as Array<{ status: string; build_id: string }>)
    .filter((x) => x.build_id.includes(':patched:'))
    .map((x) => x.status);
  t.same([...new Set(statuses)].sort(), ['FAIL', 'MISS', 'PASS']);
  const skip = renderKcidb([record('baseline-58-pass', ['baseline-coherent-skipped-no-reserved-memory'])]);
  t.equal(check(skip), '');
  t.ok((skip.tests as Array<{ status: string }>).some((x) => x.status === 'SKIP'));
});

t.test('a series that does not apply: invalid checkout, no patched build, still valid KCIDB', async (t) => {
  const r = record('baseline-58-pass', ['baseline-58-pass'], {
    status: 'failed',
    patched: null,
    comparison: null,
    reruns: [],
    series: { ...record('baseline-58-pass', ['baseline-58-pass']).series, commits: [] },
    error: { message: 'Patch 2/4 does not apply', exitCode: 4 },
  });
  const k = renderKcidb([r]);
  t.equal(check(k), '');
  t.equal((k.checkouts[1] as { valid: boolean }).valid, false);
  t.equal(k.builds.length, 1);
});

t.test('a patched build failure is a FAIL build with the error as excerpt', async (t) => {
  const r = record('baseline-58-pass', ['baseline-58-pass'], {
    status: 'failed',
    patched: null,
    comparison: null,
    reruns: [],
    error: {
      message: 'The patched kernel does not build.',
      exitCode: 5,
      details: ['mm/hmm.c:12:3: error: expected ;'],
    },
  });
  const k = renderKcidb([r]);
  t.equal(check(k), '');
  t.match(k.builds[1], { status: 'FAIL', log_excerpt: /expected ;/ });
});

t.test('the schema really rejects bad data', async (t) => {
  t.not(
    check({
      version: { major: 5 },
      tests: [{ id: 'no-origin-prefix', build_id: 'hmmci:x', origin: 'hmmci', path: 'bad path' }],
    }),
    '',
  );
  t.not(check({ version: { major: 4 } }), '');
});
