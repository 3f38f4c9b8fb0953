import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestResult, TestRunResult } from '../../src/results/types.js';

/** A real console log from fixtures/logs (see fixtures/logs/README.md for how each was made). */
export function log(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/logs/${name}`, import.meta.url));
}

/** The result of test `name` (throws when the parse has none). */
export function byName(r: TestRunResult, name: string): TestResult {
  const x = r.tests.find((y) => y.name === name);
  if (!x) throw new Error(`no test ${name}`);
  return x;
}
