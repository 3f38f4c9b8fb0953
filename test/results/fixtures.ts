import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A real console log from fixtures/logs (see fixtures/logs/README.md for how each was made). */
export function log(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/logs/${name}`, import.meta.url));
}
