import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runGuestProcess, DEFAULT_TIMEOUTS } from '../../src/guest/guest-process.js';
import { vngArgs } from '../../src/guest/vng-command.js';
import { x86_64 } from '../../src/guest/arch/x86_64.js';
import { ConsoleParser } from '../../src/results/parser.js';
import { fixturePath } from '../results/fixtures.js';

const standIn = fileURLToPath(new URL('./stand-in/vng', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hmmci-guest-process-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// The cases wait on watchdog timers and a stand-in's pauses (~15 s in a row, little CPU); each has
// its own files under dir, so they run side by side.
t.jobs = 4;

/** Running (a zombie waiting for a reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

t.test('a vng stand-in gets the vng command line; its console is saved and parsed while it streams', async (t) => {
  const argsFile = join(dir, 'args.json');
  const logPath = join(dir, 'clean', 'console.log');
  const args = vngArgs(x86_64, { buildDir: '/build', accel: 'tcg', scriptPath: '/runs/x/vng-run.sh' });
  const parser = new ConsoleParser();
  const progress: string[] = [];
  const out = await runGuestProcess({
    command: [standIn, ...args],
    logPath,
    parser,
    timeouts: { ...DEFAULT_TIMEOUTS, silentMs: 0 },
    onProgress: (p) => progress.push(p),
    env: { ...process.env, STANDIN_ARGS: argsFile, STANDIN_LOG: fixturePath('clean-58-pass.log') },
  });
  t.same(JSON.parse(readFileSync(argsFile, 'utf8')), args, 'argv reached vng unchanged (no shell)');
  t.equal(out.exitCode, 0);
  t.notOk(out.killed);
  t.equal(
    readFileSync(logPath, 'utf8'),
    readFileSync(fixturePath('clean-58-pass.log'), 'utf8'),
    'console log saved byte for byte',
  );
  const r = parser.finish();
  t.same(r.counts, { pass: 58 });
  t.ok(
    progress.some((p) => /^58\/58 done/.test(p)),
    'progress reports completed/planned',
  );
  t.ok(
    r.tests.every((x) => typeof x.durationMs === 'number'),
    'live runs get per-test durations',
  );
});

t.test(
  'vng writes the serial console to its stderr: with console stdout+stderr both streams reach the log and the parser',
  async (t) => {
    const logPath = join(dir, 'stderr-console', 'console.log');
    const parser = new ConsoleParser();
    const out = await runGuestProcess({
      command: [standIn],
      logPath,
      parser,
      console: 'stdout+stderr',
      timeouts: { ...DEFAULT_TIMEOUTS, silentMs: 0 },
      env: {
        ...process.env,
        STANDIN_LOG: fixturePath('clean-58-pass.log'),
        STANDIN_CONSOLE: 'stderr',
        STANDIN_EXIT: '3',
      },
    });
    t.equal(out.exitCode, 3, 'the exit status is kept');
    const log = readFileSync(logPath, 'utf8');
    t.ok(log.includes('stand-in vng: stdout line\n'), 'stdout is in the log');
    t.equal(
      log.replace('stand-in vng: stdout line\n', ''),
      readFileSync(fixturePath('clean-58-pass.log'), 'utf8'),
      'the stderr console, whole',
    );
    t.ok(out.stderr.includes('HMMCI-EXIT'), 'stderr is still kept apart for error details');
    t.same(parser.finish().counts, { pass: 58 });
    const only = new ConsoleParser();
    await runGuestProcess({
      command: [standIn],
      logPath: join(dir, 'stderr-console-default', 'console.log'),
      parser: only,
      timeouts: { ...DEFAULT_TIMEOUTS, silentMs: 0 },
      env: { ...process.env, STANDIN_LOG: fixturePath('clean-58-pass.log'), STANDIN_CONSOLE: 'stderr' },
    });
    t.same(only.finish().tests, [], 'the default (stdout) does not read stderr');
  },
);

t.test(
  'a boot slower than the no-progress watchdog is not a lack of test progress: the clock starts with the tests',
  async (t) => {
    const text = readFileSync(fixturePath('clean-58-pass.log'), 'utf8').split('\n');
    const startAt = text.findIndex((l) => l.startsWith('HMMCI-START'));
    const parser = new ConsoleParser();
    const out = await runGuestProcess({
      command: [standIn],
      logPath: join(dir, 'slow-boot', 'console.log'),
      parser,
      timeouts: { ...DEFAULT_TIMEOUTS, silentMs: 0, progressMs: 700 },
      env: {
        ...process.env,
        STANDIN_LOG: fixturePath('clean-58-pass.log'),
        STANDIN_PAUSE_AT: `${startAt},${startAt + 1}`,
        STANDIN_PAUSE_MS: '1500,400',
      },
    });
    t.notOk(out.killed, 'not killed');
    t.same(parser.finish().counts, { pass: 58 });
  },
);

t.test(
  'a hung guest is killed by the per-test watchdog with its whole process group; the running test is timeout',
  async (t) => {
    const argsFile = join(dir, 'hang-args.json');
    const text = readFileSync(fixturePath('clean-58-pass.log'), 'utf8').split('\n');
    const stopAt = text.findIndex((l) => l.includes('RUN           hmm.hmm_device_private.exclusive ...')) + 1;
    const parser = new ConsoleParser();
    const started = Date.now();
    const out = await runGuestProcess({
      command: [standIn],
      logPath: join(dir, 'hang', 'console.log'),
      parser,
      timeouts: { ...DEFAULT_TIMEOUTS, silentMs: 0, testMs: 1500 },
      env: {
        ...process.env,
        STANDIN_ARGS: argsFile,
        STANDIN_LOG: fixturePath('clean-58-pass.log'),
        STANDIN_STOP_AFTER: String(stopAt),
      },
    });
    t.ok(Date.now() - started < 20_000);
    t.match(out.killed, {
      reason: 'test',
      test: 'hmm.hmm_device_private.exclusive',
      message: /ran for more than 2 s|ran for more than 1 s/,
    });
    const grandchild = Number(readFileSync(`${argsFile}.child`, 'utf8'));
    for (let i = 0; i < 60 && alive(grandchild); i++) await sleep(50);
    t.notOk(alive(grandchild), 'nothing of the guest survives');
    const r = parser.finish();
    const ex = r.tests.find((x) => x.name === 'hmm.hmm_device_private.exclusive');
    t.match(ex, { status: 'timeout', reason: /killed by hmmci: hmm\.hmm_device_private\.exclusive ran for more than/ });
    t.equal(r.counts.pass, 21);
    t.equal(r.counts.notrun, 36);
  },
);

t.test('a guest silent after "Booting from ROM" is killed by the silence watchdog', async (t) => {
  const parser = new ConsoleParser();
  const out = await runGuestProcess({
    command: [standIn],
    logPath: join(dir, 'silent', 'console.log'),
    parser,
    timeouts: { ...DEFAULT_TIMEOUTS, silentMs: 3000 },
    env: {
      ...process.env,
      STANDIN_LOG: fixturePath('kvm-silent-hang.log'),
      STANDIN_STOP_AFTER: String(readFileSync(fixturePath('kvm-silent-hang.log'), 'utf8').split('\n').length),
      STANDIN_ARGS: join(dir, 'silent-args.json'),
    },
  });
  t.match(out.killed, { reason: 'silent' });
  t.equal(out.kernelBannerMs, undefined);
  t.ok(existsSync(join(dir, 'silent', 'console.log')));
  t.match(readFileSync(join(dir, 'silent', 'console.log'), 'utf8'), /Booting from ROM/);
});

t.test('interruption kills the guest too', async (t) => {
  const ac = new AbortController();
  const parser = new ConsoleParser();
  setTimeout(() => ac.abort(), 300);
  const out = await runGuestProcess({
    command: [standIn],
    logPath: join(dir, 'int', 'console.log'),
    parser,
    timeouts: { ...DEFAULT_TIMEOUTS, silentMs: 0 },
    signal: ac.signal,
    env: {
      ...process.env,
      STANDIN_LOG: fixturePath('clean-58-pass.log'),
      STANDIN_STOP_AFTER: '100',
      STANDIN_ARGS: join(dir, 'int-args.json'),
    },
  });
  t.match(out.killed, { reason: 'interrupted' });
});

t.test(
  'a kernel stall report with no test progress after it stops the guest after the grace period: the test is timeout, with the report',
  async (t) => {
    const log = readFileSync(fixturePath('hang-rcu-stall.log'), 'utf8').split('\n');
    const stopAt = log.findIndex((l) => l.startsWith('HMMCI-KILLED'));
    const parser = new ConsoleParser();
    const started = Date.now();
    const out = await runGuestProcess({
      command: [standIn],
      logPath: join(dir, 'stall', 'console.log'),
      parser,
      // The per-test and progress watchdogs stay at their defaults (90 s, 120 s): the stall one ends it,
      // once the test has run stallMinTestMs (kselftest's own 30 s TIMEOUT in real runs).
      timeouts: { ...DEFAULT_TIMEOUTS, silentMs: 0, stallGraceMs: 500, stallMinTestMs: 2500 },
      env: {
        ...process.env,
        STANDIN_LOG: fixturePath('hang-rcu-stall.log'),
        STANDIN_STOP_AFTER: String(stopAt),
        STANDIN_ARGS: join(dir, 'stall-args.json'),
      },
    });
    t.ok(Date.now() - started < 15_000, 'well before the 90 s per-test watchdog');
    t.ok(
      out.killed!.afterMs >= 2500,
      'not before the test had run stallMinTestMs: a slow test on a loaded machine is not taken for stuck',
    );
    t.match(out.killed, {
      reason: 'stall',
      test: 'hmm.hmm_device_private.exclusive',
      message:
        /rcu: INFO: rcu_sched self-detected stall on CPU.*hmm\.hmm_device_private\.exclusive made no progress for 0\.5 s/,
    });
    const r = parser.finish();
    t.match(
      r.tests.find((x) => x.name === 'hmm.hmm_device_private.exclusive'),
      { status: 'timeout', reason: /killed by hmmci: the kernel reported "rcu: INFO: rcu_sched self-detected stall/ },
    );
    t.match(r.events, [
      { kind: 'rcu_stall', test: 'hmm.hmm_device_private.exclusive', function: 'dmirror_fops_unlocked_ioctl' },
    ]);
    t.equal(r.counts.pass, 21);
  },
);

t.test('test progress after a stall report clears it: a slow but moving run is not stopped', async (t) => {
  // The stall report comes, then the rest of a clean run: progress resumes within the grace period.
  const hang = readFileSync(fixturePath('hang-rcu-stall.log'), 'utf8').split('\n');
  const clean = readFileSync(fixturePath('clean-58-pass.log'), 'utf8').split('\n');
  const stallAt = hang.findIndex((l) => /self-detected stall/.test(l));
  const resume = clean.findIndex((l) => l.includes('RUN           hmm.hmm_device_private.exclusive ...'));
  const mixed = [...clean.slice(0, resume + 1), ...hang.slice(stallAt, stallAt + 5), ...clean.slice(resume + 1)];
  const file = join(dir, 'stall-then-progress.log');
  (await import('node:fs')).writeFileSync(file, mixed.join('\n'));
  const parser = new ConsoleParser();
  const out = await runGuestProcess({
    command: [standIn],
    logPath: join(dir, 'stall-progress', 'console.log'),
    parser,
    timeouts: { ...DEFAULT_TIMEOUTS, silentMs: 0, stallGraceMs: 600 },
    // 50 lines per 200 ms (~460 lines): the run after the report lasts well over the grace period.
    env: {
      ...process.env,
      STANDIN_LOG: file,
      STANDIN_CHUNK_MS: '200',
      STANDIN_ARGS: join(dir, 'stall-progress-args.json'),
    },
  });
  t.ok(out.ms > 1500, 'the run lasted longer than the grace period after the report');
  t.notOk(out.killed);
  t.same(parser.finish().counts, { pass: 58 });
});

t.test('a stall report during the boot, then silence: stopped after the grace period', async (t) => {
  const clean = readFileSync(fixturePath('clean-58-pass.log'), 'utf8').split('\n');
  const hang = readFileSync(fixturePath('hang-rcu-stall.log'), 'utf8').split('\n');
  const stallAt = hang.findIndex((l) => /self-detected stall/.test(l));
  const bootEnd = clean.findIndex((l) => /Run \/init as init process/.test(l));
  const file = join(dir, 'boot-stall.log');
  (await import('node:fs')).writeFileSync(
    file,
    [...clean.slice(0, bootEnd), ...hang.slice(stallAt, stallAt + 30)].join('\n'),
  );
  const out = await runGuestProcess({
    command: [standIn],
    logPath: join(dir, 'boot-stall', 'console.log'),
    parser: new ConsoleParser(),
    timeouts: { ...DEFAULT_TIMEOUTS, silentMs: 0, stallGraceMs: 800 },
    env: {
      ...process.env,
      STANDIN_LOG: file,
      STANDIN_STOP_AFTER: String(bootEnd + 30),
      STANDIN_ARGS: join(dir, 'boot-stall-args.json'),
    },
  });
  t.match(out.killed, { reason: 'stall', message: /the boot made no progress for 0\.8 s after/ });
  t.ok(out.ms < 10_000);
});

t.test('a boot that stops printing is stopped by the boot-quiet watchdog, well before the boot watchdog', async (t) => {
  const log = readFileSync(fixturePath('clean-58-pass.log'), 'utf8').split('\n');
  const stopAt = log.findIndex((l) => /Run \/init as init process/.test(l));
  const parser = new ConsoleParser();
  const out = await runGuestProcess({
    command: [standIn],
    logPath: join(dir, 'quiet', 'console.log'),
    parser,
    timeouts: { ...DEFAULT_TIMEOUTS, silentMs: 0, bootQuietMs: 1000 },
    env: {
      ...process.env,
      STANDIN_LOG: fixturePath('clean-58-pass.log'),
      STANDIN_STOP_AFTER: String(stopAt),
      STANDIN_ARGS: join(dir, 'quiet-args.json'),
    },
  });
  t.match(out.killed, { reason: 'boot-quiet', message: /no console output for 1 s before hmm-tests started/ });
  t.ok(out.ms < 10_000);
});
