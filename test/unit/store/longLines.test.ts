import * as assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../../src/store/runStore';
import { StoreService } from '../../../src/store/storeService';
import { waitFor } from '../../support/waitFor';

const line = (event: object): string => `${JSON.stringify(event)}\n`;
/** A param line of about 33 MB: over the 32 MB the store reads at once. */
const HUGE = line({ t: 'param', ts: 3, key: 'huge', value: 'x'.repeat(33 * 1024 * 1024) });

describe('journal lines longer than the read piece', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-long-')), '.runlog');
    await mkdir(join(dir, 'runs', 'r1'), { recursive: true });
    file = join(dir, 'runs', 'r1', 'events.jsonl');
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('is skipped and counted once, with its line number and size; the rest of the run is read', async () => {
    await writeFile(
      file,
      line({ t: 'run_start', ts: 1, run_id: 'r1', name: 'r1', experiment: 'e' }) +
        line({ t: 'param', ts: 2, key: 'lr', value: '0.1' }) +
        HUGE +
        line({ t: 'metric', ts: 4, key: 'loss', value: 0.5, step: 0 }) +
        line({ t: 'run_end', ts: 5, status: 'FINISHED' }),
    );
    const logs: string[] = [];
    const store = await RunStore.open({ dir, writer: false, version: 'test', log: (m) => logs.push(m) });
    for (let i = 0; i < 3; i++) await store.syncJournals();
    const run = store.query('getRun', 'r1');
    assert.equal(run?.status, 'FINISHED');
    assert.deepEqual(run?.params, { lr: '0.1' });
    assert.equal(run?.metrics[0]?.count, 1);
    assert.equal(run?.rejected.length, 1);
    assert.equal(run?.rejected[0]?.line, 3);
    assert.match(run?.rejected[0]?.reason ?? '', new RegExp(`a line of ${Buffer.byteLength(HUGE)} bytes`));
    assert.equal(logs.filter((m) => m.includes('journal line 3')).length, 1, logs.join('\n'));
    store.close();
  });

  it('waits for a long line still being written, warning once, and skips it when it ends', async () => {
    await writeFile(
      file,
      line({ t: 'run_start', ts: 1, run_id: 'r1', name: 'r1', experiment: 'e' }) + HUGE.slice(0, -1),
    );
    const logs: string[] = [];
    const store = await RunStore.open({ dir, writer: false, version: 'test', log: (m) => logs.push(m) });
    await store.syncJournals();
    await appendFile(file, 'yyyy');
    await store.syncJournals();
    assert.equal(logs.filter((m) => m.includes('no end yet')).length, 1, logs.join('\n'));
    await appendFile(file, `\n${line({ t: 'run_end', ts: 5, status: 'FAILED' })}`);
    await store.syncJournals();
    assert.equal(store.query('getRun', 'r1')?.status, 'FAILED');
    assert.equal(store.query('getRun', 'r1')?.rejected.length, 1);
    store.close();
  });

  it('never marks a run interrupted again because of a line it could not read', async () => {
    // The run's process is gone and its journal ends in a long line that has no end.
    await writeFile(
      file,
      line({ t: 'run_start', ts: 1, run_id: 'r1', name: 'r1', experiment: 'e', pid: 999_999_999, host: hostname() }) +
        HUGE.slice(0, -1),
    );
    const service = await StoreService.start(
      { dir, version: 'test', reconcileMs: 30, pollMs: 30 },
      { changed: () => undefined, log: () => undefined },
    );
    try {
      await waitFor('the run to be interrupted', async () =>
        (await service.call('getRun', 'r1'))?.status === 'INTERRUPTED' ? true : undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const marks = (await readFile(file, 'utf8')).split('\n').filter((l) => l.includes('"INTERRUPTED"'));
      assert.equal(marks.length, 1);
    } finally {
      await service.close();
    }
  });
});
