import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CacheLayout } from '../../src/common/cache.js';
import { HmmciError } from '../../src/common/errors.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import { shortHash } from '../../src/common/hash.js';
import type { TestRunResult } from '../../src/results/types.js';
import type {
  BuildOutcome,
  ConfigureOutcome,
  ConfigVariant,
  LoadedSeries,
  StageContext,
  Stages,
  TestOutcome,
} from '../../src/stages/types.js';
import type { KernelTree, Slot } from '../../src/tree/types.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const fixture = (p: string) => join(root, p);
const result = (name: string): TestRunResult =>
  JSON.parse(readFileSync(fixture(`fixtures/results/${name}.json`), 'utf8')) as TestRunResult;

export const BASE = 'b'.repeat(40);
const BASELINE_KERNEL = 'unpatched baseline';

/** What the fake guest returns: by side and by how many times that slot state was tested. */
export type Script = (state: { applied: string | null; call: number }) => string;

export interface FakeOptions {
  /** Fixture result names per test call (default: all pass). */
  results?: Script;
  /** Series inputs whose apply fails (exit 4). */
  applyFails?: string[];
  /** Fail the build: 'baseline' | 'patched'. */
  buildFails?: 'baseline' | 'patched';
  /** The guest produces nothing: 'baseline' | 'patched'. */
  guestFails?: 'baseline' | 'patched';
  /** Milliseconds each test call takes (to exercise locks and queues). */
  testMs?: number;
  /** Called when a test starts (e.g. to abort mid-run). */
  onTest?: (state: { applied: string | null; call: number }) => void;
  /** Implement the optional prepareTest stage, taking this long (ms). */
  prepareMs?: number;
  /** Each boot is two guests (shards): a second console log beside the first. */
  twoGuests?: boolean;
}

interface FakeSlotState {
  slot: Slot;
  applied: string | null;
}

/**
 * Stand-in stage implementations for unit tests of the run orchestration: real fixture series
 * and real fixture results, but no git, make or QEMU. Counts every call so tests can assert what
 * the pipeline did (builds saved by the baseline cache, the slot shared with the baseline…).
 */
export class FakeStages implements Stages {
  readonly calls: string[] = [];
  /** The guest options (`--repeat`…) each test call got. */
  readonly guests: unknown[] = [];
  readonly slots: FakeSlotState[] = [];
  released = 0;
  /** What happened in which order, boots with their build dir ("test baseline <dir>", "test baseline done"). */
  readonly timeline: string[] = [];
  /** Boots per (slot, kernel): the script's `call`. */
  private readonly boots = new Map<string, number>();
  resets = 0;
  private busy = new Set<number>();

  /** Set only with `prepareMs` (the stage is optional): "prepare <side>" … "prepare <side> done". */
  prepareTest?: Stages['prepareTest'];

  constructor(
    private readonly cache: CacheLayout,
    private readonly opts: FakeOptions = {},
  ) {
    const ms = opts.prepareMs;
    if (ms !== undefined)
      this.prepareTest = async (req, ctx) => {
        const side = this.state(req.srcDir).applied ? 'patched' : 'baseline';
        this.timeline.push(`prepare ${side}`);
        await sleep(ms, undefined, { signal: ctx.signal });
        this.timeline.push(`prepare ${side} done`);
      };
  }

  async resolveTree(): Promise<KernelTree> {
    this.calls.push('tree');
    return {
      path: join(this.cache.trees, 'linux-6.12.117'),
      kind: 'default',
      baseline: BASE,
      version: '6.12.117',
      id: 'linux-6.12.117',
    };
  }

