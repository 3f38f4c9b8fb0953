import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A new temporary directory (`prefix` + random) that is removed when the test file ends (the root
 * test's teardown, after every subtest's own teardowns: servers and databases are closed by then),
 * so a full `npm test` leaves nothing behind in $TMPDIR.
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
