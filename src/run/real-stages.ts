import { readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { run as exec } from '../common/exec.js';
import { buildKernel, kbuildCommand, type KbuildCommand } from '../build/index.js';
import { testKernel } from '../guest/index.js';
import { configure, resolveConfigInputs } from '../kconfig/configure.js';
import { currentConfigStamp } from '../kconfig/current.js';
import { defaultFragments } from '../kconfig/key.js';
import { applySeries, resolveBase } from '../series/index.js';
import { loadSeries } from '../series/load.js';
import type { Series } from '../series/types.js';
import { resolveTree } from '../tree/resolve.js';
import { acquireSlot, resetWorktree } from '../tree/slots.js';
import type { ConfigVariant, LoadedSeries, Stages } from './stages.js';

/** Builds run under `nice -n 10`: a run in the background leaves the machine usable. */
export const BUILD_NICE = 10;

/** The exact make command `hmmci run` builds with (the benchmark's floor runs the same). */
export function runMakeCommand(srcDir: string, buildDir: string, jobs: number): KbuildCommand {
  return kbuildCommand({ srcDir, buildDir, jobs, nice: BUILD_NICE });
}

/** hmmci's default config fragments (kernel-configs/base-x86_64-qemu.config, hmm.config), full paths. */
export const DEFAULT_FRAGMENTS: readonly string[] = defaultFragments();

/** mboxrd: a body line `From …` (or `>From …`) gets one more `>`, so the file splits back the same. */
function mboxrdEscape(body: string): string {
  const text = body.replace(/^(>*From )/gm, '>$1');
  return text.endsWith('\n') ? text : `${text}\n`;
}

export function mboxOf(s: Series): string {
  const msgs: string[] = [];
  if (s.cover) {
    // The cover keeps only its bare subject: give it back its [PATCH vN 0/M] so it reads as the cover.
    const total = s.patches[0]?.total ?? s.patches.length;
    const prefix = `[PATCH${s.version > 1 ? ` v${s.version}` : ''} 0/${total}]`;
    msgs.push(`From mboxrd@z Thu Jan  1 00:00:00 1970\nSubject: ${prefix} ${s.cover.subject}\nMessage-ID: <${s.cover.messageId}>\n\n${mboxrdEscape(s.cover.body)}`);
  }
  for (const p of s.patches) {
    msgs.push(`From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: ${p.author}\nDate: ${p.rawDate}\nSubject: ${p.rawSubject}\nMessage-ID: <${p.messageId}>\n\n${mboxrdEscape(p.body)}`);
  }
  return msgs.join('\n');
}

/** The cover letter's subject with the series' bracket prefix (`[PATCH v2 0/4] …`), for replies. */
function coverTitle(s: Series): string | undefined {
  if (!s.cover) return undefined;
  if (/^\[/.test(s.cover.subject)) return s.cover.subject;
  const m = /^\[([^\]]*?)\s*\d+\/(\d+)\]/.exec(s.patches[0]?.rawSubject ?? '');
  return m ? `[${m[1]} 0/${m[2]}] ${s.cover.subject}`.replace('[ ', '[') : s.cover.subject;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

async function firstLine(bin: string, args: string[]): Promise<string> {
  const r = await exec(bin, args).catch(() => undefined);
  return (r?.stdout || r?.stderr || '').split('\n')[0]?.trim() || `${bin} (unknown version)`;
}

/** The real stages: the tree, series, kconfig, build and guest modules. */
export function realStages(): Stages {
  const keys = new Map<string, string>();
  const inputsOf = (v: ConfigVariant) => resolveConfigInputs({ fragments: v.fragments, extra: v.extra });
  return {
    resolveTree: (req, ctx) => resolveTree({ tree: req.tree, cache: ctx.cache, reporter: ctx.reporter, signal: ctx.signal }),
    async loadSeries(input, tree, ctx): Promise<LoadedSeries> {
      const s = await loadSeries(input, { tree: tree.kind === 'user' ? tree.path : undefined, reporter: ctx.reporter, signal: ctx.signal });
      const first = s.patches[0];
      return {
        input,
        title: coverTitle(s) ?? first?.rawSubject ?? basename(input),
        patches: s.patches.map((p) => p.rawSubject),
        ...(first?.author ? { author: first.author } : {}),
        ...((s.cover?.messageId ?? first?.messageId) ? { messageId: s.cover?.messageId ?? first?.messageId } : {}),
        ...(s.baseCommit ? { base: s.baseCommit } : {}),
        mbox: isFile(input) ? readFileSync(input, 'utf8') : mboxOf(s),
        patchTexts: s.patches.map((p) => p.diff),
        handle: s,
      };
    },
    async chooseBase(req, ctx) {
      const s = req.series.handle as Series;
      const b = await resolveBase({ repo: req.tree.path, baseCommit: s.baseCommit, option: req.option, baseline: req.tree.baseline, baselineName: req.tree.kind === 'default' ? `(Debian linux-source ${req.tree.version ?? ''})`.replace(' )', ')') : 'HEAD', signal: ctx.signal });
      return { base: b.base, reason: b.reason };
    },
    configKey(v) {
      const id = JSON.stringify(v);
      let k = keys.get(id);
      if (!k) {
        k = inputsOf(v).key;
        keys.set(id, k);
      }
      return k;
    },
    acquireSlot: (req, ctx) => acquireSlot({ tree: req.tree, rev: req.rev, configKey: req.configKey, cache: ctx.cache, reporter: ctx.reporter, signal: ctx.signal }),
    resetSlot: (slot, rev) => resetWorktree(slot.worktree, rev),
    async applySeries(req, ctx) {
      const r = await applySeries({ series: req.series.handle as Series, worktree: req.worktree, base: req.base, reporter: ctx.reporter, signal: ctx.signal });
      return { base: r.base, baseReason: r.baseReason, commits: r.commits.map((c) => ({ sha: c.sha, index: c.index, subject: c.subject })) };
    },
    async configure(req, ctx) {
      const inputs = inputsOf(req.variant);
      // Same inputs and no Kconfig file changed since the slot was configured (the usual case for
      // a series that only touches C files): the .config is current, skip the ~15 s configure.
      const stamp = await currentConfigStamp({ buildDir: req.buildDir, srcDir: req.srcDir, key: inputs.key });
      if (stamp) {
        return { configPath: join(req.buildDir, '.config'), configHash: stamp.configHash, reused: true };
      }
      const r = await configure({ srcDir: req.srcDir, buildDir: req.buildDir, inputs, reporter: ctx.reporter, signal: ctx.signal });
      return { configPath: r.configPath, configHash: r.configHash };
    },
    async build(req, ctx) {
      const r = await buildKernel({ srcDir: req.srcDir, buildDir: req.buildDir, jobs: req.jobs, nice: BUILD_NICE, reporter: ctx.reporter, signal: ctx.signal });
      return { logPath: r.logPath };
    },
    async test(req, ctx) {
      const r = await testKernel({ srcDir: req.srcDir, buildDir: req.buildDir, runner: req.runner, cache: ctx.cache, reporter: ctx.reporter, signal: ctx.signal, logDir: req.logDir, ...req.guest });
      return { result: r.result, consoleLogPath: r.consoleLogPath, accel: r.accel, runner: r.runner };
    },
    async toolchain() {
      return { gcc: await firstLine('gcc', ['--version']), qemu: await firstLine('qemu-system-x86_64', ['--version']) };
    },
  };
}
