// End to end on the real default tree: prepare (unpack Debian's linux-source-6.12 tarball and
// commit it), configure with the shipped fragments, build bzImage + modules, then check that a
// second build is a no-op. Prints the measured times and the cache size.
import t from 'tap';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { cacheLayout, cacheRoot } from '../src/common/cache.js';
import { createReporter, formatMs } from '../src/common/progress.js';
import { buildKernel } from '../src/build/build.js';
import { configure, resolveConfigInputs } from '../src/kconfig/configure.js';
import { configIsCurrent } from '../src/kconfig/current.js';
import { prepareDefaultTree, findDefaultTree } from '../src/tree/default-tree.js';
import { acquireSlot } from '../src/tree/slots.js';

const cache = cacheLayout(cacheRoot());
const reporter = createReporter({ throttleMs: 15_000 });
const nice = Number(process.env.HMMCI_E2E_NICE ?? 10);

t.test('default tree → config → build → no-op rebuild', async (t) => {
  const already = await findDefaultTree(cache);
  let started = Date.now();
  const tree = await prepareDefaultTree({ cache, reporter });
  const prepareMs = Date.now() - started;
  t.comment(
    `tree prepare: ${formatMs(prepareMs)}${already ? ' (already prepared)' : ''}; baseline ${tree.baseline} (linux ${tree.version})`,
  );
  t.equal(tree.kind, 'default');
  t.match(tree.baseline, /^[0-9a-f]{40}$/);
  t.match(tree.version ?? '', /^6\.12\.\d+$/);
  t.ok(existsSync(join(tree.path, 'mm', 'hmm.c')));

  const inputs = resolveConfigInputs();
  const slot = await acquireSlot({ tree, rev: tree.baseline, configKey: inputs.key, cache, reporter });
  t.teardown(() => slot.release());
  started = Date.now();
  const cfg = await configure({ srcDir: slot.worktree, buildDir: slot.buildDir, inputs, reporter });
  t.comment(
    `configure: ${formatMs(Date.now() - started)}; config ${cfg.configHash}, ${cfg.requested.length} options requested, all landed`,
  );
  t.same(cfg.missing, [], 'every requested option landed');
  t.ok(await configIsCurrent({ buildDir: slot.buildDir, srcDir: slot.worktree, key: inputs.key }));

  const first = await buildKernel({ srcDir: slot.worktree, buildDir: slot.buildDir, nice, reporter });
  t.comment(
    `build: ${formatMs(first.ms)} (${first.compiled} compiled, ${first.linked} linked, ${first.warnings.length} warnings)`,
  );
  t.ok(first.ok);
  t.equal(first.artifacts.bzImage, join(slot.buildDir, 'arch/x86/boot/bzImage'));
  t.ok(statSync(first.artifacts.bzImage!).size > 500_000, 'bzImage looks like a kernel');
  t.ok(first.artifacts.modules.includes(join(slot.buildDir, 'lib/test_hmm.ko')), 'lib/test_hmm.ko built');
  t.same(first.errors, []);

  const second = await buildKernel({ srcDir: slot.worktree, buildDir: slot.buildDir, nice, reporter });
  t.comment(`no-op build: ${formatMs(second.ms)}`);
  t.ok(second.noop, 'nothing recompiled or relinked');
  t.ok(second.ms < 60_000, 'a no-op build takes seconds');

  const du = execFileSync('du', ['-sh', cache.root], { encoding: 'utf8' }).split('\t')[0];
  t.comment(`cache size: ${du} (${cache.root})`);
});
