/** Start a real redis-server on a random loopback port with its own temp dir; stop it after the test. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  proc: ChildProcess;
  /** Stop (SIGTERM: with AOF on, everything acknowledged is on disk) and wait for the exit. */
  stop(): Promise<void>;
  /** Start again on the same port and dir (same AOF). */
  restart(): Promise<void>;
}

async function waitPing(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 1,
    });
    r.on('error', () => undefined);
    try {
      await r.connect();
      if ((await r.ping()) === 'PONG') return void r.disconnect();
    } catch {
      /* not yet */
    }
    r.disconnect();
    await sleep(50);
  }
  throw new Error(`redis-server on ${port} did not answer`);
}

export async function startRedis(opts: { appendonly?: boolean } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hmmci-redis-'));
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    opts.appendonly ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
  ];
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    proc: undefined as unknown as ChildProcess,
    async stop() {
      const p = server.proc;
      if (p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    },
    async restart() {
      await server.stop();
      server.proc = spawn('redis-server', args, { stdio: 'ignore' });
      await waitPing(port);
    },
  };
  server.proc = spawn('redis-server', args, { stdio: 'ignore' });
  await waitPing(port);
  return server;
}

export async function stopRedis(s: RedisServer): Promise<void> {
  await s.stop();
  rmSync(s.dir, { recursive: true, force: true });
}
