/**
 * Realistic list traffic for the watcher's tests (constructed, labelled): series made with real
 * `git format-patch --thread --cover-letter -vN --base` against the fake kernel, review replies
 * with trailers, a v2 in reply to v1, a series touching only mm/page_alloc.c, a series missing
 * 2/3, and garbage (HTML-only mail, spam, binary junk, a patch bomb). Plus the stages the tests
 * run with: the real ones on the fake kernel (slot, git am, configure, build), and a guest that
 * returns a real captured result (the fake kernel cannot boot).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFileSync } from 'node:child_process';
import type { TestRunResult } from '../../src/results/types.js';
import { DEFAULT_FRAGMENTS, realStages } from '../../src/run/real-stages.js';
import { defaultWatchSetup, type WatchSetup } from '../../src/watch/setup.js';
import type { Stages, TestOutcome } from '../../src/run/index.js';
import { fakeKernelRepo } from '../../tools/fake-kernel/fixture.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The HMM entry as Linux 6.12's MAINTAINERS has it (lines 10365-10373), between two neighbours. */
export const MAINTAINERS = `HISILICON ZIP Controller DRIVER
M:	Yang Shen <shenyang39@huawei.com>
S:	Maintained
F:	drivers/crypto/hisilicon/zip/

HMM - Heterogeneous Memory Management
M:	Jérôme Glisse <jglisse@redhat.com>
L:	linux-mm@kvack.org
S:	Maintained
F:	Documentation/mm/hmm.rst
F:	include/linux/hmm*
F:	lib/test_hmm*
F:	mm/hmm*
F:	tools/testing/selftests/mm/*hmm*

HONEYWELL HSC030PA PRESSURE SENSOR SERIES IIO DRIVER
M:	Petre Rodan <petre.rodan@subdimension.ro>
F:	drivers/iio/pressure/hsc030pa*
`;

function git(repo: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('git', ['-C', repo, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Dana Mirror',
      GIT_AUTHOR_EMAIL: 'dana@example.org',
      GIT_COMMITTER_NAME: 'Dana Mirror',
      GIT_COMMITTER_EMAIL: 'dana@example.org',
      ...env,
    },
  });
}

export interface Edit {
  file: string;
  line: string;
  subject: string;
}

export interface MadeSeries {
  mails: string[];
  ids: string[];
  cover?: string;
}

/** Commit the edits on a branch from `base`, then `git format-patch` them as a threaded series. */
export function formatSeries(
  repo: string,
  tag: string,
  base: string,
  edits: Edit[],
  o: { version?: number; cover?: string; inReplyTo?: string; author?: string } = {},
): MadeSeries {
  const email = `${o.author ?? 'dana'}+${tag}@example.org`;
  const env = { GIT_COMMITTER_EMAIL: email, GIT_AUTHOR_EMAIL: `${o.author ?? 'dana'}@example.org` };
  git(repo, ['checkout', '-q', '-B', tag, base]);
  for (const e of edits) {
    const p = join(repo, e.file);
    let text = '';
    try {
      text = readFileSync(p, 'utf8');
    } catch {
      /* a new file */
    }
    writeFileSync(p, `${text}${e.line}\n`);
    git(repo, ['add', '-f', e.file], env);
    git(repo, ['commit', '-q', '-s', '-m', `${e.subject}\n\nThis changes ${e.file} (${tag}).`], env);
  }
  const args = [
    'format-patch',
    '--stdout',
    '--thread=shallow',
    `--base=${base}`,
    '--to=linux-mm@kvack.org',
    ...(o.cover ? ['--cover-letter'] : []),
    ...(o.version && o.version > 1 ? [`-v${o.version}`] : []),
    ...(o.inReplyTo ? [`--in-reply-to=${o.inReplyTo}`] : []),
    `${base}..${tag}`,
  ];
  let text = git(repo, args, env);
  if (o.cover)
    text = text
      .replace('*** SUBJECT HERE ***', o.cover)
      .replace('*** BLURB HERE ***', `This series is ${o.cover} (${tag}).`);
  git(repo, ['checkout', '-q', 'main']);
  const mails = text.split(/^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001\n/m).filter((m) => m.trim());
  const ids = mails.map((m) => /^Message-ID: <([^>]+)>/im.exec(m)?.[1] as string);
  return { mails, ids, ...(o.cover ? { cover: ids[0] } : {}) };
}

