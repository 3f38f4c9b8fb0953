import { Redis } from 'ioredis';
import { HmmciError, UsageError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';

/** BullMQ 5 runs on Redis 5, but its stalled-job recovery and blocking moves want 6.2 or later. */
export const MIN_REDIS_VERSION = '6.2.0';

/** The fleet cannot be used: Redis down or too old, or no live worker can serve a job (exit 12). */
export class FleetError extends HmmciError {
  constructor(message: string, details: readonly string[] = []) {
    super(message, { exitCode: ExitCode.FLEET, details });
    this.name = 'FleetError';
  }
}

export interface RedisTarget {
  url: string;
  host: string;
  port: number;
  db: number;
  tls: boolean;
}

/** `redis://[user:pass@]host[:port][/db]` or `rediss://…`: anything else is a usage error naming the flag. */
export function parseRedisUrl(url: string, flag = '--redis'): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(
      `${flag} "${url}" is not a URL. Give the fleet's Redis as redis://HOST:PORT (e.g. redis://127.0.0.1:6379), optionally with a database number: redis://HOST:PORT/2.`,
    );
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new UsageError(
      `${flag} "${url}" is a ${u.protocol.replace(':', '')} URL; the fleet runs on Redis: give redis://HOST:PORT (or rediss:// for TLS).`,
    );
  }
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  const port = u.port ? Number(u.port) : 6379;
  if (!u.hostname || !Number.isInteger(db) || db < 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new UsageError(
      `${flag} "${url}" has no host, or a bad port or database number. Write it as redis://HOST:PORT/DB.`,
    );
  }
  return { url, host: u.hostname.replace(/^\[|\]$/g, ''), port, db, tls: u.protocol === 'rediss:' };
}

/** True when version `a` (x.y.z) is older than `b`. */
export function versionBelow(a: string, b: string): boolean {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0;
  }
  return false;
}

/** `redis_version:7.0.15` out of INFO server. */
export function redisVersionOf(info: string): string | undefined {
  return /^redis_version:([0-9.]+)/m.exec(info)?.[1];
}

export interface FleetConnection {
  target: RedisTarget;
  /** ioredis connection for BullMQ (maxRetriesPerRequest null, as BullMQ workers require). */
  redis: Redis;
  version: string;
  close(): Promise<void>;
}

/** Connection options BullMQ needs; `lazyConnect` so the first failure is ours to word. */
export function redisOptions(t: RedisTarget) {
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    ...(t.tls ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: true,
  };
}

/**
 * Connect to the fleet's Redis and check its version. Redis down, a wrong host, a refused
 * connection or a version older than `minVersion` is one FleetError paragraph (exit 12).
 */
export async function connectFleet(
  url: string,
  opts: { flag?: string; minVersion?: string; timeoutMs?: number } = {},
): Promise<FleetConnection> {
  const flag = opts.flag ?? '--redis';
  const target = parseRedisUrl(url, flag);
  const redis = new Redis({
    ...redisOptions(target),
    connectTimeout: opts.timeoutMs ?? 3000,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  let info: string;
  try {
    await redis.connect();
    info = await redis.info('server');
  } catch (err) {
    redis.disconnect();
    throw new FleetError(
      `Cannot reach the fleet's Redis at ${target.host}:${target.port} (${flag} ${url}): ${(err as Error).message}. Start it (\`redis-server\`, or \`systemctl start redis-server\`), check the host and port, or run without ${flag === '--redis' ? 'the fleet' : '--fleet (everything then runs on this machine)'}.`,
    );
  }
  const version = redisVersionOf(info) ?? '0';
  const min = opts.minVersion ?? MIN_REDIS_VERSION;
  if (versionBelow(version, min)) {
    redis.disconnect();
    throw new FleetError(
      `The fleet's Redis at ${target.host}:${target.port} is version ${version}; hmmci's queues (BullMQ) need Redis ${min} or later. Upgrade it (Debian 12's redis-server is 7.0) and start the workers again.`,
    );
  }
  // From here on, reconnect through short outages (a Redis restart mid-run loses nothing with AOF).
  redis.options.retryStrategy = (n: number) => Math.min(200 * n, 2000);
  // Closing while Redis is away: a QUIT would wait for its return.
  const close = async () =>
    void (redis.status === 'ready' ? await redis.quit().catch(() => redis.disconnect()) : redis.disconnect());
  return { target, redis, version, close };
}
