import t from 'tap';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheLayout } from '../../src/common/cache.js';
import { silentReporter } from '../../src/common/progress.js';
import { loadSeries } from '../../src/series/load.js';
import { DEFAULT_FRAGMENTS, mboxOf, realStages } from '../../src/stages/real-stages.js';
import { copyFakeKernel, fakeKernelRepo, gitSync, tempDir } from '../../tools/fake-kernel/fixture.js';
import { errorWith } from '../helpers/match.js';
import { scratchDir } from '../helpers/scratch.js';

const FIXTURES = new URL('../../fixtures/series/', import.meta.url).pathname;

t.test(
  'the series mbox kept in a run directory reads back as the same series (mboxrd, From lines escaped)',
  async (t) => {
    for (const input of ['folder-v3-5', 'malformed/from-escapes.mboxrd', 'benign-3.mbox']) {
      const s = await loadSeries(join(FIXTURES, input));
      const file = join(scratchDir('hmmci-mbox-'), 'series.mbox');
      writeFileSync(file, mboxOf(s));
      const back = await loadSeries(file);
      t.same(
        back.patches.map((p) => p.subject),
        s.patches.map((p) => p.subject),
        `${input}: subjects`,
      );
      t.same(
        back.patches.map((p) => p.body),
        s.patches.map((p) => p.body),
        `${input}: bodies as git am gets them`,
      );
      t.same(back.cover?.subject, s.cover?.subject, `${input}: cover`);
      t.same(
        back.patches.map((p) => [p.author, p.messageId, p.index, p.total]),
        s.patches.map((p) => [p.author, p.messageId, p.index, p.total]),
        `${input}: authors, ids, numbering`,
      );
    }
  },
);

t.test(
  'configure and build return a kernel that does not configure or build as a value; a full disk still throws',
  async (t) => {
    const work = tempDir('hmmci-real-stages-');
    t.teardown(() => rmSync(work, { recursive: true, force: true }));
    const srcDir = copyFakeKernel(join(work, 'src'));
    const buildDir = join(work, 'out');
    const stages = realStages();
    const ctx = {
      cache: cacheLayout(join(work, 'cache')),
      reporter: silentReporter,
      signal: new AbortController().signal,
    };
    const variant = { fragments: [...DEFAULT_FRAGMENTS], extra: [] };
    const missing = await stages.configure(
      { srcDir, buildDir, variant: { ...variant, extra: ['CONFIG_NO_SUCH_OPTION=y'] } },
      ctx,
    );
    t.match(missing, {
      ok: false,
      kind: 'config',
      message: /did not land/,
      logPath: /config\.log$/,
      details: [/CONFIG_NO_SUCH_OPTION/],
    });
    const configured = await stages.configure({ srcDir, buildDir, variant }, ctx);
    t.match(configured, { ok: true, configPath: join(buildDir, '.config'), configHash: /^[0-9a-f]+$/ });
    const built = await stages.build({ srcDir, buildDir, jobs: 2 }, ctx);
    t.match(built, {
      ok: true,
      logPath: /build\.log$/,
      artifacts: {
        bzImage: join(buildDir, 'arch/x86/boot/bzImage'),
        testHmmKo: join(buildDir, 'lib/test_hmm.ko'),
        config: join(buildDir, '.config'),
      },
    });
    if (built.ok) t.ok(existsSync(built.artifacts.bzImage));
    process.env.FAKE_KERNEL_FAIL = 'compile';
    try {
      t.match(await stages.build({ srcDir, buildDir, jobs: 2 }, ctx), {
        ok: false,
        kind: 'build',
        message: /did not build/,
        logPath: /build\.log$/,
        details: [/mm\/hmm\.c:\d+/],
      });
      process.env.FAKE_KERNEL_FAIL = 'enospc';
      await t.rejects(
        stages.build({ srcDir, buildDir, jobs: 2 }, ctx),
        errorWith({ exitCode: 7 }),
        'a full disk is the machine, not the kernel',
      );
    } finally {
      delete process.env.FAKE_KERNEL_FAIL;
    }
  },
);

t.test('a series given as data (another process) is read again from its mbox', async (t) => {
  const work = tempDir('hmmci-real-stages-');
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const repo = fakeKernelRepo(join(work, 'linux'));
  const tree = {
    path: repo,
    kind: 'user' as const,
    baseline: gitSync(repo, ['rev-parse', 'HEAD']).trim(),
    id: 'user-linux',
  };
  const ctx = {
    cache: cacheLayout(join(work, 'cache')),
    reporter: silentReporter,
    signal: new AbortController().signal,
  };
  const loaded = await realStages().loadSeries(join(FIXTURES, 'benign-3.mbox'), tree, ctx);
  const asData = JSON.parse(JSON.stringify(loaded)) as typeof loaded;
  t.same(asData, loaded, 'plain data: nothing lost through JSON');
  t.equal(asData.base, '90664afa533cde5b8e224575342753ca5660b82d');
  // Another process's stages never saw the Series object: the mbox gives it back (base-commit included).
  const chosen = await realStages().chooseBase({ tree, series: asData, option: undefined }, ctx);
  t.equal(chosen.base, tree.baseline);
  t.match(chosen.reason, /90664afa533c/, 'the reason names the base-commit the series asked for');
});
