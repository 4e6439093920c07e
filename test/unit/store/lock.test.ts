import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE, StoreLock } from '../../../src/store/lock';

describe('store lock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runlog-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is held by one process at a time and can be released', async () => {
    const first = await StoreLock.tryAcquire(dir);
    assert.ok(first);
    assert.equal(await StoreLock.tryAcquire(dir), undefined);
    assert.equal((await StoreLock.read(dir))?.pid, process.pid);
    assert.equal(await first.heartbeat(), true);
    await first.release();
    const second = await StoreLock.tryAcquire(dir);
    assert.ok(second);
    await second.release();
  });

  it('takes over a lock whose heartbeat is old', async () => {
    let clock = 1_000_000;
    const now = (): number => clock;
    const old = await StoreLock.tryAcquire(dir, { now });
    assert.ok(old);
    clock += 60_000;
    const taker = await StoreLock.tryAcquire(dir, { now, isAlive: () => true });
    assert.ok(taker, 'a stale lock is taken over');
    assert.equal(await old.heartbeat(), false, 'the old holder learns it lost the lock');
    await old.release();
    assert.equal(
      (await StoreLock.read(dir))?.token,
      taker.info.token,
      'releasing a lost lock leaves the new holder alone',
    );
  });

  it('takes over the lock of a process on this host that is gone', async () => {
    await writeFile(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: 999_999_999, host: hostname(), heartbeat: Date.now(), token: 'x' }),
    );
    assert.ok(await StoreLock.tryAcquire(dir));
  });

  it('takes over an unreadable lock file', async () => {
    await writeFile(join(dir, LOCK_FILE), 'half a json');
    assert.ok(await StoreLock.tryAcquire(dir));
  });

  it('keeps a live lock of another process', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { stdio: 'ignore' });
    try {
      await writeFile(
        join(dir, LOCK_FILE),
        JSON.stringify({ pid: child.pid, host: hostname(), heartbeat: Date.now(), token: 'x' }),
      );
      assert.equal(await StoreLock.tryAcquire(dir), undefined);
    } finally {
      child.kill();
    }
  });
});
