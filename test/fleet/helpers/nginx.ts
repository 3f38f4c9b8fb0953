/** Debian's nginx as the HTTP artifact store: WebDAV PUT, private config and prefix, random loopback port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './redis.js';

export interface Nginx {
  url: string;
  root: string;
  /** With `accessLog`: lines `METHOD STATUS BYTES_SENT REQUEST_LENGTH URI` (read it before stop). */
  accessLog?: string;
  stop(): Promise<void>;
}

export async function startNginx(opts: { accessLog?: boolean } = {}): Promise<Nginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'hmmci-nginx-'));
  const root = join(prefix, 'store');
  for (const d of ['store', 'logs', 'tmp']) mkdirSync(join(prefix, d));
  const port = await freePort();
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `daemon off;
master_process off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 64; }
http {
  ${opts.accessLog ? `log_format bytes '$request_method $status $body_bytes_sent $request_length $uri';\n  access_log ${prefix}/logs/access.log bytes;` : 'access_log off;'}
  client_body_temp_path ${prefix}/tmp;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / {
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw;
    }
  }
}
`,
  );
  const proc: ChildProcess = spawn('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (ok) break;
    await sleep(50);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    root,
    ...(opts.accessLog ? { accessLog: join(prefix, 'logs', 'access.log') } : {}),
    async stop() {
      if (proc.exitCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await gone;
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
