import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreLock } from '../../../src/store/lock';
import { DB_FILE } from '../../../src/store/storeLocation';
import { StoreClient } from '../../../src/store/storeClient';
import { Db } from '../../../src/store/sqlite';
import { waitFor } from '../../support/waitFor';

// The transpiled worker sits beside the transpiled client.
const WORKER = join(__dirname, '../../../src/store/storeWorker.js');

const metricLine = (key: string, step: number, value: number): string =>
  `{"t":"metric","ts":${1000 + step},"key":"${key}","value":${value},"step":${step}}\n`;

describe('store worker', function () {
  this.timeout(20_000);
  let dir: string;
  const clients: StoreClient[] = [];

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-worker-')), '.runlog');
    await mkdir(join(dir, 'runs', 'r1'), { recursive: true });
    await appendFile(
      join(dir, 'runs', 'r1', 'events.jsonl'),
      JSON.stringify({ t: 'run_start', ts: 1, run_id: 'r1', name: 'bright-owl', experiment: 'prices' }) + '\n',
    );
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  function start(options: { settleMs?: number; heartbeatMs?: number } = {}): {
    client: StoreClient;
    changes: string[][];
  } {
    const changes: string[][] = [];
    const client = new StoreClient(
      WORKER,
      {
        dir,
        version: 'test',
        pollMs: 60_000,
        settleMs: options.settleMs ?? 50,
        heartbeatMs: options.heartbeatMs ?? 5_000,
      },
      { changed: (ids) => changes.push([...ids]) },
    );
    clients.push(client);
    return { client, changes };
  }

  it('answers queries from a worker thread and reports new journal lines within a second', async () => {
    const { client, changes } = start();
    const status = await client.ready;
    assert.equal(status.writer, true);
    assert.deepEqual(
      (await client.call('listRuns', {})).runs.map((r) => r.name),
      ['bright-owl'],
    );
    const appendedAt = Date.now();
    await appendFile(join(dir, 'runs', 'r1', 'events.jsonl'), metricLine('loss', 0, 1) + metricLine('loss', 1, 0.5));
    await waitFor('a change notice', () => (changes.length > 0 ? true : undefined), 1_000);
    assert.ok(Date.now() - appendedAt < 1_000);
    const series = await client.call('series', 'r1', 'loss');
    assert.deepEqual([...series.values], [1, 0.5]);
    const buckets = await client.call('buckets', 'r1', 'loss', 10);
    assert.ok(buckets.min instanceof Float64Array);
    await waitFor('the snapshot', () => (existsSync(join(dir, DB_FILE)) ? true : undefined));
  });

  it('lets one process write while another reads, and hands over the lock when the writer closes', async () => {
    const first = start({ heartbeatMs: 100 });
    assert.equal((await first.client.ready).writer, true);
    const second = start({ heartbeatMs: 100 });
    assert.equal((await second.client.ready).writer, false);
    await appendFile(join(dir, 'runs', 'r1', 'events.jsonl'), metricLine('acc', 0, 0.9));
    await waitFor('the reader to see the new point', () => (second.changes.length > 0 ? true : undefined));
    assert.equal((await second.client.call('series', 'r1', 'acc')).values[0], 0.9);
    const held = await StoreLock.read(dir);
    assert.ok(held);
    // Time enough to save and release on a loaded machine (past the default 5 s, the worker is ended).
    await first.client.close(60_000);
    // The reader may take the lock over between the release and this read (its heartbeat is 100 ms).
    assert.notEqual((await StoreLock.read(dir))?.token, held.token, 'the writer released the lock');
    await waitFor('the reader to take the lock', async () =>
      (await second.client.call('status')).writer ? true : undefined,
    );
    assert.equal((await StoreLock.read(dir))?.pid, process.pid);
  });

  it('shares a store with another process: one writes, and the survivor takes over when it is killed', async () => {
    const other = spawn(process.execPath, [join(__dirname, 'fixtures', 'holdStore.js'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const firstLine = await new Promise<string>((resolve) =>
        other.stdout.once('data', (d: Buffer) => resolve(d.toString())),
      );
      assert.match(firstLine, /^writer=true/);
      const { client } = start({ heartbeatMs: 100 });
      assert.equal((await client.ready).writer, false, 'the other process holds the lock');
      other.kill('SIGKILL');
      await waitFor('the lock of the killed process to be taken over', async () =>
        (await client.call('status')).writer ? true : undefined,
      );
      assert.equal((await StoreLock.read(dir))?.pid, process.pid);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('marks runs whose process died with the last session as interrupted when it opens', async () => {
    await appendFile(
      join(dir, 'runs', 'r1', 'events.jsonl'),
      JSON.stringify({ t: 'status', ts: 2, status: 'RUNNING', pid: 999_999_999, host: hostname() }) + '\n',
    );
    const { client } = start();
    await client.ready;
    const run = await waitFor('the run to be marked', async () => {
      const details = await client.call('getRun', 'r1');
      return details?.status === 'INTERRUPTED' ? details : undefined;
    });
    assert.equal(run.status, 'INTERRUPTED');
  });

  it('fails to start, clearly, on a store from a newer Runlog', async () => {
    const db = await Db.open();
    db.exec('PRAGMA user_version = 999');
    await writeFile(join(dir, DB_FILE), db.export());
    db.close();
    const { client } = start();
    await assert.rejects(client.ready, (error: Error & { newerVersion?: boolean }) => {
      assert.equal(error.newerVersion, true);
      assert.match(error.message, /newer Runlog/);
      return true;
    });
  });
});
