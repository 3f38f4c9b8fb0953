import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { flakyRanking, jobById, listJobs, testHistory, type HistoryDb, type JobFilter } from '../history/index.js';
import type { RunRecord } from '../report/record.js';
import { RECORD_FILE, readRecord } from '../run/run-dir.js';
import { printable } from '../history/printable.js';
import { html, renderPage, PAGE_CSP, type Node } from './html.js';
import { flakyBody, hrefs, runListBody, testBody } from './pages.js';
import { loadRunPageData } from './run-data.js';
import { runBody } from './run-page.js';
import { fleetBody, fleetDownBody } from './fleet-page.js';
import type { FleetConnection } from '../fleet/connection.js';
import { fleetStatus, type FleetStatus } from '../fleet/status.js';

export interface ServeOptions {
  db: HistoryDb;
  /** Default 127.0.0.1: the history is not published unless asked. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** `--fleet`: the fleet's Redis, for the fleet page (/fleet). */
  fleet?: FleetConnection;
}

export interface RunningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const HEADERS = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

class NotFound extends Error {}

function send(
  res: ServerResponse,
  code: number,
  body: string,
  type = 'text/html; charset=utf-8',
  extra: Record<string, string> = {},
): void {
  res.writeHead(code, { ...HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function page(res: ServerResponse, title: string, body: Node, code = 200): void {
  send(res, code, renderPage(body, { title }));
}

function recordOf(db: HistoryDb, id: string): RunRecord {
  const job = jobById(db, id);
  if (!job) throw new NotFound(`No run ${id} in the history.`);
  if (!existsSync(join(job.run_dir, RECORD_FILE)))
    throw new NotFound(`Run ${id} is in the history, but its run directory ${job.run_dir} is gone.`);
  return readRecord(job.run_dir);
}

function filterOf(q: URLSearchParams): JobFilter {
  const n = (k: string) => (q.get(k) && /^\d+$/.test(q.get(k) as string) ? Number(q.get(k)) : undefined);
  return {
    status: q.get('status') || undefined,
    series: q.get('series') || undefined,
    base: q.get('base') || undefined,
    offset: n('offset'),
    limit: Math.min(n('limit') ?? 100, 1000),
  };
}

async function route(opts: ServeOptions, url: URL, res: ServerResponse): Promise<void> {
  const db = opts.db;
  const parts = url.pathname
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p));
  if (parts.length === 0) {
    const f = filterOf(url.searchParams);
    return page(res, 'hmmci runs', runListBody(listJobs(db, f), f, { fleet: Boolean(opts.fleet) }));
  }
  if (parts[0] === 'runs' && parts.length === 2) {
    const data = await loadRunPageData(recordOf(db, parts[1] as string));
    return page(
      res,
      `hmmci ${data.record.id}: ${printable(data.record.series.title)}`,
      runBody(data, { test: hrefs.test, config: hrefs.config(data.record.id), home: '/' }),
    );
  }
  if (parts[0] === 'runs' && parts.length === 3 && parts[2] === 'config') {
    const r = recordOf(db, parts[1] as string);
    if (!r.artifacts.config || !existsSync(r.artifacts.config)) throw new NotFound(`Run ${r.id} kept no .config.`);
    return send(res, 200, readFileSync(r.artifacts.config, 'utf8'), 'text/plain; charset=utf-8', {
      'content-disposition': `attachment; filename="config-${r.id.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
    });
  }
  if (parts[0] === 'tests' && parts.length === 2) {
    const [h] = testHistory(db, parts[1] as string).filter((x) => x.test === parts[1]);
    if (!h) throw new NotFound(`No test ${parts[1]} in the history.`);
    return page(res, `hmmci test ${h.test}`, testBody(h));
  }
  if (parts[0] === 'flaky' && parts.length === 1)
    return page(res, 'hmmci flaky tests', flakyBody(flakyRanking(db, { limit: 500 })));
  if (parts[0] === 'fleet' && parts.length === 1) return fleetPage(opts.fleet, res);
  throw new NotFound(`No page ${url.pathname}.`);
}

async function fleetPage(fleet: FleetConnection | undefined, res: ServerResponse): Promise<void> {
  if (!fleet)
    throw new NotFound('No fleet is configured: start `hmmci serve --fleet redis://HOST:PORT` to see it here.');
  let s: FleetStatus;
  try {
    // Commands to a Redis that is away wait for its return: the page says so instead of hanging.
    if (fleet.redis.status !== 'ready') throw new Error(`the connection is ${fleet.redis.status}`);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
    });
    s = await Promise.race([fleetStatus(fleet), late]).finally(() => clearTimeout(timer));
  } catch (err) {
    const msg = `Cannot read the fleet's Redis at ${fleet.target.host}:${fleet.target.port}: ${(err as Error).message}. Is redis-server running?`;
    return page(res, 'hmmci fleet', fleetDownBody(msg), 503);
  }
  return page(res, 'hmmci fleet', fleetBody(s));
}

async function handle(opts: ServeOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return send(res, 405, 'read-only: GET and HEAD only\n', 'text/plain; charset=utf-8', { allow: 'GET, HEAD' });
  try {
    await route(opts, new URL(req.url ?? '/', 'http://localhost'), res);
  } catch (err) {
    const notFound = err instanceof NotFound || err instanceof URIError;
    page(
      res,
      notFound ? 'not found' : 'error',
      html`<nav><a href="/">runs</a></nav><h1>${notFound ? 'Not found' : 'Error'}</h1><p>${(err as Error).message}</p>`,
      notFound ? 404 : 500,
    );
  }
}

/**
 * `hmmci serve`: a read-only web view of the history (run list, run pages, test pages, flaky
 * ranking) and, with `fleet`, of the fleet (workers, queues, running, runs, failed jobs).
 */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const server = createServer((req, res) => void handle(opts, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `http://${host}:${a.port}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
