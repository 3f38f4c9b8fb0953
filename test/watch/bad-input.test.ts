/**
 * Bad input never stops the watcher and is never tested twice: a subscriber's Maildir holding a
 * 5,000-message thread, a 500-part patch bomb, HTML-only mail, binary junk, a mail without headers
 * or Message-ID; and a public-inbox whose newest epoch is corrupt, then a new epoch appearing.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheLayout } from '../../src/common/cache.js';
import { historyPath, openHistory } from '../../src/history/index.js';
import { silentReporter } from '../../src/common/progress.js';
import { createWatcher, type WatchSetup } from '../../src/watch/setup.js';
import { createPublicInbox, publicInboxMissing } from '../../tools/public-inbox/fixture.js';
import { fakeKernelStages, makeTraffic, watchSetup } from './traffic.js';

t.setTimeout(400_000);

const hmmPatch = (id: string, subject: string, extra = '') =>
  `From: Bo <bo@example.org>\nTo: linux-mm@kvack.org\nSubject: ${subject}\nDate: Sun, 29 Nov 2026 08:00:00 +0000\nMessage-ID: <${id}>\n${extra}\nText.\n\nSigned-off-by: Bo <bo@example.org>\n---\ndiff --git a/mm/hmm.c b/mm/hmm.c\n--- a/mm/hmm.c\n+++ b/mm/hmm.c\n@@ -1 +1,2 @@\n // SPDX-License-Identifier: GPL-2.0\n+/* ${id} */\n`;

// The two cases have their own folders, caches and inboxes and mostly wait on git, make and
// public-inbox: side by side they take the time of the longer one.
t.jobs = 2;

function setupFor(work: string, repo: string, src: { inbox?: string; maildir?: string }): WatchSetup {
  return watchSetup(repo, join(work, 'state'), { ...src, outbox: join(work, 'outbox') });
}

t.test(
  'a Maildir of hostile traffic: each logged with its Message-ID and a reason, the good series tested',
  async (t) => {
    const work = mkdtempSync(join(tmpdir(), 'hmmci-watch-bad-'));
    t.teardown(() => rmSync(work, { recursive: true, force: true }));
    const traffic = makeTraffic(work);
    const md = join(work, 'Maildir');
    for (const d of ['new', 'cur', 'tmp']) mkdirSync(join(md, d), { recursive: true });
    let n = 0;
    const put = (raw: string | Buffer, sub = 'new') =>
      writeFileSync(join(md, sub, `${1764400000 + n++}.M${n}P1.host${sub === 'cur' ? ':2,S' : ''}`), raw);
    for (const m of traffic.v2.mails) put(m, 'cur');
    put(
      'From: Html <html@example.org>\nSubject: [PATCH] mm/hmm: html\nMessage-ID: <html.1@example.org>\nContent-Type: text/html\n\n<p>diff --git a/mm/hmm.c b/mm/hmm.c</p>\n',
    );
    put(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 256)));
    put('no headers at all, just words\n');
    put('From: Nobody <n@example.org>\nSubject: [PATCH] no id\n\ndiff --git a/mm/hmm.c b/mm/hmm.c\n');
    put(
      'From: Rfc <rfc@example.org>\nSubject: [RFC] mm/hmm: what next?\nMessage-ID: <rfc.0@example.org>\n\nThoughts?\n',
    );
    for (let i = 1; i <= 5000; i++)
      put(
        `From: P${i} <p${i}@example.org>\nSubject: Re: [RFC] mm/hmm: what next?\nMessage-ID: <rfc.${i}@example.org>\nIn-Reply-To: <rfc.${i - 1}@example.org>\nReferences: <rfc.0@example.org> <rfc.${i - 1}@example.org>\n\n> quoted\nReviewed-by: P${i} <p${i}@example.org>\n`,
      );
    put(hmmPatch('bomb.0@example.org', '[PATCH 0/500] mm/hmm: everything').replace(/\n---\n[\s\S]*$/, '\n'));
    for (let i = 1; i <= 500; i++)
      put(
        hmmPatch(`bomb.${i}@example.org`, `[PATCH ${i}/500] mm/hmm: part ${i}`, 'In-Reply-To: <bomb.0@example.org>\n'),
      );

    const stages = fakeKernelStages();
    const cache = cacheLayout(join(work, 'cache'));
    const round = async () => {
      const w = await createWatcher(setupFor(work, traffic.repo, { maildir: md }), {
        stages,
        cache,
        reporter: silentReporter,
        signal: new AbortController().signal,
        keepLog: true,
      });
      return { summary: await w.watcher.once(), state: w.watcher.state, log: w.log };
    };
    const started = Date.now();
    const first = await round();
    t.ok(Date.now() - started < 300_000, `5,500 messages in ${Date.now() - started} ms`);
    t.same(first.summary.tested, [`${traffic.v2.cover} v2`], 'the one complete HMM series was tested');
    t.equal(first.summary.scanned, 4 + 5 + 5000 + 501, 'every file read once (the header-less one included)');
    const ev = (id: string) => first.log.events.find((e) => e.msgid === id);
    t.match(ev('html.1@example.org')?.reason, /without a readable diff \(HTML-only/);
    t.match(ev('rfc.0@example.org')?.reason, /not a patch/);
    t.match(ev('rfc.4999@example.org')?.reason, /a reply to no series being followed/);
    t.match(first.state.series['bomb.0@example.org v1'], { status: 'skipped', reason: /patch bomb: 500 parts/ });
    t.equal(
      first.log.events.filter((e) => e.event === 'skipped' && e.series === 'bomb.0@example.org v1').length,
      1,
      'the bomb is recorded once',
    );
    t.ok(
      first.log.events.filter((e) => e.reason === 'no Message-ID header').length >= 1,
      'mail without a Message-ID logged',
    );
    const stored = readdirSync(join(work, 'state')).includes('mail') ? readdirSync(join(work, 'state', 'mail')) : [];
    t.equal(stored.length, 0, 'nothing of the bomb or the thread is kept');
    const db = openHistory(historyPath(cache), { readonly: true });
    const bytes = db
      .prepare(
        'SELECT (SELECT coalesce(sum(length(entry)), 0) FROM watch_series) + (SELECT coalesce(sum(length(message_id) + length(series_key)), 0) FROM watch_messages)',
      )
      .pluck()
      .get() as number;
    db.close();
    t.ok(bytes < 200_000, `the state stays small (${bytes} bytes in the history database)`);
    const second = await round();
    t.same(
      second.summary,
      { scanned: 0, tested: [], skipped: 0, incomplete: [], superseded: [], problems: 0 },
      'nothing twice',
    );
    t.equal(readdirSync(join(work, 'outbox', 'new')).length, 1);
  },
);

t.test(
  'public-inbox: a corrupt epoch is reported and skipped; a new epoch is followed',
  { skip: publicInboxMissing() },
  async (t) => {
    const work = mkdtempSync(join(tmpdir(), 'hmmci-watch-epoch-'));
    const inbox = createPublicInbox({ root: join(work, 'pi') });
    t.teardown(async () => {
      await inbox.close();
      rmSync(work, { recursive: true, force: true });
    });
    const traffic = makeTraffic(work);
    inbox.deliverMany([hmmPatch('noise.1@example.org', 'Re: [PATCH] nothing').replace('diff --git', 'no diff')]);
    // A corrupt epoch: 1.git exists but is not a git repository (a half-copied mirror).
    mkdirSync(join(inbox.dir, 'git', '1.git', 'objects'), { recursive: true });
    writeFileSync(join(inbox.dir, 'git', '1.git', 'HEAD'), 'garbage\n');
    const stages = fakeKernelStages();
    const cache = cacheLayout(join(work, 'cache'));
    const round = async () => {
      const w = await createWatcher(setupFor(work, traffic.repo, { inbox: inbox.dir }), {
        stages,
        cache,
        reporter: silentReporter,
        signal: new AbortController().signal,
        keepLog: true,
      });
      return { summary: await w.watcher.once(), log: w.log };
    };
    const first = await round();
    t.equal(first.summary.scanned, 1, 'epoch 0 read');
    t.equal(first.summary.problems, 1);
    t.match(first.log.events.find((e) => e.event === 'source-problem')?.reason, /epoch 1\.git cannot be read/);
    // The mirror repairs epoch 1 (constructed here the way public-inbox writes one: a bare repository,
    // one commit per message holding the raw mail as blob `m`) holding v2 of the series.
    rmSync(join(inbox.dir, 'git', '1.git'), { recursive: true });
    const e1 = join(inbox.dir, 'git', '1.git');
    execFileSync('git', ['init', '-q', '--bare', e1]);
    let parent: string | undefined;
    for (const m of traffic.v2.mails) {
      const blob = execFileSync('git', ['--git-dir', e1, 'hash-object', '-w', '--stdin'], { input: m })
        .toString()
        .trim();
      const tree = execFileSync('git', ['--git-dir', e1, 'mktree'], { input: `100644 blob ${blob}\tm\n` })
        .toString()
        .trim();
      parent = execFileSync(
        'git',
        ['--git-dir', e1, 'commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', 'mail'],
        {
          env: {
            ...process.env,
            GIT_AUTHOR_NAME: 'a',
            GIT_AUTHOR_EMAIL: 'a@b',
            GIT_COMMITTER_NAME: 'a',
            GIT_COMMITTER_EMAIL: 'a@b',
          },
        },
      )
        .toString()
        .trim();
    }
    execFileSync('git', ['--git-dir', e1, 'update-ref', 'refs/heads/master', parent as string]);
    const second = await round();
    t.equal(second.summary.problems, 0);
    t.equal(second.summary.scanned, 4, 'only the new epoch is read');
    t.same(second.summary.tested, [`${traffic.v2.cover} v2`]);
  },
);
