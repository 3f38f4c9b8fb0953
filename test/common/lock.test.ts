import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, pidAlive, withLock } from '../../src/common/lock.js';
import { HmmciError } from '../../src/common/errors.js';
import { ExitCode } from '../../src/common/exit-codes.js';

const dir = mkdtempSync(join(tmpdir(), 'hmmci-lock-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that surely belongs to no process: a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

t.test('a free lock is taken with our pid and released', async (t) => {
  const path = join(dir, 'sub', 'free.lock');
  const lock = await acquireLock(path);
  t.equal(readFileSync(path, 'utf8'), `${process.pid}\n`, 'the lock file holds our pid (its folder was made)');
  lock.release();
  t.notOk(existsSync(path), 'release removes it');
  lock.release();
  t.pass('a second release is harmless');
});

t.test("a dead owner's lock is taken over", async (t) => {
  const path = join(dir, 'stale.lock');
  const dead = await deadPid();
  t.notOk(pidAlive(dead), `pid ${dead} is gone`);
  writeFileSync(path, `${dead}\n`);
  let waited = false;
  const lock = await acquireLock(path, { waitMs: 5_000, onWait: () => (waited = true) });
  t.equal(readFileSync(path, 'utf8'), `${process.pid}\n`, 'now ours');
  t.notOk(waited, 'no wait for a dead owner');
  lock.release();
});

t.test('a lock file with no pid in it (a crash between create and write) is taken over', async (t) => {
  const path = join(dir, 'garbage.lock');
  writeFileSync(path, 'not a pid');
  const lock = await acquireLock(path, { waitMs: 5_000 });
  t.equal(readFileSync(path, 'utf8'), `${process.pid}\n`);
  lock.release();
});

t.test('a live owner is waited for (told once), then INFRA with its pid', async (t) => {
  const path = join(dir, 'live.lock');
  const owner = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
  t.teardown(() => owner.kill('SIGKILL'));
  writeFileSync(path, `${owner.pid}\n`);
  const told: number[] = [];
  const started = Date.now();
  const err = await acquireLock(path, { waitMs: 1_200, what: 'slot linux-1', onWait: (pid) => told.push(pid) }).catch(
    (e: unknown) => e,
  );
  t.ok(err instanceof HmmciError, 'fails with an HmmciError');
  t.equal((err as HmmciError).exitCode, ExitCode.INFRA);
  t.match(
    (err as HmmciError).message,
    new RegExp(`slot linux-1 is locked by another hmmci process \\(pid ${owner.pid}\\)`),
  );
  t.same(told, [owner.pid], 'onWait called once, with the owner');
  t.ok(Date.now() - started >= 1_200, 'it waited the whole time');
  t.equal(readFileSync(path, 'utf8'), `${owner.pid}\n`, "the live owner's lock is left alone");
});

t.test('a lock released while waited for is taken', async (t) => {
  const path = join(dir, 'handover.lock');
  const first = await acquireLock(path);
  setTimeout(() => first.release(), 300);
  const second = await acquireLock(path, { waitMs: 10_000 });
  t.equal(readFileSync(path, 'utf8'), `${process.pid}\n`);
  second.release();
});

t.test('withLock releases on success and on failure', async (t) => {
  const path = join(dir, 'with.lock');
  t.equal(await withLock(path, async () => 42), 42);
  t.notOk(existsSync(path));
  await t.rejects(
    withLock(path, async () => Promise.reject(new Error('boom'))),
    /boom/,
  );
  t.notOk(existsSync(path), 'released after the error too');
});
