#!/usr/bin/env node
/**
 * Run several compiled test files in one process (tools/run-tests.mjs batches the light ones: a
 * process costs ~0.15-0.6 CPU-seconds before the first test). Each file is a subtest of the root
 * named by its path, and the file's own `t` (.test-build/node_modules/tap, written by
 * tools/build-tests.mjs) is that subtest while it runs: its tests, hooks and teardowns stay inside
 * it, one file after the other, as `tap`'s runner would show them.
 *
 *   node .test-build/tools/test-batch.mjs file.test.js…
 */
import { t as root } from 'tap';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const cwd = process.cwd();
for (const file of process.argv.slice(2)) {
  root.test(relative(cwd, resolve(file)), async (sub) => {
    globalThis.__hmmciFileTest = sub;
    await import(pathToFileURL(resolve(file)).href);
  });
}
