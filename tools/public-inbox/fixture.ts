/**
 * A real public-inbox for tests and benchmarks (Debian 12's public-inbox 1.9.0): `public-inbox-init
 * -V2` in a private HOME, delivery with `public-inbox-mda` (spam check off, as lore's own mirrors
 * are fed), and `public-inbox-httpd` on a random 127.0.0.1 port for b4. Nothing here touches the
 * user's HOME or listens beyond loopback; `close()` stops the server and removes everything.
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface InboxServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** http://127.0.0.1:PORT/<name> : what b4.midmask points at (`<listUrl>/%s`). */
  listUrl: string;
  stop(): Promise<void>;
}

export interface PublicInbox {
  /** The inbox directory (holds git/N.git epochs). */
  dir: string;
  /** The private HOME: ~/.public-inbox/config and git's global config live here. */
  home: string;
  name: string;
  address: string;
  /** Environment with HOME set to the private home (for public-inbox, git and b4). */
  env: NodeJS.ProcessEnv;
  /**
   * Deliver one raw RFC 5322 message with public-inbox-mda. Returns undefined when accepted, else
   * what mda said when it refused the mail (it refuses HTML-only mail: "We only accept plain-text mail").
   */
  deliver(raw: string | Buffer): string | undefined;
  /**
   * Deliver many messages in one process with PublicInbox::V2Writable (what public-inbox-mda writes
   * with), for bulk traffic: one mda process per message costs ~0.3-1.3 s here. Returns how many were added.
   */
  deliverMany(raws: ReadonlyArray<string | Buffer>): number;
  /** Serve the inbox with public-inbox-httpd on a random loopback port. */
  serve(): Promise<InboxServer>;
  /** Stop servers started by serve() and remove the inbox and its HOME. */
  close(): Promise<void>;
}

export interface PublicInboxOptions {
  /** Parent folder (default: a new temporary directory, removed by close()). */
  root?: string;
  name?: string;
  address?: string;
  /** public-inbox-init -L: `basic` skips Xapian's full-text index (bulk imports, benchmarks); default `full`. */
  indexLevel?: 'basic' | 'medium' | 'full';
}

/** Missing public-inbox tools: a reason for `t.skip`/an error, or undefined when all are there. */
export function publicInboxMissing(): string | undefined {
  for (const bin of ['public-inbox-init', 'public-inbox-mda', 'public-inbox-httpd']) {
    try {
      execFileSync('sh', ['-c', 'command -v "$0"', bin], { stdio: 'ignore' });
    } catch {
      return `${bin} is not installed (apt-get install public-inbox)`;
    }
  }
  return undefined;
}

export function createPublicInbox(opts: PublicInboxOptions = {}): PublicInbox {
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'hmmci-inbox-'));
  const name = opts.name ?? 'linux-mm';
  const address = opts.address ?? 'linux-mm@kvack.org';
  const home = join(root, 'home');
  const dir = join(root, name);
  mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    GIT_CONFIG_NOSYSTEM: '1',
    PI_CONFIG: join(home, '.public-inbox', 'config'),
  };
  delete env.GIT_CONFIG_GLOBAL;
  writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = hmmci test\n\temail = test@hmmci.invalid\n');
  execFileSync(
    'public-inbox-init',
    ['-V2', ...(opts.indexLevel ? ['-L', opts.indexLevel] : []), name, dir, `http://127.0.0.1/${name}`, address],
    { env, stdio: 'pipe' },
  );
  execFileSync('git', ['config', '-f', env.PI_CONFIG as string, 'publicinboxmda.spamcheck', 'none'], { env });
  const servers: InboxServer[] = [];
  return {
    dir,
    home,
    name,
    address,
    env,
    deliver(raw) {
      const r = spawnSync('public-inbox-mda', ['--no-precheck'], {
        env: { ...env, ORIGINAL_RECIPIENT: address },
        input: raw,
      });
      if (r.error) throw r.error;
      return r.status === 0 ? undefined : r.stderr.toString().trim() || `public-inbox-mda exited ${r.status}`;
    },
    deliverMany(raws) {
      const mboxrd = raws
        .map(
          (r) =>
            `From mboxrd@z Thu Jan  1 00:00:00 1970\n${String(r)
              .replace(/^(>*From )/gm, '>$1')
              .replace(/\n*$/, '\n')}\n`,
        )
        .join('');
      const out = execFileSync('perl', [join(HERE, 'import.pl'), name], {
        env,
        input: mboxrd,
        stdio: ['pipe', 'pipe', 'pipe'],
        maxBuffer: 1 << 30,
      });
      return Number.parseInt(out.toString().trim(), 10);
    },
    async serve() {
      const s = await startHttpd(env, name);
      servers.push(s);
      return s;
    },
    async close() {
      for (const s of servers.splice(0)) await s.stop();
      if (!opts.root) rmSync(root, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return r.status < 500;
  } catch {
    return false;
  }
}

/** public-inbox-httpd in its own process group on a free port; retried when the port was taken. */
async function startHttpd(env: NodeJS.ProcessEnv, name: string): Promise<InboxServer> {
  let lastErr = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn('public-inbox-httpd', ['-W', '0', '-l', url], {
      env,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    let exited = false;
    child.once('exit', () => (exited = true));
    const deadline = Date.now() + 30_000;
    while (!exited && Date.now() < deadline) {
      if (await answers(`${url}/${name}/`)) {
        const stop = async () => {
          if (exited) return;
          const gone = new Promise<void>((r) => child.once('exit', () => r()));
          killGroup(child, 'SIGTERM');
          const t = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
          await gone;
          clearTimeout(t);
        };
        return { url, listUrl: `${url}/${name}`, stop };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    killGroup(child, 'SIGKILL');
    lastErr = stderr.trim() || 'it did not answer within 30 s';
  }
  throw new Error(`public-inbox-httpd did not start on 127.0.0.1: ${lastErr}`);
}

/** A minimal RFC 5322 message (constructed traffic for tests; every header given explicitly). */
export function mail(h: {
  from: string;
  to?: string;
  subject: string;
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  date?: string;
  body: string;
  contentType?: string;
}): string {
  const lines = [
    `From: ${h.from}`,
    `To: ${h.to ?? 'linux-mm@kvack.org'}`,
    `Subject: ${h.subject}`,
    `Date: ${h.date ?? new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${h.messageId}>`,
  ];
  if (h.inReplyTo) lines.push(`In-Reply-To: <${h.inReplyTo}>`);
  const refs = h.references ?? (h.inReplyTo ? [h.inReplyTo] : []);
  if (refs.length) lines.push(`References: ${refs.map((r) => `<${r}>`).join(' ')}`);
  lines.push(
    'MIME-Version: 1.0',
    `Content-Type: ${h.contentType ?? 'text/plain; charset=UTF-8'}`,
    'Content-Transfer-Encoding: 8bit',
  );
  return `${lines.join('\n')}\n\n${h.body.endsWith('\n') ? h.body : `${h.body}\n`}`;
}
