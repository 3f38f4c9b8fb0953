#!/usr/bin/env node
/**
 * Run the compiled test files (.test-build/, tools/build-tests.mjs) each in its own plain Node
 * process, a few at a time, and print one TAP 14 stream (the same layout as `tap --reporter=tap`:
 * every file a subtest named by its path) with tap's closing `# { total, pass, fail, … }` line.
 *
 * Why not tap's runner: it starts every test file with two loader hooks (@tapjs/mock and
 * @tapjs/processinfo, the latter also put into NODE_OPTIONS so every Node grandchild — the CLI,
 * stand-ins, workers — loads it too). With coverage off and no t.mockImport in the suite they do
 * nothing for us and cost about 100 of the suite's 230 CPU-seconds. tap stays the test library;
 * `npx tap test/x.test.ts` still runs one file from source.
 *
 * A file runs in its own process, except light ones (under 3 s last time) free of process-wide
 * state (HAZARDS): those share a process a few at a time (tools/test-batch.mjs), each still its
 * own subtest with its own `t`, reported here as if it had run alone.
 *
 *   node tools/run-tests.mjs [--jobs N] [--timeout S] [--no-batch] [file.test.js…]
 *
 * Files default to every .test-build/test/**\/*.test.js. --jobs defaults to the number of CPUs + 1
 * ($HMMCI_TEST_JOBS overrides), --timeout (seconds per file) to 180. Files start longest first,
 * by the times of the previous run (node_modules/.cache/hmmci-test-times.json, else the committed
 * tools/test-times.json: a 2-core run, refreshed by hand when files are added or grow). On a terminal only
 * one line per file and the TAP of failed files are printed; otherwise the whole stream. Exit
 * status 1 when any file fails.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
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
    batch: true,
    files: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') ? a.split('=', 2) : [a, undefined];
    const value = () => Number(inline ?? argv[++i]);
    if (flag === '--jobs' || flag === '-j') opts.jobs = value();
    else if (flag === '--timeout') opts.timeout = value();
    else if (flag === '--no-batch') opts.batch = false;
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

/** Per-file ms of the previous run here, over tools/test-times.json (a fresh clone's first run). */
function readTimes() {
  const read = (f) => {
    try {
      return JSON.parse(readFileSync(f, 'utf8'));
    } catch {
      return {};
    }
  };
  return { ...read(join(root, 'tools', 'test-times.json')), ...read(timesFile) };
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

// However this process ends (an exception, EPIPE on a closed pipe), no file outlives it.
process.on('exit', () => {
  for (const pid of running) killGroup(pid, 'SIGKILL');
});

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/**
 * What keeps a file out of a batch: process-wide state a later file in the same process would
 * see (environment, signal handlers, exit status, cwd, stdout, the interrupt signal of
 * src/common/cleanup.ts), parallel subtests, or Node children of its own. Checked in the file and
 * the test helpers it imports (not src/). test/helpers/cli.js is exempt: runCli swaps
 * stdout/stderr.write and exitCode and restores them before it returns.
 */
const HAZARDS = [
  /process\.env(\.\w+|\[[^\]]+\])\s*=[^=]/,
  /delete process\.env/,
  /Object\.assign\(process\.env/,
  /process\.(on|once|off|addListener|removeListener|removeAllListeners|prependListener)\(/,
  /process\.(exit|chdir|kill|abort|umask|setuid|setgid)\(/,
  /process\.exitCode/,
  /process\.std(out|err|in)\.\w+\s*=[^=]/,
  /\binterrupt/i,
  /\bt\.jobs\b/,
  /process\.execPath/,
  /\bsetMaxListeners\b/,
  /globalThis\.\w+\s*=[^=]/,
];
const EXEMPT = new Set([join(root, '.test-build', 'test', 'helpers', 'cli.js')]);

/** The hazards in `file` and the test-folder modules it imports (relative imports under test/). */
function hazardsOf(file, seen = new Set()) {
  if (seen.has(file) || EXEMPT.has(file)) return [];
  seen.add(file);
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const found = HAZARDS.filter((re) => re.test(text)).map((re) => `${relative(root, file)}: ${re.source}`);
  const testDir = join(root, '.test-build', 'test');
  for (const m of text.matchAll(/from\s+["'](\.{1,2}\/[^"']+)["']/g)) {
    const dep = resolve(dirname(file), m[1]);
    if (dep.startsWith(testDir + '/')) found.push(...hazardsOf(dep, seen));
  }
  return found;
}

/** A file at most this long (previous run, ms) may share a process; a batch holds at most BATCH_MS. */
const LIGHT_MS = 3000;
const BATCH_MS = 6000;
const BATCH_FILES = 12;

/**
 * Work items, longest first: a heavy or hazardous file alone, light files in batches (one
 * process, tools/test-batch.mjs). A file without a previous time counts as light (1 s).
 */
function plan(files, times, { batch }) {
  const ms = (f) => times[relative(root, f)];
  const light = batch ? files.filter((f) => (ms(f) ?? 0) < LIGHT_MS && hazardsOf(f).length === 0) : [];
  const items = files.filter((f) => !light.includes(f)).map((f) => ({ files: [f], ms: ms(f) ?? 1e6 }));
  let cur = null;
  for (const f of light.sort()) {
    const t = ms(f) ?? 1000;
    if (!cur || cur.ms + t > BATCH_MS || cur.files.length >= BATCH_FILES) items.push((cur = { files: [], ms: 0 }));
    cur.files.push(f);
    cur.ms += t;
  }
  return items.sort((a, b) => b.ms - a.ms);
}

/** Run one item (a file, or a batch of files); resolves with its raw output (never rejects). */
function runItem(item, timeoutS) {
  return new Promise((done) => {
    const started = Date.now();
    const args =
      item.files.length === 1 ? item.files : [join(root, '.test-build', 'tools', 'test-batch.mjs'), ...item.files];
    const child = spawn(process.execPath, ['--enable-source-maps', ...args], {
      cwd: root,
      env: { ...process.env, TAP_TIMEOUT: String(timeoutS) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    let timedOut = false;
    running.add(child.pid);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGKILL');
    }, timeoutS * 1000);
    // The CPU this process tree used: the growth of our reaped children's total when it is
    // reaped (exact unless two items end in the same tick; then the first one gets both).
    let cpu = NaN;
    child.on('exit', () => {
      const now = childCpuSeconds();
      cpu = now - cpuSeen;
      cpuSeen = now;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child.pid);
      const why = timedOut ? `timeout after ${timeoutS} s` : signal ? `signal ${signal}` : code ? `exit ${code}` : '';
      done({ files: item.files, out, err, ok: !why, why, ms: Date.now() - started, cpu });
    });
  });
}

/** Counts and verdict of one file's TAP. */
function tally(tap) {
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
  parser.end(tap);
  return { counts, ok: final?.ok === true && counts.fail === 0 };
}

/** A batch's TAP split into its files' own streams (each file is one top-level subtest). */
function splitBatch(out) {
  const parts = new Map();
  let name = null;
  let body = [];
  for (const line of out.split('\n')) {
    const sub = /^# Subtest: (.*)$/.exec(line);
    const point = /^(not )?ok \d+ - (.*?)(?: # time=([\d.]+)ms)?$/.exec(line);
    if (sub) [name, body] = [sub[1], []];
    else if (point && name === point[2]) {
      parts.set(name, { tap: body.join('\n') + '\n', ok: !point[1], ms: Math.round(Number(point[3] ?? 0)) });
      name = null;
    } else if (name !== null) body.push(line.startsWith('    ') ? line.slice(4) : line);
  }
  return parts;
}

/** One result per file of a finished item. */
function resultsOf(run) {
  if (run.files.length === 1) {
    const { counts, ok } = tally(run.out);
    return [
      finish({
        file: run.files[0],
        out: run.out,
        err: run.err,
        counts,
        ok: ok && run.ok,
        why: run.why,
        ms: run.ms,
        cpu: run.cpu,
      }),
    ];
  }
  const parts = splitBatch(run.out);
  const totalMs = [...parts.values()].reduce((a, p) => a + p.ms, 0) || 1;
  return run.files.map((file, i) => {
    const part = parts.get(relative(root, file));
    const last = i === run.files.length - 1;
    if (!part) {
      const why = run.why || 'the batch process ended before this file ran';
      return finish({ file, out: run.out, err: run.err, counts: tally('').counts, ok: false, why, ms: 0, cpu: 0 });
    }
    const { counts, ok } = tally(part.tap);
    // a batch that failed after its files' tests (a crash at exit) fails its last file
    const why = last && !run.ok ? run.why : '';
    const cpu = (run.cpu * part.ms) / totalMs;
    return finish({
      file,
      out: part.tap,
      err: last || !ok ? run.err : '',
      counts,
      ok: ok && part.ok && !why,
      why,
      ms: part.ms,
      cpu,
      batch: run.files.length,
    });
  });
}

function finish(r) {
  if (!r.ok && r.counts.fail === 0) r.counts.fail = 1; // a crash or timeout outside any assertion
  return r;
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
  const queue = plan(files, times, opts);
  const tty = process.stdout.isTTY;
  const started = Date.now();
  const cpuAtStart = childCpuSeconds();
  const totals = { total: 0, pass: 0, fail: 0, skip: 0, todo: 0 };
  const results = [];
  process.stdout.write('TAP version 14\n');
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      for (const r of resultsOf(await runItem(item, opts.timeout))) {
        results.push(r);
        const name = relative(root, r.file);
        for (const k of Object.keys(totals)) totals[k] += r.counts[k];
        const shared = r.batch ? ` (one process with ${r.batch - 1} more)` : '';
        const head = `${r.ok ? 'ok' : 'not ok'} ${results.length} - ${name} # time=${r.ms}ms cpu=${r.cpu.toFixed(2)}s${shared}`;
        const body = tty && r.ok ? '' : `# Subtest: ${name}\n${indent(r.out)}`;
        const extra = r.ok ? '' : `  ---\n  reason: ${JSON.stringify(r.why || 'a test failed')}\n  ...\n`;
        process.stdout.write(`${body}${head}\n${extra}\n`);
        if (r.err && (!r.ok || !tty)) process.stderr.write(r.err.endsWith('\n') ? r.err : `${r.err}\n`);
      }
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
