import * as assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findInterrupted, markInterrupted } from '../../../src/store/reconcile';
import { RunStore } from '../../../src/store/runStore';

describe('reconciling runs after a restart', () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-reconcile-')), '.runlog');
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  async function journal(runId: string, events: object[]): Promise<void> {
    await mkdir(join(dir, 'runs', runId), { recursive: true });
    await appendFile(join(dir, 'runs', runId, 'events.jsonl'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }
  const start = (id: string, extra: object = {}): object => ({
    t: 'run_start',
    ts: 1,
    run_id: id,
    name: id,
    experiment: 'e',
    ...extra,
  });

  it('marks running and queued runs whose process is gone as interrupted, and nothing else', async () => {
    await journal('dead', [start('dead', { pid: 101, host: 'here' })]);
    await journal('alive', [start('alive', { pid: 102, host: 'here' })]);
    await journal('elsewhere', [start('elsewhere', { pid: 101, host: 'other-host' })]);
    await journal('ended', [start('ended', { pid: 101, host: 'here' }), { t: 'run_end', ts: 2, status: 'FINISHED' }]);
    await journal('queued', [start('queued'), { t: 'status', ts: 2, status: 'QUEUED', pid: 101, host: 'here' }]);
    await journal('launched', [start('launched'), { t: 'status', ts: 2, status: 'RUNNING', pid: 102, host: 'here' }]);
    await journal('unknown', [start('unknown')]);
    const store = await RunStore.open({ dir, writer: true, version: 'test' });
    const liveness = { host: 'here', isAlive: (pid: number) => pid === 102 };
    const interrupted = findInterrupted(store, liveness).sort();
    assert.deepEqual(interrupted, ['dead', 'queued']);
    await markInterrupted(dir, interrupted);
    await store.syncJournals();
    const statuses = Object.fromEntries(store.query('listRuns').runs.map((r) => [r.id, r.status]));
    assert.deepEqual(statuses, {
      alive: 'RUNNING',
      dead: 'INTERRUPTED',
      elsewhere: 'RUNNING',
      ended: 'FINISHED',
      launched: 'RUNNING',
      queued: 'INTERRUPTED',
      unknown: 'RUNNING',
    });
    assert.deepEqual(findInterrupted(store, liveness), [], 'interrupted runs are not marked twice');
    assert.match(await readFile(join(dir, 'runs', 'dead', 'events.jsonl'), 'utf8'), /"status":"INTERRUPTED"/);
    store.close();
  });

  it('keeps an ended run ended when a late status line arrives', async () => {
    await journal('r', [
      start('r'),
      { t: 'run_end', ts: 2, status: 'KILLED' },
      { t: 'status', ts: 3, status: 'RUNNING', pid: 5 },
    ]);
    const store = await RunStore.open({ dir, writer: true, version: 'test' });
    assert.equal(store.query('getRun', 'r')?.status, 'KILLED');
    store.close();
  });
});
