import * as assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../../src/store/runStore';
import { DB_FILE } from '../../../src/store/storeLocation';
import { StoreService } from '../../../src/store/storeService';
import { waitFor } from '../../support/waitFor';

// Disk full, permissions, a folder where the file should be: the save fails, says so, loses nothing,
// and succeeds once the obstacle is gone. (Tests run as root, so the obstacle is a folder named
// runlog.db: rename cannot replace a folder with a file.)
describe('when the database cannot be saved or read', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-nosave-')), '.runlog');
    await mkdir(join(dir, 'runs', 'r1'), { recursive: true });
    await appendFile(
      join(dir, 'runs', 'r1', 'events.jsonl'),
      `${JSON.stringify({ t: 'run_start', ts: 1, run_id: 'r1', name: 'n', experiment: 'e' })}\n`,
    );
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  const block = (): Promise<unknown> => mkdir(join(dir, DB_FILE, 'in-the-way'), { recursive: true });

  it('keeps the changes unsaved and saves them on a later try', async () => {
    const store = await RunStore.open({ dir, writer: true, version: 'test' });
    await block();
    await assert.rejects(store.snapshot());
    assert.equal(store.hasUnsavedChanges, true);
    assert.equal(store.query('listRuns').total, 1, 'nothing is lost');
    await rm(join(dir, DB_FILE), { recursive: true });
    assert.equal(await store.snapshot(), true);
    assert.ok((await stat(join(dir, DB_FILE))).isFile());
    store.close();
  });

  it('moves what stands in the database’s place aside when it opens', async () => {
    await block();
    const logs: string[] = [];
    const store = await RunStore.open({ dir, writer: true, version: 'test', log: (m) => logs.push(m) });
    assert.ok(store.recoveredFrom);
    assert.ok((await stat(join(store.recoveredFrom, 'in-the-way'))).isDirectory(), 'kept, not deleted');
    assert.match(logs[0] ?? '', /unreadable \(EISDIR/);
    assert.equal(store.query('listRuns').total, 1);
    store.close();
  });

  it('says so in the log, and retries until it works', async () => {
    const logs: string[] = [];
    const service = await StoreService.start(
      { dir, version: 'test', settleMs: 10, maxDelayMs: 50 },
      { changed: () => undefined, log: (_level, message) => logs.push(message) },
    );
    try {
      await block();
      await appendFile(
        join(dir, 'runs', 'r1', 'events.jsonl'),
        `${JSON.stringify({ t: 'tag', ts: 2, key: 'k', value: 'v' })}\n`,
      );
      await service.sync();
      const message = await waitFor(
        'the failure to be reported',
        () => logs.find((m) => m.startsWith('Could not save')),
        5_000,
      );
      assert.match(message, /Retrying in 5 s; no run data is lost/);
      await rm(join(dir, DB_FILE), { recursive: true });
      await waitFor(
        'the retry to save',
        async () => ((await stat(join(dir, DB_FILE)).catch(() => undefined))?.isFile() ? true : undefined),
        10_000,
      );
    } finally {
      await service.close();
    }
  });
});
