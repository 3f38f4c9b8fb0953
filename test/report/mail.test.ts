import t from 'tap';
import { renderMail } from '../../src/report/index.js';
import { record } from './records.js';

const ME = 'Dana Tester <dana@example.org>';

t.test('a clean run replies with what was tested and a Tested-by', async (t) => {
  const m = renderMail(record('baseline-58-pass', ['baseline-58-pass']), { testedBy: ME });
  t.match(m, /^Subject: Re: \[PATCH mm-unstable 0\/4\] lib\/test_hmm, mm\/hmm/);
  t.match(
    m,
    /\nIn-Reply-To: <20261120093000\.1-dana\.mirror@example\.org>\nReferences: <20261120093000\.1-dana\.mirror@example\.org>\n/,
  );
  t.match(m, /on this series \(4\s+patches\) and on its base/);
  t.match(m, / {2}base: {4}a3c5f2b0e1d4 \(Linux 6\.12\.117\)/);
  t.match(m, / {2}config: {2}base-x86_64-qemu\.config \+ hmm\.config \(hash 5e1f0c2a9b7d\)/);
  t.match(m, /machine: x86_64 QEMU, tcg via qemu/);
  t.match(m, /Result: nothing regressed\.\n {2}before: 58 tests: 58 pass\n {2}after: {2}58 tests: 58 pass/);
  t.match(m, /\nTested-by: Dana Tester <dana@example\.org>\n/);
});

t.test('a regression lists the change and never carries Tested-by', async (t) => {
  const m = renderMail(
    record('baseline-58-pass', ['patched-coherent-remote-snapshot-fails', 'patched-coherent-remote-snapshot-fails']),
    { testedBy: ME },
  );
  t.match(m, /Result: regressed: 1 regression\./);
  t.match(
    m,
    /Changes:\n {2}REGRESSION hmm2\.hmm2_device_coherent\.snapshot: pass -> fail,fail\n {13}hmm-tests\.c:1607:snapshot:Expected m\[6\] \(66\)/,
  );
  t.notMatch(m, /Tested-by/);
});

t.test('a confirmed kernel oops is quoted', async (t) => {
  const m = renderMail(
    record('baseline-58-pass', ['patched-oops-in-migrate-vma-collect-pmd', 'patched-oops-in-migrate-vma-collect-pmd']),
    { testedBy: ME },
  );
  t.match(
    m,
    /oops on the patched kernel during hmm\.hmm_device_private\.migrate_fault:\n\n {2}BUG: kernel NULL pointer dereference/,
  );
  t.match(m, / {2}RIP: 0010:migrate_vma_collect_pmd\+0x1a4\/0x8b0/);
  t.notMatch(m, /Tested-by/);
});

t.test('no Tested-by without an identity, for an interrupted run, or a job that stopped', async (t) => {
  t.notMatch(renderMail(record('baseline-58-pass', ['baseline-58-pass'])), /Tested-by/);
  const stopped = record('baseline-58-pass', ['baseline-58-pass'], { status: 'interrupted', comparison: null });
  const m = renderMail(stopped, { testedBy: ME });
  t.match(m, /interrupted before it finished; there is no verdict/);
  t.notMatch(m, /Tested-by/);
});