export function reply(
  to: { id: string; subject: string; refs?: string[] },
  from: string,
  id: string,
  body: string,
): string {
  const refs = [...(to.refs ?? []), to.id].map((r) => `<${r}>`).join(' ');
  return `From: ${from}\nTo: linux-mm@kvack.org\nSubject: Re: ${to.subject}\nDate: Sun, 29 Nov 2026 08:30:00 +0000\nMessage-ID: <${id}>\nIn-Reply-To: <${to.id}>\nReferences: ${refs}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\n${body}\n`;
}

export interface Traffic {
  repo: string;
  base: string;
  /** In delivery order. */
  mails: string[];
  v1: MadeSeries;
  v2: MadeSeries;
  pageAlloc: MadeSeries;
  missing: MadeSeries;
  bombCover: string;
}

/** The fake kernel with MAINTAINERS, and the traffic the issue lists. */
export function makeTraffic(dir: string): Traffic {
  const repo = fakeKernelRepo(join(dir, 'linux'));
  writeFileSync(join(repo, 'MAINTAINERS'), MAINTAINERS);
  git(repo, ['add', '-f', 'MAINTAINERS']);
  git(repo, ['commit', '-q', '-m', 'MAINTAINERS: the HMM entry']);
  const base = git(repo, ['rev-parse', 'HEAD']).trim();
  const hmm1: Edit = {
    file: 'mm/hmm.c',
    line: '/* hmm_range_fault: an empty range is -EINVAL */',
    subject: 'mm/hmm: say what an empty range returns',
  };
  const hmm2: Edit = {
    file: 'lib/test_hmm.c',
    line: '/* dmirror: the device is released on close */',
    subject: 'lib/test_hmm: say when the device is released',
  };
  const hmm3: Edit = {
    file: 'include/linux/hmm.h',
    line: '/* struct hmm_range: end is exclusive */',
    subject: 'mm/hmm: document that range end is exclusive',
  };
  const v1 = formatSeries(repo, 'v1', base, [hmm1, hmm2], { cover: 'mm/hmm: small documentation fixes' });
  const v2 = formatSeries(repo, 'v2', base, [hmm1, hmm2, hmm3], {
    version: 2,
    cover: 'mm/hmm: small documentation fixes',
    inReplyTo: v1.cover,
  });
  const pageAlloc = formatSeries(
    repo,
    'pa',
    base,
    [
      { file: 'mm/page_alloc.c', line: '/* page allocator */', subject: 'mm/page_alloc: add a header comment' },
      { file: 'mm/page_alloc.c', line: '/* more */', subject: 'mm/page_alloc: and another one' },
    ],
    { cover: 'mm/page_alloc: comments', author: 'pat' },
  );
  const missing = formatSeries(
    repo,
    'mig',
    base,
    [
      { file: 'mm/migrate_device.c', line: '/* one */', subject: 'mm/migrate_device: one' },
      { file: 'mm/migrate_device.c', line: '/* two */', subject: 'mm/migrate_device: two' },
      { file: 'mm/migrate_device.c', line: '/* three */', subject: 'mm/migrate_device: three' },
    ],
    { cover: 'mm/migrate_device: three comments', author: 'mia' },
  );
  const subj = (m: string) => /^Subject: (.*)$/m.exec(m)?.[1] as string;
  const v1p1 = { id: v1.ids[1] as string, subject: subj(v1.mails[1] as string), refs: [v1.cover as string] };
  const v2c = { id: v2.cover as string, subject: subj(v2.mails[0] as string), refs: [v1.cover as string] };
  const bombCover = 'bomb.0@spam.example';
  const bomb = [0, 1, 2].map(
    (i) =>
      `From: Bomber <bomb@spam.example>\nTo: linux-mm@kvack.org\nSubject: [PATCH ${i}/500] mm/hmm: part ${i}\nDate: Sun, 29 Nov 2026 08:40:00 +0000\nMessage-ID: <bomb.${i}@spam.example>\n${i ? `In-Reply-To: <${bombCover}>\n` : ''}\n${i ? `diff --git a/mm/hmm.c b/mm/hmm.c\n--- a/mm/hmm.c\n+++ b/mm/hmm.c\n@@ -1 +1,2 @@\n // SPDX-License-Identifier: GPL-2.0\n+/* ${i} */\n` : 'Five hundred patches.\n'}`,
  );
  const mails = [
    ...v1.mails,
    reply(
      v1p1,
      'Rita Reviewer <rita@example.org>',
      'review.1@example.org',
      `On Sun, Dana Mirror wrote:\n> Signed-off-by: Dana Mirror <dana@example.org>\n> Tested-by: Quoted Person <quoted@example.org>\n\nLooks right.\n\nReviewed-by: Rita Reviewer <rita@example.org>`,
    ),
    ...v2.mails,
    reply(
      v2c,
      'Alan Acker <alan@example.org>',
      'ack.2@example.org',
      'For the series:\n\nAcked-by: Alan Acker <alan@example.org>',
    ),
    ...pageAlloc.mails,
    ...missing.mails.filter((_, i) => i !== 2),
    'From: Html Sender <html@example.org>\nTo: linux-mm@kvack.org\nSubject: [PATCH] mm/hmm: fix everything\nDate: Sun, 29 Nov 2026 08:41:00 +0000\nMessage-ID: <html.1@example.org>\nMIME-Version: 1.0\nContent-Type: text/html; charset=UTF-8\n\n<html><body><p>diff --git a/mm/hmm.c b/mm/hmm.c</p><p>+ fixed</p></body></html>\n',
    'From: Pharmacy <win@spam.example>\nTo: linux-mm@kvack.org\nSubject: =?UTF-8?B?V0lOIEJJRyDwn5KwIFx4MWJbMzFt?=\nDate: Sun, 29 Nov 2026 08:42:00 +0000\nMessage-ID: <spam.1@spam.example>\n\nClick \u001b[31mhere\u001b[0m.\n',
    `From: Junk <junk@example.org>\nTo: linux-mm@kvack.org\nSubject: [PATCH 1/1] junk\nDate: Sun, 29 Nov 2026 08:43:00 +0000\nMessage-ID: <junk.1@example.org>\n\n${Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256)).toString('latin1')}\n`,
    ...bomb,
  ];
  return { repo, base, mails, v1, v2, pageAlloc, missing, bombCover };
}

