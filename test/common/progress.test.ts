import t from 'tap';
import { createReporter, formatMs } from '../../src/common/progress.js';

t.test('durations read the way a person says them, never "1m60s"', async (t) => {
  t.equal(formatMs(850), '850ms');
  t.equal(formatMs(7_500), '7.5s');
  t.equal(formatMs(59_940), '59.9s');
  t.equal(formatMs(59_960), '1m00s');
  t.equal(formatMs(119_600), '2m00s');
  t.equal(formatMs(165_000), '2m45s');
});

t.test('a stage prints its name, throttled status lines off a terminal, and its elapsed time', async (t) => {
  let clock = 0;
  const lines: string[] = [];
  const r = createReporter({
    stream: { write: (s: string) => (lines.push(s), true), isTTY: false },
    now: () => clock,
    throttleMs: 5000,
  });
  const st = r.stage('build', 'patched');
  clock = 1000;
  st.update('CC mm/hmm.o');
  clock = 2000;
  st.update('CC mm/migrate_device.o');
  clock = 7000;
  st.update('LD vmlinux');
  clock = 8000;
  t.equal(st.done('bzImage'), 8000);
  t.same(lines, [
    '==> build [patched]\n',
    '    build [patched] 1.0s: CC mm/hmm.o\n',
    '    build [patched] 7.0s: LD vmlinux\n',
    '  ok build [patched] 8.0s — bzImage\n',
  ]);
});
