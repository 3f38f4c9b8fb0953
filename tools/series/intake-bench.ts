/**
 * Intake stays bounded (issue 9): time and peak memory of reading hostile-sized inputs, and the
 * cost of checking what git applied. A script, not a test (seconds to minutes of CPU):
 *
 *   npx tsx tools/series/intake-bench.ts [--src DIR] [--apply N]
 *
 * Cases: a 10,000-patch mbox (format-patch shape, ~9 MB); one mail whose body holds a 50 MB line;
 * one mail whose Subject is a 50 MB line. --apply N also applies an N-patch series with
 * applySeries into a fresh repository (git am per patch + the post-am checks). --src: another
 * checkout's src/ (before a change). Each case runs in this one process; peak RSS is the
 * process's maxRSS after each case (monotonic, so cases run smallest first).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
let src = resolve(import.meta.dirname, '../../src');
let applyN = 0;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--src') src = resolve(args[++i] ?? '');
  else if (args[i] === '--apply') applyN = Number(args[++i]);
}
const { loadSeries } = await import(pathToFileURL(resolve(src, 'series/load.ts')).href);
const { applySeries } = await import(pathToFileURL(resolve(src, 'series/apply.ts')).href);
const dir = mkdtempSync(join(tmpdir(), 'hmmci-intake-bench-'));

function patchMail(i: number, body = ''): string {
  return [
    `From ${'0'.repeat(40)} Mon Sep 17 00:00:00 2001`,
    'From: Dana Mirror <dana.mirror@example.org>',
    'Date: Sun, 29 Nov 2026 08:00:00 +0000',
    `Subject: [PATCH ${i}/10000] mm/hmm: change line ${i}`,
    '',
    body || `Change line ${i}.`,
    '',
    'Signed-off-by: Dana Mirror <dana.mirror@example.org>',
    '---',
    ' mm/hmm.c | 2 +-',
    '',
    'diff --git a/mm/hmm.c b/mm/hmm.c',
    '--- a/mm/hmm.c',
    '+++ b/mm/hmm.c',
    `@@ -${i},3 +${i},3 @@`,
    ' context a',
    `-old ${i}`,
    `+new ${i}`,
    ' context b',
    '-- ',
    '2.39.5',
    '',
  ].join('\n');
}

async function measure(name: string, file: string): Promise<void> {
  const t0 = performance.now();
  let outcome: string;
  try {
    const s = await loadSeries(file);
    outcome = `${s.patches.length} patches, ${s.warnings.length} warnings`;
  } catch (err) {
    outcome = `refused: ${(err as Error).message.slice(0, 80)}`;
  }
  const ms = performance.now() - t0;
  console.log(
    `${name}: ${(ms / 1000).toFixed(2)} s, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (${outcome})`,
  );
}

try {
  const many = join(dir, 'many.mbox');
  writeFileSync(many, Array.from({ length: 10_000 }, (_, i) => patchMail(i + 1)).join('\n'));
  const bigBody = join(dir, 'big-body.mbox');
  writeFileSync(bigBody, patchMail(1, 'x'.repeat(50 * 1024 * 1024)));
  const bigSubject = join(dir, 'big-subject.mbox');
  writeFileSync(
    bigSubject,
    patchMail(1).replace('Subject: [PATCH 1/10000]', `Subject: [PATCH 1/1] ${'y'.repeat(50 * 1024 * 1024)}`),
  );
  await measure('10,000-patch mbox', many);
  await measure('50 MB line in the body', bigBody);
  await measure('50 MB Subject line', bigSubject);
  if (applyN > 0) {
    const repo = join(dir, 'repo');
    const git = (a: string[]) =>
      execFileSync('git', a, {
        cwd: repo,
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'b',
          GIT_AUTHOR_EMAIL: 'b@b',
          GIT_COMMITTER_NAME: 'b',
          GIT_COMMITTER_EMAIL: 'b@b',
        },
      });
    execFileSync('git', ['init', '-q', repo]);
    writeFileSync(join(repo, 'f.txt'), 'start\n');
    git(['add', '.']);
    git(['commit', '-qm', 'base']);
    const base = git(['rev-parse', 'HEAD']).trim();
    let text = 'start\n';
    for (let i = 1; i <= applyN; i++) {
      text += `line ${i}\n`;
      writeFileSync(join(repo, 'f.txt'), text);
      git(['commit', '-qam', `f: line ${i}`]);
    }
    writeFileSync(join(dir, 'series.mbox'), git(['format-patch', '--stdout', `${base}..HEAD`]));
    git(['checkout', '-q', '--detach', base]);
    const series = await loadSeries(join(dir, 'series.mbox'));
    const t0 = performance.now();
    await applySeries({ series, worktree: repo });
    console.log(`apply ${applyN} patches: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
