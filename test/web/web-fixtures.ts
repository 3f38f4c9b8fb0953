import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import type { RunRecord } from '../../src/report/index.js';
import type { TestRunResult } from '../../src/results/types.js';
import { record } from '../report/records.js';

/** Hostile text a mail can carry: markup, a terminal title escape, a bidi override. */
export const HOSTILE_TITLE = '[PATCH 0/2] mm/hmm: <script>alert("pwned")</script> \x1b]0;owned\x07 fix \u202eevil';
export const HOSTILE_AUTHOR = 'Eve <img src=x onerror="alert(2)"> <eve@example.org>';
export const HOSTILE_MSGID = '<x"><script>alert(3)</script>@evil.example>';

/**
 * A run directory with a record over the fixture results (constructed: the record shape
 * src/run writes, with the oops fixture as the patched side), its logs, .config and series.
 */
export function writeRunDir(
  runsDir: string,
  opts: {
    id: string;
    createdAt: string;
    hostile?: boolean;
    patched?: string[];
    baseline?: string;
    consoleBytes?: number;
    slower?: number;
  },
): RunRecord {
  const dir = join(runsDir, opts.id);
  mkdirSync(dir, { recursive: true });
  const base = structuredClone(
    record(
      opts.baseline ?? 'baseline-58-pass',
      opts.patched ?? ['patched-coherent-remote-snapshot-fails', 'patched-coherent-remote-snapshot-fails'],
    ),
  );
  const r: RunRecord = {
    ...base,
    id: opts.id,
    createdAt: opts.createdAt,
    finishedAt: opts.createdAt,
    runDir: dir,
    artifacts: {
      dir,
      series: join(dir, 'series.mbox'),
      config: join(dir, 'config'),
      patchedBuildLog: join(dir, 'patched.build.log'),
      baselineConsole: join(dir, 'baseline.console.log'),
      patchedConsoles: [
        join(dir, 'patched.console.log'),
        ...base.reruns.map((_, i) => join(dir, `patched.rerun${i + 1}.console.log`)),
      ],
    },
  };
  // Constructed durations (the fixture results carry none): stable per test, a little slower patched.
  const timed = (x: TestRunResult | null, slower: number) =>
    x?.tests.forEach((t, i) => {
      t.durationMs ??= 40 + ((i * 37) % 200) + slower;
    });
  timed(r.baseline, 0);
  [r.patched, ...r.reruns].forEach((x) => timed(x, opts.slower ?? 0));
  if (opts.hostile) r.series = { ...r.series, title: HOSTILE_TITLE, author: HOSTILE_AUTHOR, messageId: HOSTILE_MSGID };
  writeFileSync(
    join(dir, 'config'),
    '# Linux/x86 6.12.117 Kernel Configuration\nCONFIG_HMM_MIRROR=y\nCONFIG_TEST_HMM=m\n',
  );
  writeFileSync(
    join(dir, 'patched.build.log'),
    'make -C /src O=/build bzImage modules\n  CC      mm/hmm.o\n  LD      vmlinux\n',
  );
  const consoleText =
    '[    0.000000] Linux version 6.12.117\n[    2.100000] # RUN hmm2.hmm2_device_coherent.snapshot ...\n\x1b[31m[    2.2] hostile \x1b]0;title\x07 escape in a log\n';
  writeFileSync(join(dir, 'baseline.console.log'), consoleText);
  for (const p of r.artifacts.patchedConsoles) {
    if (opts.consoleBytes) {
      const line = '[  123.456789] hmm-tests: a line of console output that pads the log to its size\n';
      const n = Math.ceil(opts.consoleBytes / line.length);
      writeFileSync(p, `${consoleText}${line.repeat(n)}# FAIL hmm2.hmm2_device_coherent.snapshot\n`);
    } else writeFileSync(p, consoleText);
  }
  writeFileSync(join(dir, 'series.mbox'), hostileMbox(opts.hostile ? HOSTILE_TITLE : r.series.title));
  writeFileSync(join(dir, 'record.json'), `${JSON.stringify(r, null, 2)}\n`);
  return r;
}

function hostileMbox(subject: string): string {
  return `From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001
From: Eve Example <eve@example.org>
Date: Fri, 20 Nov 2026 09:30:00 +0000
Subject: ${subject.replace(/[\r\n]/g, ' ').replace('0/2', '1/1')}
Message-ID: <20261120093000.1-eve@example.org>

lib/test_hmm: a change

Signed-off-by: Eve Example <eve@example.org>
Reviewed-by: Rev <script>x</script> <rev@example.org>
---
 lib/test_hmm.c | 1 +
 1 file changed, 1 insertion(+)

diff --git a/lib/test_hmm.c b/lib/test_hmm.c
--- a/lib/test_hmm.c
+++ b/lib/test_hmm.c
@@ -1,3 +1,4 @@
 a
+b
 c
 d
-- 
2.39.5

`;
}

/** Debian's Chromium (playwright-core downloads no browser here), headless, no network of its own. */
export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A page in a fresh Chromium (closed when the test ends) that records every dialog (dismissed)
 * and every URL it requests: what the escaping and no-network checks look at.
 */
export async function watchedPage(t: { teardown: (fn: () => Promise<void>) => void }) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  t.teardown(() => browser.close());
  const page: Page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  return { page, dialogs, requests };
}
