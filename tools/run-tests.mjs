#!/usr/bin/env node
/**
 * Run the compiled test files (.test-build/, tools/build-tests.mjs) each in its own plain Node
 * process, a few at a time, and print one TAP 14 stream (the same layout as `tap --reporter=tap`:
 * every file a subtest named by its path) with tap's closing `# { total, pass, fail, … }` line.
 *
 * Why not tap's runner: it starts every test file with two loader hooks (@tapjs/mock and
 * @tapjs/processinfo, the latter also put into NODE_OPTIONS so every Node grandchild — the CLI,
 * stand-ins, workers — loads it too). With coverage off and no t.mockImport in the suite they do
 * nothing for us and cost about 100 of the suite's 230 CPU-seconds. Each file still runs alone in
 * its own process (no shared global state), with tap's library as before; `npx tap test/x.test.ts`
 * still runs one file from source.
 *
 *   node tools/run-tests.mjs [--jobs N] [--timeout S] [file.test.js…]
 *
 * Files default to every .test-build/test/**\/*.test.js. --jobs defaults to the number of CPUs + 1
 * ($HMMCI_TEST_JOBS overrides), --timeout (seconds per file) to 180. Files start longest first,
 * by the times of the previous run (node_modules/.cache/hmmci-test-times.json). On a terminal only
 * one line per file and the TAP of failed files are printed; otherwise the whole stream. Exit
 * status 1 when any file fails.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { Parser } from 'tap-parser';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const timesFile = join(root, 'node_modules', '.cache', 'hmmci-test-times.json');
/** A file slower than this (seconds) is named at the end: the suite's per-file budget. */
const BUDGET_S = 15;

function parseArgs(argv) {
  const opts = {
    // one more than the CPUs: some files mostly wait (fsync, timers, servers) and leave a core idle
    jobs: Number(process.env.HMMCI_TEST_JOBS) || availableParallelism() + 1,
    timeout: 180,
    files: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') ? a.split('=', 2) : [a, undefined];
    const value = () => Number(inline ?? argv[++i]);
    if (flag === '--jobs' || flag === '-j') opts.jobs = value();
    else if (flag === '--timeout') opts.timeout = value();
    else opts.files.push(resolve(a));
  }
  if (!(opts.jobs >= 1) || !(opts.timeout > 0))
    throw new Error(`run-tests: bad --jobs or --timeout in ${argv.join(' ')}`);
  return opts;
}

/** Every *.test.js under dir. */
function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return walk(p);
    return e.isFile() && e.name.endsWith('.test.js') ? [p] : [];
  });
}

function readTimes() {
  try {
    return JSON.parse(readFileSync(timesFile, 'utf8'));
  } catch {
    return {};
  }
}

/** Longest first: the previous run's wall time, else the file's size (a new file goes early). */
function order(files, times) {
  const key = (f) => times[relative(root, f)] ?? 1e6 + statSync(f).size;
  return [...files].sort((a, b) => key(b) - key(a));
}

/** Files running now: each is its own process group (detached), so a timeout kills what it started. */
const running = new Set();
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    // A terminal's Ctrl-C reaches only our group: pass it on to every file's group, then go.
    for (const pid of running) killGroup(pid, 'SIGTERM');
    process.exit(130);
  });
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Run one file; resolves with its TAP, stderr, counts and verdict (never rejects). */
function runFile(file, timeoutS) {
  return new Promise((done) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--enable-source-maps', file], {
      cwd: root,
      env: { ...process.env, TAP_TIMEOUT: String(timeoutS) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const counts = { total: 0, pass: 0, fail: 0, skip: 0, todo: 0 };
    const parser = new Parser();
    let final = null;
    parser.on('result', (r) => {
      counts.total++;
      if (r.todo) counts.todo++;
      else if (r.skip) counts.skip++;
      else if (r.ok) counts.pass++;
      else counts.fail++;
    });
    parser.on('complete', (res) => (final = res));
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => ((out += d), parser.write(d)));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    let timedOut = false;
    running.add(child.pid);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGKILL');
    }, timeoutS * 1000);
    // The CPU this file's process tree used: the growth of our reaped children's total when it
    // is reaped (exact unless two files end in the same tick; then the first one gets both).
    let cpu = NaN;
    child.on('exit', () => {
      const now = childCpuSeconds();
      cpu = now - cpuSeen;
      cpuSeen = now;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child.pid);
      parser.end();
      const ok = code === 0 && !signal && !timedOut && final?.ok === true && counts.fail === 0;
      if (!ok && counts.fail === 0) counts.fail = 1; // a crash or timeout outside any assertion
      const why = timedOut ? `timeout after ${timeoutS} s` : signal ? `signal ${signal}` : code ? `exit ${code}` : '';
      done({ file, out, err, counts, ok, why, ms: Date.now() - started, cpu });
    });
  });
}

let cpuSeen = childCpuSeconds();

/** CPU-seconds of this process's finished children and their own (Linux: /proc/self/stat cutime+cstime). */
function childCpuSeconds() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return NaN;
  }
}

const indent = (s) =>
  s
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => (l ? `    ${l}` : l))
    .join('\n') + '\n';

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const files = opts.files.length ? opts.files : walk(join(root, '.test-build', 'test'));
  const times = readTimes();
  const queue = order(files, times);
  const tty = process.stdout.isTTY;
  const started = Date.now();
  const cpuAtStart = childCpuSeconds();
  const totals = { total: 0, pass: 0, fail: 0, skip: 0, todo: 0 };
  const results = [];
  process.stdout.write('TAP version 14\n');
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const r = await runFile(f, opts.timeout);
      results.push(r);
      const name = relative(root, r.file);
      for (const k of Object.keys(totals)) totals[k] += r.counts[k];
      const head = `${r.ok ? 'ok' : 'not ok'} ${results.length} - ${name} # time=${r.ms}ms cpu=${r.cpu.toFixed(2)}s`;
      const body = tty && r.ok ? '' : `# Subtest: ${name}\n${indent(r.out)}`;
      const extra = r.ok ? '' : `  ---\n  reason: ${JSON.stringify(r.why || 'a test failed')}\n  ...\n`;
      process.stdout.write(`${body}${head}${r.why ? ` (${r.why})` : ''}\n${extra}\n`);
      if (r.err && (!r.ok || !tty)) process.stderr.write(r.err.endsWith('\n') ? r.err : `${r.err}\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.jobs, queue.length) }, worker));
  const failed = results.filter((r) => !r.ok);
  const slow = results.filter((r) => r.ms > BUDGET_S * 1000).sort((a, b) => b.ms - a.ms);
  const summary = Object.entries(totals)
    .filter(([k, v]) => v || k === 'total' || k === 'pass')
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  process.stdout.write(`1..${results.length}\n`);
  if (failed.length) process.stdout.write(`# failed: ${failed.map((r) => relative(root, r.file)).join(', ')}\n`);
  for (const r of slow)
    process.stdout.write(`# over ${BUDGET_S} s: ${relative(root, r.file)} ${(r.ms / 1000).toFixed(1)} s\n`);
  const cpu = (childCpuSeconds() - cpuAtStart).toFixed(1);
  process.stdout.write(`# { ${summary} }\n# ${results.length} files, time=${Date.now() - started}ms, cpu=${cpu}s\n`);
  if (!opts.files.length) {
    mkdirSync(dirname(timesFile), { recursive: true });
    writeFileSync(timesFile, JSON.stringify(Object.fromEntries(results.map((r) => [relative(root, r.file), r.ms]))));
  }
  process.exitCode = failed.length ? 1 : 0;
}

await main();
