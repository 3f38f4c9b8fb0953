import t from 'tap';
import { renderTerminal } from '../../src/report/index.js';
import { record } from './records.js';

t.test('a regression: changes table first, then totals, then where the logs are', async (t) => {
  const text = renderTerminal(
    record('baseline-58-pass', ['patched-coherent-remote-snapshot-fails', 'patched-coherent-remote-snapshot-fails']),
  );
  const lines = text.split('\n');
  t.match(lines[0], /^hmmci run 20261121-102300-break-test-at-2-1a2b: regressed: 1 regression$/);
  const change = lines.findIndex((l) => l.startsWith('change'));
  const totals = lines.findIndex((l) => /^\s+pass\s+fail\s+total$/.test(l));
  const logs = lines.findIndex((l) => l.startsWith('logs:'));
  t.ok(change > 0 && change < totals && totals < logs, 'order: changes, totals, logs');
  t.match(lines[change + 1], /^REGRESSION\s+hmm2\.hmm2_device_coherent\.snapshot\s+pass\s+fail,fail$/);
  t.match(lines[change + 2], /Expected m\[6\] \(66\) == HMM_DMIRROR_PROT_DEV_COHERENT_REMOTE/);
  t.match(text, /baseline\s+58\s+0\s+58\n/);
  t.match(text, /patched\s+57\s+1\s+58\n/);
  t.match(text, /confirmed by 1 rerun of the patched kernel/);
  t.match(text, /baseline reused from 20261121-101500-benign-3-9f9f/);
  t.match(text, /patched console\s+\/var\/cache\/hmmci\/runs\/.*\/patched\.console\.log/);
  t.match(text, /rerun 1 console\s+.*patched\.rerun1\.console\.log/);
  t.match(text, /stages: {2}tree 40ms, apply\[patched\] 610ms, config\[patched\] 1\.8s, build\[patched\] 8\.1s/);
});

t.test('nothing changed says so', async (t) => {
  const text = renderTerminal(record('baseline-58-pass', ['baseline-58-pass']));
  t.match(text, /: nothing regressed\n/);
  t.match(text, /No test changed between the baseline and the patched kernel\./);
});

t.test('an oops: the crash first, the event, and the stopped suite collapsed to one line', async (t) => {
  const text = renderTerminal(record('baseline-58-pass', ['patched-oops-in-migrate-vma-collect-pmd']));
  const rows = text.split('\n').filter((l) => /^(REGRESSION|NEW EVENT|NOT RUN|FLAKY)/.test(l));
  t.equal(rows.length, 3);
  t.match(rows[0], /^REGRESSION\s+hmm\.hmm_device_private\.migrate_fault\s+pass\s+crash/);
  t.match(rows[1], /^NEW EVENT\s+oops in migrate_vma_collect_pmd\s+-\s+1\/1 runs/);
  t.match(rows[2], /^NOT RUN\s+44 tests from hmm\.hmm_device_private\.migrate_release on/);
  t.match(
    text,
    /BUG: kernel NULL pointer dereference, address: 0000000000000008 \(during hmm\.hmm_device_private\.migrate_fault\)/,
  );
  t.match(text, /crash\s+notrun\s+total/);
});

t.test('a job that stopped shows the error instead of a table', async (t) => {
  const r = record('baseline-58-pass', ['baseline-58-pass'], {
    status: 'failed',
    exitCode: 4,
    patched: null,
    comparison: null,
    reruns: [],
    error: {
      message: 'Patch 2/4 does not apply to a3c5f2b0e1d4.',
      exitCode: 4,
      details: ['lib/test_hmm.c: hunk 1 failed'],
    },
  });
  const text = renderTerminal(r);
  t.match(text, /stopped: Patch 2\/4 does not apply/);
  t.match(text, /\n {2}lib\/test_hmm\.c: hunk 1 failed\n/);
  t.match(text, /patched\s+0\s+-/);
});
