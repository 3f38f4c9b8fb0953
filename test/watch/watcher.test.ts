/**
 * `hmmci watch --once` over a real public-inbox (public-inbox-init -V2, traffic delivered with
 * public-inbox-mda), the real run pipeline on the fake kernel (real slot, git am, configure,
 * build; the guest returns a captured result), a Maildir outbox and a check file.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheLayout } from '../../src/common/cache.js';
import { silentReporter } from '../../src/common/progress.js';
import { historyPath, openHistory } from '../../src/history/index.js';
import { watchOutcomes } from '../../src/watch/outcomes.js';
import { createWatcher } from '../../src/watch/setup.js';
import type { WatchState } from '../../src/watch/types.js';
import { createPublicInbox, publicInboxMissing } from '../../tools/public-inbox/fixture.js';
import { fakeKernelStages, makeTraffic, watchSetup } from './traffic.js';

t.setTimeout(400_000);
const missing = publicInboxMissing();

t.test(
  'watch --once on a real public-inbox: tests exactly v2, skips the rest with reasons, answers once',
  { skip: missing },
  async (t) => {
    const work = mkdtempSync(join(tmpdir(), 'hmmci-watch-'));
    const inbox = createPublicInbox({ root: join(work, 'pi') });
    t.teardown(async () => {
      await inbox.close();
      rmSync(work, { recursive: true, force: true });
    });
    const traffic = makeTraffic(work);
    const refused = traffic.mails.map((m) => inbox.deliver(m)).filter(Boolean);
    t.same(
      refused,
      ['*** We only accept plain-text mail, No HTML ***'],
      'public-inbox itself refuses the HTML-only mail (the Maildir test feeds it to the watcher)',
    );

    const cache = cacheLayout(join(work, 'cache'));
    const stages = fakeKernelStages();
    let clock = Date.now();
    const setup = watchSetup(traffic.repo, join(work, 'state'), {
      inbox: inbox.dir,
      outbox: join(work, 'outbox'),
      replyTo: 'all',
      from: 'hmmci bot <hmmci@ci.example>',
      testedBy: 'hmmci bot <hmmci@ci.example>',
    });
    const round = async () => {
      const { watcher } = await createWatcher(setup, {
        stages,
        cache,
        reporter: silentReporter,
        signal: new AbortController().signal,
        now: () => clock,
        keepLog: true,
      });
      return { summary: await watcher.once(), state: watcher.state };
    };

    const first = await round();
    const v2key = `${traffic.v2.cover} v2`;
    t.same(first.summary.tested, [v2key], 'exactly v2 was tested');
    t.equal(stages.tests, 2, 'one baseline and one patched boot');
    const st: WatchState = first.state;
    const v1 = st.series[`${traffic.v1.cover} v1`];
    t.equal(v1?.status, 'superseded', 'v1 superseded before it was tested');
    t.match(v1?.reason, /v2 .* arrived before it was tested/);
    t.equal(st.series[`${traffic.pageAlloc.cover} v1`]?.status, 'skipped');
    t.match(st.series[`${traffic.pageAlloc.cover} v1`]?.reason, /touches none of the HMM files \(mm\/page_alloc\.c\)/);
    t.equal(
      st.series[`${traffic.missing.cover} v1`]?.status,
      'collecting',
      'the series missing 2/3 waits for --settle',
    );
    t.equal(st.series[`${traffic.bombCover} v1`]?.status, 'skipped');
    t.match(st.series[`${traffic.bombCover} v1`]?.reason, /patch bomb: 500 parts/);
    const v2 = st.series[v2key];
    t.equal(v2?.status, 'answered');
    t.same(
      v2?.trailers.map((x) => `${x.key}: ${x.value}`),
      ['Acked-by: Alan Acker <alan@example.org>'],
      "v2's follow-up trailer; quoted trailers are not the reviewer's",
    );

    const log = readFileSync(join(work, 'state', 'watch.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; msgid?: string; reason?: string });
    for (const id of ['spam.1@spam.example', 'junk.1@example.org']) {
      const e = log.find((x) => x.msgid === id);
      t.ok(e && e.event === 'ignored' && e.reason, `${id} logged with a reason: ${e?.reason}`);
    }

    const outbox = readdirSync(join(work, 'outbox', 'new'));
    t.equal(outbox.length, 1, 'one reply');
    const mail = readFileSync(join(work, 'outbox', 'new', outbox[0] as string), 'utf8');
    t.match(mail, `In-Reply-To: <${traffic.v2.cover}>`);
    t.match(mail, /^To: Dana Mirror <dana\+v2@example\.org>$/m);
    t.match(mail, /^Cc: linux-mm@kvack\.org$/m);
    t.match(mail, /^Subject: Re: \[PATCH v2 0\/3\] mm\/hmm: small documentation fixes$/m);
    t.match(mail, /supersedes v1 .*which was not tested/);
    t.match(mail, /Acked-by: Alan Acker/);
    t.match(mail, /Tested-by: hmmci bot <hmmci@ci\.example>/, 'nothing regressed: Tested-by');
    t.match(
      mail,
      new RegExp(`hmmci run ${String(traffic.v2.cover).replace(/[.+]/g, '\\$&')} --base ${traffic.base} --tree `),
    );
    t.match(mail, /base-commit|base:\s+[0-9a-f]{12}/);

    const checks = readFileSync(join(work, 'state', 'checks.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    t.equal(checks.length, 3, 'a check record per patch of v2');
    t.same(
      checks.map((c) => c.msgid),
      traffic.v2.ids.slice(1),
    );
    t.ok(
      checks.every(
        (c) =>
          c.context === 'hmmci' && c.state === 'success' && String(c.target_url).startsWith('file://') && c.description,
      ),
    );

    t.ok(
      existsSync(join(v2?.runDir as string, 'kcidb.json')) && existsSync(join(v2?.runDir as string, 'junit.xml')),
      'KCIDB and JUnit in the run directory',
    );

    // A second --once: nothing new, nothing tested again.
    const runsBefore = readdirSync(cache.runs).length;
    const second = await round();
    t.same(second.summary.tested, []);
    t.equal(second.summary.scanned, 0);
    t.equal(readdirSync(cache.runs).length, runsBefore, 'no new run');
    t.equal(stages.tests, 2);

    // 31 minutes later the series missing 2/3 is recorded incomplete, once, with no reply.
    clock += 31 * 60_000;
    const third = await round();
    t.same(third.summary.incomplete, [`${traffic.missing.cover} v1`]);
    t.match(third.state.series[`${traffic.missing.cover} v1`]?.reason, /missing 2\/3/);
    const fourth = await round();
    t.same(fourth.summary.incomplete, []);

    // The outcomes are in the history database: the incomplete and skipped series queryable, the
    // tested one joined to its run's job row.
    const db = openHistory(historyPath(cache), { readonly: true });
    t.same(
      watchOutcomes(db, { statuses: ['incomplete'] }).map((o) => [o.messageId, o.reason?.replace(/ \d+ min.*/, '')]),
      [[traffic.missing.cover, 'missing 2/3']],
      'the incomplete series, once',
    );
    t.ok(
      watchOutcomes(db, { statuses: ['skipped'] }).some(
        (o) => o.messageId === traffic.pageAlloc.cover && /mm\/page_alloc\.c/.test(o.reason ?? ''),
      ),
      'the non-HMM series with its reason',
    );
    t.same(
      db
        .prepare('SELECT s.status, j.id AS job FROM watch_series s LEFT JOIN jobs j ON j.id = s.run_id WHERE s.key = ?')
        .get(v2key),
      { status: 'answered', job: v2?.runId },
      "v2's outcome names its run, whose rows are in the history",
    );
    db.close();
    t.equal(readdirSync(join(work, 'outbox', 'new')).length, 1, 'still one reply');

    // v3 arrives after v2 was tested: it is tested, and its reply names v2's run.
    const v3 = (await import('./traffic.js')).formatSeries(
      traffic.repo,
      'v3',
      traffic.base,
      [{ file: 'mm/hmm.c', line: '/* v3 */', subject: 'mm/hmm: say what an empty range returns' }],
      { version: 3, cover: 'mm/hmm: small documentation fixes', inReplyTo: traffic.v2.cover },
    );
    for (const m of v3.mails) inbox.deliver(m);
    const fifth = await round();
    t.same(fifth.summary.tested, [`${v3.cover} v3`]);
    const replies = readdirSync(join(work, 'outbox', 'new')).map((f) =>
      readFileSync(join(work, 'outbox', 'new', f), 'utf8'),
    );
    t.ok(
      replies.some((r) => r.includes(`supersedes v2 (${traffic.v2.cover}), tested in run ${v2?.runId}`)),
      'v3 reply names the v2 run it supersedes',
    );
  },
);
