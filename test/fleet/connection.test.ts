/** Bad --redis URL, Redis down, Redis too old, no live worker for a job: one paragraph, distinct exit status. */
import t from 'tap';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { connectFleet, parseRedisUrl, redisVersionOf, versionBelow } from '../../src/fleet/connection.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import { freePort, startRedis, stopRedis } from './helpers/redis.js';
import { fleetEnv, runCli } from './helpers/fleet.js';

t.setTimeout(120_000);

t.test('URLs and versions', async (t) => {
  t.match(parseRedisUrl('redis://10.0.0.2:6380/3'), { host: '10.0.0.2', port: 6380, db: 3, tls: false });
  t.match(parseRedisUrl('rediss://r.example'), { port: 6379, tls: true });
  t.throws(() => parseRedisUrl('localhost:6379'), {
    exitCode: ExitCode.USAGE,
    message: /not a URL|redis:\/\/HOST:PORT/,
  });
  t.throws(() => parseRedisUrl('http://127.0.0.1:6379'), { exitCode: ExitCode.USAGE, message: /is a http URL/ });
  t.equal(redisVersionOf('# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:0\r\n'), '7.0.15');
  t.ok(versionBelow('6.0.16', '6.2.0'));
  t.notOk(versionBelow('7.0.15', '6.2.0'));
  t.notOk(versionBelow('6.2', '6.2.0'));
});

t.test('Redis down: one paragraph, exit 12, from the library and the CLI', async (t) => {
  const port = await freePort();
  await t.rejects(connectFleet(`redis://127.0.0.1:${port}`), {
    exitCode: ExitCode.FLEET,
    message: new RegExp(`Cannot reach the fleet's Redis at 127.0.0.1:${port}`),
  });
  const e = fleetEnv();
  t.teardown(() => rmSync(e.dir, { recursive: true, force: true }));
  const r = await runCli(['fleet', 'status', '--redis', `redis://127.0.0.1:${port}`], e.env(join(e.dir, 'c')));
  t.equal(r.code, ExitCode.FLEET);
  t.equal(r.stderr.trim().split('\n').length, 1, `one paragraph: ${r.stderr}`);
  const bad = await runCli(['worker', '--redis', 'not a url'], e.env(join(e.dir, 'c')));
  t.equal(bad.code, ExitCode.USAGE, 'a malformed URL is a usage error');
  t.match(bad.stderr, /--redis "not a url" is not a URL/);
});

t.test('too old, on a real redis-server', async (t) => {
  const redis = await startRedis();
  t.teardown(() => stopRedis(redis));
  const c = await connectFleet(redis.url);
  t.match(c.version, /^\d+\.\d+/);
  await c.close();
  // Debian 12 has only Redis 7.0: "too old" is checked against a minimum above it.
  await t.rejects(connectFleet(redis.url, { minVersion: '99.0.0' }), {
    exitCode: ExitCode.FLEET,
    message: /is version 7\.\d+\.\d+; hmmci's queues \(BullMQ\) need Redis 99\.0\.0 or later/,
  });
});
