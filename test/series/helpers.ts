import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseMailBytes } from '../../src/series/load.js';
import { buildSeries } from '../../src/series/series.js';
import type { Series } from '../../src/series/types.js';

export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/series');

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

export function fixtureText(name: string): string {
  return readFileSync(fixture(name), 'utf8');
}

/** A fixture mbox read as `hmmci series show` would (without the load errors). */
export function fixtureSeries(name: string): Series {
  return buildSeries(parseMailBytes(Buffer.from(fixtureText(name)), name), { kind: 'mbox', input: name });
}

export function tempDir(prefix = 'hmmci-series-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

const ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Base',
  GIT_AUTHOR_EMAIL: 'base@example.org',
  GIT_COMMITTER_NAME: 'Base',
  GIT_COMMITTER_EMAIL: 'base@example.org',
  GIT_AUTHOR_DATE: '2024-11-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2024-11-01T00:00:00Z',
  LANG: 'C',
  LC_ALL: 'C',
};

export function gitSync(dir: string, args: string[], input?: string): string {
  return execFileSync('git', args, { cwd: dir, env: ENV, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/**
 * A small git repository holding the real 6.12 HMM files (fixtures/series/tree-6.12), committed
 * the Debian way: a top-level `/*` .gitignore and `git add -f`, like the default tree.
 */
export function hmmRepo(dir: string): { path: string; base: string } {
  cpSync(fixture('tree-6.12'), dir, { recursive: true });
  writeFileSync(join(dir, '.gitignore'), '/*\n');
  gitSync(dir, ['init', '-q', '-b', 'main']);
  gitSync(dir, ['add', '-f', '-A']);
  gitSync(dir, ['commit', '-q', '-m', 'Linux 6.12 (HMM files)']);
  return { path: dir, base: gitSync(dir, ['rev-parse', 'HEAD']).trim() };
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