  async loadSeries(input: string): Promise<LoadedSeries> {
    this.calls.push(`series ${input}`);
    const mbox = readFileSync(input, 'utf8');
    const subjects = [...mbox.matchAll(/^Subject: (.*)$/gm)].map((m) => m[1] as string);
    const cover = subjects.find((s) => /\b0\/\d+\]/.test(s));
    const patches = subjects.filter((s) => s !== cover);
    const texts = mbox.split(/^From [^\n]*\n/m).filter((p) => p.includes('diff --git'));
    return {
      input,
      title: cover ?? patches[0] ?? input,
      patches,
      mbox,
      patchTexts: texts,
      messageId: '<fake-1@example.org>',
    };
  }

  async chooseBase(req: { tree: KernelTree; option?: string }) {
    return req.option
      ? { base: req.option, reason: `--base ${req.option}` }
      : { base: req.tree.baseline, reason: "the tree's baseline" };
  }

  configKey(v: ConfigVariant): string {
    return shortHash(...v.fragments, '|', ...v.extra);
  }

  async acquireSlot(req: { rev: string; configKey: string }): Promise<Slot> {
    let i = 0;
    while (this.busy.has(i)) i++;
    this.busy.add(i);
    const name = `linux-6.12.117-${req.configKey}-${i + 1}`;
    const worktree = join(this.cache.worktrees, name);
    const buildDir = join(this.cache.builds, name);
    mkdirSync(worktree, { recursive: true });
    mkdirSync(buildDir, { recursive: true });
    const st: FakeSlotState = {
      applied: null,
      slot: {
        worktree,
        buildDir,
        index: i + 1,
        rev: req.rev === 'HEAD' ? BASE : req.rev,
        configKey: req.configKey,
        release: async () => {
          this.busy.delete(i);
          this.released++;
        },
      },
    };
    this.slots.push(st);
    this.calls.push(`slot ${i + 1}`);
    return st.slot;
  }

  private state(dir: string): FakeSlotState {
    const s = this.slots.find((x) => x.slot.worktree === dir);
    if (!s) throw new Error(`no slot ${dir}`);
    return s;
  }

  async resetSlot(slot: Slot): Promise<void> {
    this.resets++;
    this.timeline.push('reset');
    this.state(slot.worktree).applied = null;
  }

  async applySeries(req: { series: LoadedSeries; worktree: string; base: string }) {
    this.calls.push(`apply ${req.series.input}`);
    if (this.opts.applyFails?.includes(req.series.input)) {
      throw new HmmciError(
        `Patch 2/${req.series.patches.length} of ${req.series.input} does not apply to ${req.base.slice(0, 12)}.`,
        { exitCode: ExitCode.APPLY_FAILED, details: ['lib/test_hmm.c: hunk #1 FAILED'] },
      );
    }
    const st = this.state(req.worktree);
    st.applied = req.series.input;
    return {
      base: req.base,
      baseReason: 'the tree baseline',
      commits: req.series.patches.map((subject, i) => ({ sha: `${i + 1}`.repeat(40), index: i + 1, subject })),
    };
  }

  async configure(req: { buildDir: string; variant: ConfigVariant }): Promise<ConfigureOutcome> {
    const side = this.state(req.buildDir.replace(this.cache.builds, this.cache.worktrees)).applied
      ? 'patched'
      : 'baseline';
    this.calls.push(`config ${side}`);
    const configPath = join(req.buildDir, '.config');
    writeFileSync(configPath, `# fake\n${req.variant.extra.join('\n')}\n`);
    return { ok: true, configPath, configHash: this.configKey(req.variant) };
  }

  async build(req: { srcDir: string; buildDir: string }): Promise<BuildOutcome> {
    const side = this.state(req.srcDir).applied ? 'patched' : 'baseline';
    this.calls.push(`build ${side}`);
    this.timeline.push(`build ${side}`);
    const logPath = join(req.buildDir, 'build.log');
    writeFileSync(logPath, `make ${side}\n`);
    if (this.opts.buildFails === side) {
      return {
        ok: false,
        kind: 'build',
        message: `The ${side} kernel does not build.`,
        logPath,
        details: ['mm/hmm.c:12:3: error: expected ;'],
      };
    }
    // kbuild's layout; the "kernel" says which tree it was built from, so a guest booting a copy
    // of it elsewhere (a snapshot) still knows what it runs.
    const artifacts = {
      bzImage: join(req.buildDir, 'arch/x86/boot/bzImage'),
      testHmmKo: join(req.buildDir, 'lib/test_hmm.ko'),
      config: join(req.buildDir, '.config'),
    };
    mkdirSync(join(req.buildDir, 'arch/x86/boot'), { recursive: true });
    mkdirSync(join(req.buildDir, 'lib'), { recursive: true });
    writeFileSync(artifacts.bzImage, `${this.state(req.srcDir).applied ?? BASELINE_KERNEL}\n`);
    writeFileSync(artifacts.testHmmKo, `test_hmm.ko ${side}\n`);
    return { ok: true, logPath, artifacts };
  }

  async test(
    req: { srcDir: string; buildDir: string; runner: 'qemu' | 'vng'; logDir?: string; guest?: unknown },
    ctx: StageContext,
  ): Promise<TestOutcome> {
    this.guests.push(req.guest);
    // What boots is what buildDir holds (the slot's build dir, or a snapshot of it).
    const kernel = readFileSync(join(req.buildDir, 'arch/x86/boot/bzImage'), 'utf8').trim();
    const applied = kernel === BASELINE_KERNEL ? null : kernel;
    const side = applied ? 'patched' : 'baseline';
    const counter = `${req.srcDir}|${kernel}`;
    const call = this.boots.get(counter) ?? 0;
    this.boots.set(counter, call + 1);
    this.calls.push(`test ${side}`);
    this.timeline.push(`test ${side} ${req.buildDir}`);
    this.opts.onTest?.({ applied, call });
    if (this.opts.testMs) await sleep(this.opts.testMs, undefined, { signal: ctx.signal });
    const logDir = req.logDir ?? join(req.buildDir, `guest-${call}`);
    mkdirSync(logDir, { recursive: true });
    const consoleLogPath = join(logDir, 'console.log');
    writeFileSync(consoleLogPath, `console ${side} ${call}\n`);
    if (this.opts.guestFails === side) {
      return {
        ok: false,
        kind: 'no-results',
        message: 'The guest printed nothing after "Booting from ROM" and was stopped after 120 s.',
        logPath: consoleLogPath,
        details: [],
      };
    }
    const name = this.opts.results?.({ applied, call }) ?? 'baseline-58-pass';
    // Like the real guest stage's, kept in the cache by its sources.
    mkdirSync(join(this.cache.initramfs, 'bin'), { recursive: true });
    const hmmTests = join(this.cache.initramfs, 'bin', `hmm-tests-${side}`);
    writeFileSync(hmmTests, `hmm-tests ${side}\n`);
    this.timeline.push(`test ${side} done`);
    const second = join(logDir, 'console-shard2.log');
    if (this.opts.twoGuests) writeFileSync(second, `console ${side} ${call} shard 2\n`);
    return {
      ok: true,
      result: result(name),
      consoleLogPath,
      accel: 'tcg',
      runner: req.runner,
      hmmTests,
      ...(this.opts.twoGuests ? { consoleLogs: [consoleLogPath, second] } : {}),
    };
  }

  async toolchain() {
    return { gcc: 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0', qemu: 'QEMU emulator version 7.2.19' };
  }

  count(prefix: string): number {
    return this.calls.filter((c) => c === prefix || c.startsWith(`${prefix} `)).length;
  }
}