const result = (name: string): TestRunResult =>
  JSON.parse(readFileSync(join(ROOT, `fixtures/results/${name}.json`), 'utf8')) as TestRunResult;

/**
 * The real stages on the fake kernel, except the guest: the fake kernel cannot boot, so `test`
 * returns a real captured hmm-tests result (fixtures/results); a patched boot takes `guestMs`.
 */
export function fakeKernelStages(
  o: { guestMs?: number | ((patchedBoot: number) => number); patched?: string; onTest?: () => void } = {},
): Stages & { tests: number } {
  const real = realStages();
  let patchedBoots = 0;
  const stages = {
    ...real,
    tests: 0,
    async test(
      req: { srcDir: string; buildDir: string; runner: 'qemu' | 'vng'; logDir?: string },
      ctx: { signal: AbortSignal },
    ): Promise<TestOutcome> {
      stages.tests++;
      o.onTest?.();
      const applied = git(req.srcDir, ['log', '-1', '--format=%s']).trim();
      const baseline = applied.startsWith('MAINTAINERS');
      if (!baseline) patchedBoots++;
      const ms = typeof o.guestMs === 'function' ? o.guestMs(patchedBoots) : o.guestMs;
      if (ms && !baseline) await sleep(ms, undefined, { signal: ctx.signal });
      const name = baseline ? 'baseline-58-pass' : (o.patched ?? 'baseline-58-pass');
      const logDir = req.logDir ?? join(req.buildDir, 'guest');
      execFileSync('mkdir', ['-p', logDir]);
      const consoleLogPath = join(logDir, 'console.log');
      writeFileSync(consoleLogPath, `fake guest: ${name}\n`);
      return { ok: true, result: result(name), consoleLogPath, accel: 'tcg', runner: req.runner };
    },
    async toolchain() {
      return { gcc: 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0', qemu: 'QEMU emulator version 7.2.19' };
    },
  };
  return stages;
}

/**
 * The watcher setup the watch tests share: settle 30 min, at most 100 parts, replies to the
 * author in `outbox`, the default config, qemu, no reruns. `over` names the source (inbox or
 * maildir) and anything a test changes.
 */
export function watchSetup(tree: string, state: string, over: Partial<WatchSetup> = {}): WatchSetup {
  return defaultWatchSetup(DEFAULT_FRAGMENTS, { state, outbox: join(state, 'outbox'), tree, reruns: 0, ...over });
}
