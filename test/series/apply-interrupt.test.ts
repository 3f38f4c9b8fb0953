/**
 * SIGTERM in the middle of a long apply (issue 9): the process exits 130 with no `hmmci-am-*`
 * temp dir left, no am in progress and the worktree back at its base. A real child process
 * with the CLI's signal handlers, a real 120-patch series.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { cleanup, gitSync, tempDir } from './helpers.js';
import { EXT, LOADER_ARGS } from '../helpers/child-node.js';

t.setTimeout(180_000);
const TOP = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = tempDir();
t.teardown(() => cleanup(work));

t.test('SIGTERM during git am of a long series leaves no temp dir and a clean worktree', async (t) => {
  const repo = join(work, 'repo');
  mkdirSync(repo);
  gitSync(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, 'counter.txt'), 'start\n');
  gitSync(repo, ['add', '.']);
  gitSync(repo, ['commit', '-q', '-m', 'base']);
  const base = gitSync(repo, ['rev-parse', 'HEAD']).trim();
  let text = 'start\n';
  for (let i = 1; i <= 120; i++) {
    text += `line ${i}\n`;
    writeFileSync(join(repo, 'counter.txt'), text);
    gitSync(repo, ['commit', '-q', '-am', `counter: line ${i}`]);
  }
  const mbox = join(work, 'long.mbox');
  writeFileSync(mbox, gitSync(repo, ['format-patch', '--stdout', `${base}..HEAD`]));
  gitSync(repo, ['checkout', '-q', '--detach', base]);

  const tmp = join(work, 'tmp');
  mkdirSync(tmp);
  const script = join(work, 'apply.mjs');
  writeFileSync(
    script,
    [
      `import { installSignalHandlers, interruptSignal, runCleanup } from ${JSON.stringify(join(TOP, `src/common/cleanup${EXT}`))};`,
      `import { loadSeries } from ${JSON.stringify(join(TOP, `src/series/load${EXT}`))};`,
      `import { applySeries } from ${JSON.stringify(join(TOP, `src/series/apply${EXT}`))};`,
      'installSignalHandlers();',
      `const series = await loadSeries(${JSON.stringify(mbox)});`,
      // As the CLI's main(): an error is printed, the cleanup actions run, the signal handler exits 130.
      'try {',
      `  await applySeries({ series, worktree: ${JSON.stringify(repo)}, signal: interruptSignal() });`,
      '  console.log("finished");',
      '} catch (err) {',
      '  console.error(String(err));',
      '} finally {',
      '  await runCleanup();',
      '}',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [...LOADER_ARGS, script], {
    cwd: TOP,
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  // Wait until the apply is under way: its temp dir exists and a few commits are made.
  for (let i = 0; i < 600; i++) {
    const started = readdirSync(tmp).some((f) => f.startsWith('hmmci-am-'));
    const count = Number(gitSync(repo, ['rev-list', '--count', `${base}..HEAD`]).trim() || 0);
    if (started && count >= 3) break;
    await sleep(50);
  }
  t.ok(
    readdirSync(tmp).some((f) => f.startsWith('hmmci-am-')),
    'the apply was under way',
  );
  child.kill('SIGTERM');
  const code = await exited;
  t.equal(code, 130, `exit 130 (${out.trim().slice(0, 200)})`);
  t.notOk(out.includes('finished'), 'interrupted, not finished');
  t.same(
    readdirSync(tmp).filter((f) => f.startsWith('hmmci-am-')),
    [],
    'no hmmci-am-* temp dir left',
  );
  t.equal(gitSync(repo, ['rev-parse', 'HEAD']).trim(), base, 'the worktree is back at the base');
  t.equal(gitSync(repo, ['status', '--porcelain']), '', 'clean');
  t.notOk(existsSync(join(repo, '.git/rebase-apply')), 'no am in progress');
});
