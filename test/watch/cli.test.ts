/** `hmmci watch` on the command line: usage errors and inputs that are not a mirror or Maildir. */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duration } from '../../src/cli/commands/watch.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'hmmci-watch-cli-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

t.test('one source, and it must be one', async (t) => {
  const none = await runCli(['watch', '--once'], { cacheDir: join(work, 'cache') });
  t.equal(none.code, 2);
  t.match(none.err, /give --inbox DIR .* or --maildir DIR/);
  const both = await runCli(['watch', '--once', '--inbox', work, '--maildir', work], { cacheDir: join(work, 'cache') });
  t.equal(both.code, 2);
  const notInbox = await runCli(['watch', '--once', '--inbox', work], { cacheDir: join(work, 'cache') });
  t.equal(notInbox.code, 3);
  t.match(notInbox.err, /is not a public-inbox v2 mirror: it has no git\/ folder of epochs/);
  const notMaildir = await runCli(['watch', '--once', '--maildir', work], { cacheDir: join(work, 'cache') });
  t.equal(notMaildir.code, 3);
  t.match(notMaildir.err, /is not a Maildir: it has neither new\/ nor cur\//);
  const badSettle = await runCli(['watch', '--once', '--settle', 'soon', '--maildir', work], {
    cacheDir: join(work, 'cache'),
  });
  t.equal(badSettle.code, 2);
});

t.test('durations', async (t) => {
  t.equal(duration('--settle')('30'), 1_800_000, 'minutes by default');
  t.equal(duration('--settle')('90s'), 90_000);
  t.equal(duration('--settle')('2h'), 7_200_000);
  t.equal(duration('--settle')('0'), 0);
});

t.test('one watcher per state directory', async (t) => {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const md = join(work, 'Maildir');
  for (const d of ['new', 'cur', 'tmp']) mkdirSync(join(md, d), { recursive: true });
  const state = join(work, 'state');
  mkdirSync(state, { recursive: true });
  writeFileSync(join(state, 'watch.lock'), `${process.ppid}\n`); // a live process holds it
  const r = await runCli(['watch', '--once', '--maildir', md, '--state', state], { cacheDir: join(work, 'cache') });
  t.equal(r.code, 2);
  t.match(r.err, new RegExp(`Another hmmci watch follows .* \\(pid ${process.ppid}\\)\\. One watcher per state`));
});

t.test('--fleet: a bad URL is a usage error, Redis down is exit 12, --store needs --fleet', async (t) => {
  const { mkdirSync } = await import('node:fs');
  const md = join(work, 'Maildir-fleet');
  for (const d of ['new', 'cur', 'tmp']) mkdirSync(join(md, d), { recursive: true });
  const base = ['watch', '--once', '--maildir', md, '--state', join(work, 'state-fleet')];
  const bad = await runCli([...base, '--fleet', 'http://127.0.0.1:6379'], { cacheDir: join(work, 'cache') });
  t.equal(bad.code, 2);
  t.match(bad.err, /--fleet "http:\/\/127\.0\.0\.1:6379" is a http URL; the fleet runs on Redis/);
  const { freePort } = await import('../fleet/helpers/redis.js');
  const port = await freePort(); // nothing listens there
  const down = await runCli([...base, '--fleet', `redis://127.0.0.1:${port}`], { cacheDir: join(work, 'cache') });
  t.equal(down.code, 12);
  t.match(down.err, new RegExp(`Cannot reach the fleet's Redis at 127\\.0\\.0\\.1:${port} \\(--fleet`));
  const store = await runCli([...base, '--store', work], { cacheDir: join(work, 'cache') });
  t.equal(store.code, 2);
  t.match(store.err, /--store names the fleet's artifact store: give it with --fleet/);
});

t.test(
  'flags → setup: --paths split, --runner vng adds its config like run, --fleet/--store/--wait-workers passed',
  async (t) => {
    const { watchSetupOf } = await import('../../src/cli/commands/watch.js');
    const flags = {
      inbox: '/srv/lore/linux-mm',
      interval: 300_000,
      settle: 60_000,
      paths: ['mm/a.c,mm/b.c', ' mm/c.c '],
      maxParts: 100,
      replyTo: 'author' as const,
      testedBy: 'Bot <bot@example.org>',
      kconfig: [],
      config: ['CONFIG_X=y'],
      runner: 'vng' as const,
      reruns: 0,
      fleet: 'redis://127.0.0.1:6379',
      store: '/srv/store',
      waitWorkers: 30,
    };
    const s = await watchSetupOf(flags);
    t.same(s.paths, ['mm/a.c', 'mm/b.c', 'mm/c.c']);
    t.ok(
      s.variant.fragments.some((f) => f.endsWith('vng.config')),
      'vng.config with --runner vng',
    );
    t.same(s.configArgs, ['--config', 'CONFIG_X=y']);
    t.match(s, {
      fleet: 'redis://127.0.0.1:6379',
      artifactStore: '/srv/store',
      waitWorkersMs: 30_000,
      settleMs: 60_000,
      testedBy: 'Bot <bot@example.org>',
    });
    const q = await watchSetupOf({ ...flags, runner: 'qemu', paths: [] });
    t.notOk(q.variant.fragments.some((f) => f.endsWith('vng.config')));
    t.equal(q.paths, undefined, 'default extra paths');
  },
);
