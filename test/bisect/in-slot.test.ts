/**
 * The bisect jobs in a slot, over a real git history of the fake kernel tree (tools/fake-kernel):
 * real worktrees, real incremental `make O=` builds. Only the guest is stood in for: "booting"
 * reads which planted bug the built worktree carries and answers with the shared 58-test fixture,
 * the planted test failing.
 */
import t from 'tap';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheLayout } from '../../src/common/cache.js';
import { run } from '../../src/common/exec.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import { bisectRange, bisectSeries } from '../../src/bisect/in-slot.js';
import { rangeCommits } from '../../src/bisect/range.js';
import { touchesKconfig, type KernelPipeline } from '../../src/bisect/slot-tester.js';
import { adoptUserTree } from '../../src/tree/resolve.js';
import { fakeKernelRepo, gitSync, tempDir } from '../../tools/fake-kernel/fixture.js';
import { BASELINE } from './history.js';

const SNAPSHOT = 'hmm2.hmm2_device_coherent.snapshot';
const work = tempDir('hmmci-bisect-');
t.teardown(() => rmSync(work, { recursive: true, force: true }));

/** A user's checkout with n commits after the root, alternately changing mm/hmm.c and
 * mm/migrate_device.c; `bugAt` plants the bug, `brokenBuild` breaks the build of that file until
 * the next commit that changes it. */
function userRepo(name: string, opts: { n: number; bugAt?: number; brokenBuild?: number[] }): string {
  const repo = fakeKernelRepo(join(work, name));
  for (let i = 1; i <= opts.n; i++) {
    const file = i % 2 ? 'mm/hmm.c' : 'mm/migrate_device.c';
    let text = readFileSync(join(repo, file), 'utf8');
    text = text.replace(/\/\* BROKEN \*\/.*\n/, '');
    text += `/* change ${i} */\n`;
    if (opts.bugAt === i) writeFileSync(join(repo, 'lib', 'BUG-snapshot'), 'planted\n');
    if (opts.brokenBuild?.includes(i)) text += '/* BROKEN */ int oops; int oops(void) { return 0; }\n';
    writeFileSync(join(repo, file), text);
    gitSync(repo, ['add', '-f', '-A']);
    gitSync(repo, ['commit', '-q', '-m', `mm: change ${i}`]);
  }
  gitSync(repo, ['tag', 'good', `HEAD~${opts.n}`]);
  // Work in progress the bisect must not touch.
  writeFileSync(join(repo, 'mm', 'hmm.c'), `${readFileSync(join(repo, 'mm', 'hmm.c'), 'utf8')}/* wip */\n`);
  return repo;
}

const shared = { repo: '' };
t.before(() => {
  shared.repo = userRepo('user', { n: 6, bugAt: 2, brokenBuild: [3] });
});

function snapshot(repo: string) {
  return {
    head: gitSync(repo, ['rev-parse', 'HEAD']),
    branch: gitSync(repo, ['symbolic-ref', 'HEAD']),
    refs: gitSync(repo, ['for-each-ref', '--format=%(refname) %(objectname)']),
    status: gitSync(repo, ['status', '--porcelain=v2', '--untracked-files=all', '--ignored']),
    index: readFileSync(join(repo, '.git', 'index')).toString('hex'),
    hmm: readFileSync(join(repo, 'mm', 'hmm.c'), 'utf8'),
  };
}

