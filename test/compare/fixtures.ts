import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestRunResult } from '../../src/results/types.js';

const dir = fileURLToPath(new URL('../../fixtures/results/', import.meta.url));

/** Load a result fixture by name (without .json). */
export function result(name: string): TestRunResult {
  return JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')) as TestRunResult;
}
