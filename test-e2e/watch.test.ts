/**
 * hmmci watch end to end on the real default tree: a real public-inbox (public-inbox-mda) holding
 * the break-test-at-2 series, a non-HMM patch and spam; `hmmci watch --once` tests exactly the HMM
 * series with the real build and QEMU, answers with a reply naming the regression (no Tested-by)
 * and `fail` check records; a second `--once` does nothing. Lean: the default config and the
 * shared cache, so the baseline (cached by run.test.ts) and the build are reused; --reruns 0.
 */
import t from 'tap';
import { hmmci, root } from './helpers.js';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitMbox, textLines } from '../src/series/mbox.js';
import { createPublicInbox, publicInboxMissing } from '../tools/public-inbox/fixture.js';

t.test(
  'watch --once on the real tree: the HMM series tested, its regression answered',
  { skip: publicInboxMissing() },
  async (t) => {
    const work = mkdtempSync(join(tmpdir(), 'hmmci-e2e-watch-'));
    const inbox = createPublicInbox({ root: join(work, 'pi') });
    t.teardown(async () => {
      await inbox.close();
      rmSync(work, { recursive: true, force: true });
    });
    const series = [
      ...splitMbox(textLines(readFileSync(join(root, 'fixtures/series/break-test-at-2.mbox'), 'utf8'))),
    ].map((m) => `${m.lines.join('\n')}\n`);
    for (const m of series) t.equal(inbox.deliver(m), undefined);
    inbox.deliver(
      'From: Pat <pat@example.org>\nTo: linux-mm@kvack.org\nSubject: [PATCH] mm/page_alloc: comment\nDate: Sun, 29 Nov 2026 09:00:00 +0000\nMessage-ID: <pa.1@example.org>\n\nA comment.\n\nSigned-off-by: Pat <pat@example.org>\n---\ndiff --git a/mm/page_alloc.c b/mm/page_alloc.c\n--- a/mm/page_alloc.c\n+++ b/mm/page_alloc.c\n@@ -1,1 +1,2 @@\n // SPDX-License-Identifier: GPL-2.0-only\n+/* c */\n',
    );
    inbox.deliver(
      'From: Win <win@spam.example>\nTo: linux-mm@kvack.org\nSubject: You won\nDate: Sun, 29 Nov 2026 09:01:00 +0000\nMessage-ID: <spam.1@spam.example>\n\nClick.\n',
    );
    const state = join(work, 'state');
    const args = [
      'watch',
      '--inbox',
      inbox.dir,
      '--once',
      '--json',
      '--state',
      state,
      '--outbox',
      join(work, 'outbox'),
      '--reruns',
      '0',
      '--tested-by',
      'CI <ci@example.org>',
    ];
    const r = await hmmci(args);
    t.equal(r.code, 0, 'exit 0', { stderr: r.stderr.slice(-3000) });
    const summary = JSON.parse(r.stdout) as { scanned: number; tested: string[]; skipped: number };
    t.same(summary.tested, ['cover.1795256716.git.dana.mirror@example.org v1']);
    t.equal(summary.scanned, 7);
    t.match(r.stderr, /skipped pa\.1@example\.org v1 .*touches none of the HMM files \(mm\/page_alloc\.c\)/);
    const replies = readdirSync(join(work, 'outbox', 'new'));
    t.equal(replies.length, 1);
    const mail = readFileSync(join(work, 'outbox', 'new', replies[0] as string), 'utf8');
    t.match(mail, 'In-Reply-To: <cover.1795256716.git.dana.mirror@example.org>');
    t.match(mail, /REGRESSION\s+hmm2\.hmm2_device_coherent\.snapshot: pass -> fail/);
    t.notMatch(mail, /Tested-by: CI/, 'a regression: no Tested-by');
    t.match(mail, /hmmci run cover\.1795256716\.git\.dana\.mirror@example\.org --base [0-9a-f]{40}/);
    const checks = readFileSync(join(state, 'checks.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { state: string; context: string });
    t.equal(checks.length, 4);
    t.ok(checks.every((c) => c.state === 'fail' && c.context === 'hmmci'));
    const again = await hmmci(args);
    t.equal(again.code, 0);
    t.same((JSON.parse(again.stdout) as { tested: string[] }).tested, [], 'a second --once does nothing');
  },
);