/** Real fake-kbuild builds; a stand-in guest. Records what each build compiled. */
function fakePipeline() {
  const compiled: string[][] = [];
  const reconfigured: boolean[] = [];
  const builtIn = new Set<string>();
  const pipeline: KernelPipeline = {
    async build({ srcDir, buildDir, reconfigure }) {
      reconfigured.push(reconfigure);
      builtIn.add(`${srcDir} ${buildDir}`);
      if (!existsSync(join(buildDir, '.config'))) {
        const cfg = await run('make', ['-s', '-C', srcDir, `O=${buildDir}`, 'tinyconfig']);
        if (cfg.exitCode !== 0) throw new Error(cfg.stderr);
      }
      const r = await run('make', ['-C', srcDir, `O=${buildDir}`, 'bzImage']);
      compiled.push(
        r.stdout
          .split('\n')
          .filter((l) => /^\s+CC\s/.test(l))
          .map((l) => l.trim().split(/\s+/)[1]!),
      );
      if (r.exitCode !== 0)
        return {
          ok: false,
          kind: 'build',
          message: `make exit ${r.exitCode}`,
          logPath: join(buildDir, 'build.log'),
          details: r.stderr.split('\n').filter((l) => l.includes('error:')),
        };
      return {
        ok: true,
        logPath: join(buildDir, 'build.log'),
        artifacts: {
          bzImage: join(buildDir, 'arch/x86/boot/bzImage'),
          testHmmKo: join(buildDir, 'lib/test_hmm.ko'),
          config: join(buildDir, '.config'),
        },
      };
    },
    async boot({ srcDir }) {
      let bug = false;
      try {
        readFileSync(join(srcDir, 'lib', 'BUG-snapshot'));
        bug = true;
      } catch {
        /* no planted bug */
      }
      const tests = BASELINE.tests.map((x) => (bug && x.name === SNAPSHOT ? { ...x, status: 'fail' as const } : x));
      return {
        ok: true,
        result: { ...BASELINE, tests },
        consoleLogPath: join(srcDir, 'console.log'),
        accel: 'tcg',
        runner: 'qemu',
      };
    },
  };
  return { pipeline, compiled, builtIn, reconfigured };
}

t.test('range: first-parent commits from --good to --bad, oldest first', async (t) => {
  const tree = await adoptUserTree(shared.repo);
  const commits = await rangeCommits(tree, 'good', 'HEAD');
  t.same(
    commits.map((c) => c.index),
    [0, 1, 2, 3, 4, 5, 6],
  );
  t.equal(commits[0]!.sha, gitSync(shared.repo, ['rev-parse', 'good']).trim());
  t.equal(commits[0]!.subject, 'Linux 6.12-fake');
  t.equal(commits[6]!.subject, 'mm: change 6');
  await t.rejects(rangeCommits(tree, 'HEAD', 'good'), { exitCode: ExitCode.TREE, message: /is not an ancestor/ });
  await t.rejects(rangeCommits(tree, 'good', 'good'), { exitCode: ExitCode.TREE, message: /same commit/ });
  await t.rejects(rangeCommits(tree, 'good', 'no-such-rev'), {
    exitCode: ExitCode.TREE,
    message: /no-such-rev does not exist/,
  });
});

t.test(
  '--good/--bad bisect runs in a slot of ours, incrementally, steps around what does not build, and never touches the user checkout',
  async (t) => {
    // Commit 2 plants the bug; commit 3 does not build (commit 5, the next change to mm/hmm.c, mends it).
    const repo = shared.repo;
    const before = snapshot(repo);
    const cache = cacheLayout(join(work, 'cache-range'));
    const tree = await adoptUserTree(repo);
    const { pipeline, compiled, builtIn, reconfigured } = fakePipeline();
    const { report, worktree, buildDir, commits } = await bisectRange({
      tree,
      cache,
      configKey: 'fake',
      pipeline,
      good: 'good',
      bad: 'HEAD',
    });
    t.match(report, {
      status: 'found',
      firstBad: { index: 2, total: 6, subject: 'mm: change 2' },
      flipped: [SNAPSHOT],
      skipped: [commits[3]!.sha],
    });
    t.same(
      report.steps.map((s) => [s.index, s.verdict]),
      [
        [0, 'good'],
        [6, 'bad'],
        [3, 'skip'],
        [2, 'bad'],
        [1, 'good'],
        [2, 'bad'],
      ],
    );
    t.match(report.steps[2], { reason: 'does not build' });
    t.ok(
      worktree.startsWith(cache.worktrees) && buildDir.startsWith(cache.root),
      `the slot is in the cache (${worktree}, ${buildDir})`,
    );
    t.same([...builtIn], [`${worktree} ${buildDir}`], 'every step used the same worktree and build dir');
    t.same(compiled[0]!.sort(), ['init/main.o', 'mm/hmm.o', 'mm/migrate_device.o'], 'the first build is a full one');
    for (const c of compiled.slice(1)) t.ok(c.length < 3, `later builds are incremental (${c.join(' ') || 'nothing'})`);
    t.same(snapshot(repo), before, 'HEAD, branch, refs, index, status and the work in progress are untouched');
    t.same(reconfigured, [true, false, false, false, false, false], 'configured once: no step changes a Kconfig file');
  },
);

