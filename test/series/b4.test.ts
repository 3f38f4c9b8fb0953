/**
 * Message-id intake with the real b4 (Debian 12: 0.12.0) against a real public-inbox served by
 * public-inbox-httpd on 127.0.0.1, all in a temporary HOME. No stand-in.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HmmciError } from '../../src/common/errors.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import { which } from '../../src/common/exec.js';
import { b4MirrorEnv, b4Target, messageIdUrl } from '../../src/series/b4.js';
import { loadSeries } from '../../src/series/load.js';
import { splitMbox, textLines } from '../../src/series/mbox.js';
import {
  createPublicInbox,
  publicInboxMissing,
  type InboxServer,
  type PublicInbox,
} from '../../tools/public-inbox/fixture.js';
import { runCli } from '../helpers/cli.js';
import { fixture } from './helpers.js';

// b4 and public-inbox are Perl/Python processes: ~50 s for the whole file on a loaded 2-core machine.
t.setTimeout(300_000);
const COVER = 'cover.1795256698.git.dana.mirror@example.org';

t.test('archive URLs and --mirror: what b4 is pointed at (pure)', async (t) => {
  t.same(messageIdUrl(`https://lore.kernel.org/linux-mm/${COVER}/`), {
    msgid: COVER,
    archive: 'https://lore.kernel.org/linux-mm',
    lore: true,
  });
  t.same(messageIdUrl(`https://lore.kernel.org/r/${encodeURIComponent(COVER)}`), {
    msgid: COVER,
    archive: 'https://lore.kernel.org',
    lore: true,
  });
  t.equal(messageIdUrl('https://example.org/no-id-here/'), undefined);
  t.equal(messageIdUrl('file:///tmp/x@y'), undefined);
  t.same(b4Target(`<${COVER}>`, undefined), { msgid: COVER });
  t.same(b4Target(COVER, 'http://127.0.0.1:8080/linux-mm/'), {
    msgid: COVER,
    archive: 'http://127.0.0.1:8080/linux-mm',
  });
  t.same(
    b4Target(`https://pi.example.com/mm/${COVER}/T/`, undefined),
    { msgid: COVER, archive: 'https://pi.example.com/mm' },
    "a company archive's URL is its own mirror",
  );
  t.same(
    b4Target(`https://lore.kernel.org/linux-mm/${COVER}/`, undefined),
    { msgid: COVER },
    "lore URLs leave b4's own config in charge",
  );
  t.throws(() => b4Target(COVER, 'ftp://x'), /is not an http\(s\) URL/);
  t.throws(() => b4Target('-o@x', undefined), /not a message-id hmmci can pass to b4/);
  t.same(
    b4MirrorEnv('http://h/l', { GIT_CONFIG_COUNT: '1' }),
    {
      GIT_CONFIG_COUNT: '3',
      GIT_CONFIG_KEY_1: 'b4.midmask',
      GIT_CONFIG_VALUE_1: 'http://h/l/%s',
      GIT_CONFIG_KEY_2: 'b4.linkmask',
      GIT_CONFIG_VALUE_2: 'http://h/l/%s',
    },
    'existing environment-only git config is kept',
  );
});

const missing = publicInboxMissing() ?? (which('b4') ? undefined : 'b4 is not installed (apt-get install b4)');
t.test('the real b4 against a real public-inbox', { skip: missing }, async (t) => {
  const inbox: PublicInbox = createPublicInbox();
  const saved = {
    HOME: process.env.HOME,
    XDG_CACHE_HOME: process.env.XDG_CACHE_HOME,
    XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME,
    HMMCI_MIRROR: process.env.HMMCI_MIRROR,
  };
  t.teardown(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await inbox.close();
  });
  for (const m of splitMbox(textLines(readFileSync(fixture('benign-3.mbox'), 'utf8'))))
    inbox.deliver(`${m.lines.join('\n')}\n`);
  const server: InboxServer = await inbox.serve();
  // b4 runs in the inbox's private HOME: its cache and global git config are the test's.
  Object.assign(process.env, {
    HOME: inbox.home,
    XDG_CACHE_HOME: inbox.env.XDG_CACHE_HOME,
    XDG_CONFIG_HOME: inbox.env.XDG_CONFIG_HOME,
  });
  delete process.env.HMMCI_MIRROR;

  t.test('--mirror URL: a bare message-id fetched and read (cover + 3 patches)', async (t) => {
    const s = await loadSeries(COVER, { mirror: server.listUrl });
    t.equal(s.source.kind, 'message-id');
    t.equal(s.cover?.messageId, COVER);
    t.same(
      s.patches.map((p) => `${p.index}/${p.total}`),
      ['1/3', '2/3', '3/3'],
    );
    t.equal(s.baseCommit, '90664afa533cde5b8e224575342753ca5660b82d');
  });

  t.test("an archive URL of the user's own public-inbox needs no option", async (t) => {
    const s = await loadSeries(`${server.listUrl}/${COVER}/`);
    t.same(
      s.patches.map((p) => p.index),
      [1, 2, 3],
    );
  });

  t.test("an existing b4 config (b4.midmask in git's global config) is honoured", async (t) => {
    const gitconfig = join(inbox.home, '.gitconfig');
    const before = readFileSync(gitconfig, 'utf8');
    writeFileSync(gitconfig, `${before}[b4]\n\tmidmask = ${server.listUrl}/%s\n\tlinkmask = ${server.listUrl}/%s\n`);
    t.teardown(() => writeFileSync(gitconfig, before));
    const s = await loadSeries(`<${COVER}>`);
    t.same(
      s.patches.map((p) => p.index),
      [1, 2, 3],
    );
  });

  t.test('an unknown message-id: exit 3 naming the id and the archive', async (t) => {
    const err = (await loadSeries('no-such-message@example.org', { mirror: server.listUrl }).catch(
      (e: unknown) => e,
    )) as HmmciError;
    t.equal(err.exitCode, ExitCode.BAD_INPUT);
    t.match(err.message, `The message-id no-such-message@example.org is not known to the archive ${server.listUrl}`);
    t.match(err.message, /--mirror URL/);
  });

  t.test('an archive that does not answer: exit 7 naming it, no traceback in the paragraph', async (t) => {
    const dead = `http://127.0.0.1:${await closedPort()}/linux-mm`;
    const err = (await loadSeries(COVER, { mirror: dead }).catch((e: unknown) => e)) as HmmciError;
    t.equal(err.exitCode, ExitCode.INFRA);
    t.match(err.message, `b4 could not reach the archive ${dead} to fetch ${COVER}`);
    t.notMatch(err.message, /Traceback/);
  });

  t.test('the CLI: hmmci --mirror URL series show <id> --json', async (t) => {
    const r = await runCli(['--mirror', server.listUrl, 'series', 'show', COVER, '--json']);
    t.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out) as { cover: { messageId: string }; patches: unknown[] };
    t.equal(json.cover.messageId, COVER);
    t.equal(json.patches.length, 3);
    t.equal(process.env.HMMCI_MIRROR, undefined, 'the option does not outlive the command');
  });
});

async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