t.test('series: the patches applied in the slot are bisected', async (t) => {
  const repo = userRepo('series', { n: 4, bugAt: 3 });
  const tree = await adoptUserTree(repo);
  const { pipeline } = fakePipeline();
  // Stand-in for applySeries: cherry-pick commits 1..4 of the history onto `good` in the worktree.
  const picks = gitSync(repo, ['rev-list', '--reverse', 'good..HEAD']).trim().split('\n');
  const { report } = await bisectSeries({
    tree,
    cache: cacheLayout(join(work, 'cache-series')),
    configKey: 'fake',
    pipeline,
    baseRev: 'good',
    async apply(worktree, base) {
      t.equal(gitSync(worktree, ['rev-parse', 'HEAD']).trim(), base, 'the slot is at the base');
      const commits = [];
      for (const [i, sha] of picks.entries()) {
        gitSync(worktree, ['-c', 'user.name=x', '-c', 'user.email=x@x', 'cherry-pick', '--allow-empty', sha]);
        commits.push({
          index: i + 1,
          sha: gitSync(worktree, ['rev-parse', 'HEAD']).trim(),
          subject: gitSync(worktree, ['log', '-1', '--format=%s']).trim(),
        });
      }
      return { base, commits };
    },
  });
  t.match(report, { status: 'found', firstBad: { index: 3, total: 4, subject: 'mm: change 3' } });
});

t.test('which changes make a step configure again', async (t) => {
  t.ok(touchesKconfig(['mm/Kconfig']));
  t.ok(touchesKconfig(['lib/Kconfig.debug']));
  t.ok(touchesKconfig(['arch/x86/configs/x86_64_defconfig']));
  t.ok(touchesKconfig(['kernel/configs/tiny.config']));
  t.ok(touchesKconfig(['scripts/kconfig/confdata.c']));
  t.notOk(
    touchesKconfig(['mm/hmm.c', 'lib/test_hmm.c', 'include/linux/hmm.h', 'tools/testing/selftests/mm/hmm-tests.c']),
  );
  t.notOk(touchesKconfig(['Documentation/mm/hmm.rst', 'mm/Makefile']));
});

t.test(
  'range: a merged topic branch is one step of the first-parent line; a good commit only on the side branch is refused',
  async (t) => {
    const repo = fakeKernelRepo(join(work, 'merges'));
    const commit = (file: string, msg: string) => {
      writeFileSync(join(repo, file), `${readFileSync(join(repo, file), 'utf8')}/* ${msg} */\n`);
      gitSync(repo, ['commit', '-q', '-am', msg]);
    };
    gitSync(repo, ['tag', 'v1']);
    commit('mm/hmm.c', 'main 1');
    gitSync(repo, ['checkout', '-q', '-b', 'topic', 'v1']);
    commit('lib/test_hmm.c', 'topic 1');
    commit('lib/test_hmm.c', 'topic 2');
    gitSync(repo, ['checkout', '-q', 'main']);
    gitSync(repo, ['merge', '-q', '--no-ff', '-m', 'Merge branch topic', 'topic']);
    commit('mm/hmm.c', 'main 2');
    const tree = await adoptUserTree(repo);
    const commits = await rangeCommits(tree, 'v1', 'main');
    t.same(
      commits.map((c) => c.subject),
      ['Linux 6.12-fake', 'main 1', 'Merge branch topic', 'main 2'],
    );
    await t.rejects(rangeCommits(tree, 'topic~1', 'main'), {
      exitCode: ExitCode.TREE,
      message: /first-parent history/,
    });
  },
);
