import * as assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricBatchLine } from '../../../src/store/metricBatchLine';
import { CHUNK_POINTS } from '../../../src/store/metrics';
import { RunStore } from '../../../src/store/runStore';
import { Db } from '../../../src/store/sqlite';
import { CHUNKS_DIR, DB_FILE } from '../../../src/store/storeLocation';

const line = (event: object): string => `${JSON.stringify(event)}\n`;

/** `n` points of `key` from step `first` on, as batched lines of 1000. */
function points(key: string, first: number, n: number): string {
  let text = '';
  for (let at = first; at < first + n; at += 1000) {
    const steps = Array.from({ length: Math.min(1000, first + n - at) }, (_, i) => at + i);
    text += metricBatchLine(
      key,
      steps,
      steps.map((s) => 1_700_000_000_000 + s),
      steps.map((s) => Math.sin(s) + s / 1000),
    );
  }
  return text;
}

describe('chunk files: full metric chunks on disk, the database holding their index', () => {
  let dir: string;
  let logs: string[];

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-chunks-')), '.runlog');
    logs = [];
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  const open = (writer = true): Promise<RunStore> =>
    RunStore.open({ dir, writer, version: 'test', log: (m) => logs.push(m) });

  async function journal(runId: string, text: string): Promise<void> {
    await mkdir(join(dir, 'runs', runId), { recursive: true });
    await appendFile(join(dir, 'runs', runId, 'events.jsonl'), text);
  }

  const start = (runId: string): string =>
    line({ t: 'run_start', ts: 1, run_id: runId, name: runId, experiment: 'chunks' });

  /** Every point of the series, checked against what points() wrote. */
  function assertSeries(store: RunStore, runId: string, key: string, n: number): void {
    const series = store.query('series', runId, key);
    assert.equal(series.values.length, n, `${runId}/${key}: ${series.values.length} of ${n} points`);
    for (let i = 0; i < n; i += 997) {
      assert.equal(series.steps[i], i);
      assert.equal(series.times[i], 1_700_000_000_000 + i);
      assert.equal(series.values[i], Math.sin(i) + i / 1000);
    }
    assert.equal(series.values[n - 1], Math.sin(n - 1) + (n - 1) / 1000);
  }

  async function chunkFiles(): Promise<string[]> {
    return existsSync(join(dir, CHUNKS_DIR)) ? (await readdir(join(dir, CHUNKS_DIR))).sort() : [];
  }

  /** The saved database's chunks: how many in files, how many in rows, and the bytes of those rows. */
  async function rows(): Promise<{ inFile: number; inRow: number; rowBytes: number }> {
    const db = await Db.open(await readFile(join(dir, DB_FILE)));
    try {
      const row = db.get<{ inFile: number; inRow: number; rowBytes: number }>(
        `SELECT SUM(file_offset IS NOT NULL) AS inFile, SUM(file_offset IS NULL) AS inRow,
           SUM(length(data) + length(blocks)) AS rowBytes FROM metric_chunks`,
      );
      return { inFile: row?.inFile ?? 0, inRow: row?.inRow ?? 0, rowBytes: row?.rowBytes ?? 0 };
    } finally {
      db.close();
    }
  }

  it('writes full chunks to the run’s file and keeps only the partial last chunk in the database', async () => {
    const n = CHUNK_POINTS * 10 + 123;
    await journal('r1', start('r1') + points('loss', 0, n) + points('acc', 0, 100));
    const store = await open();
    assertSeries(store, 'r1', 'loss', n);
    const buckets = store.query('buckets', 'r1', 'loss', 50);
    assert.equal(buckets.max.length, 50);
    assert.ok(await store.snapshot());
    store.close();
    const files = await chunkFiles();
    assert.equal(files.length, 1);
    assert.match(files[0] ?? '', /^r1\.[0-9a-f]{8}\.chunks$/);
    const saved = await rows();
    assert.deepEqual([saved.inFile, saved.inRow], [10, 2]);
    // The snapshot holds the index and the two partial chunks (223 points), not the 20,480 points of the full ones.
    assert.ok(saved.rowBytes < 223 * 20, `${saved.rowBytes} bytes of points in runlog.db`);
    const again = await open();
    assertSeries(again, 'r1', 'loss', n);
    assert.deepEqual(again.query('buckets', 'r1', 'loss', 50), buckets);
    again.close();
  });

  it('a chart of many points a bucket folds the rows’ 1024-point summaries and reads no chunk file', async () => {
    const n = CHUNK_POINTS * 12 + 300;
    await journal('r1', start('r1') + points('loss', 0, n));
    const store = await open();
    const series = store.query('series', 'r1', 'loss');
    const [file = ''] = await chunkFiles();
    // From here on, reading the chunk file fails: only the rows can answer.
    await truncate(join(dir, CHUNKS_DIR, file), 0);
    const buckets = store.query('buckets', 'r1', 'loss', 10);
    assert.equal(
      buckets.count.reduce((a, b) => a + b, 0),
      n,
    );
    assert.equal(Math.min(...buckets.min), Math.min(...series.values));
    assert.equal(Math.max(...buckets.max), Math.max(...series.values));
    assert.equal(buckets.last.at(-1), series.values[n - 1]);
    assert.throws(() => store.query('buckets', 'r1', 'loss', 100), /ends before a chunk/, '32-point blocks are read');
    store.close();
  });

  it('the writer moves full chunks kept in rows (an older database, a reader’s save) to chunk files', async () => {
    const n = CHUNK_POINTS * 6 + 7;
    await journal('r1', start('r1') + points('loss', 0, n));
    // A reader that saves what it replayed (the CLI does when the lock is free): every chunk in a row.
    const reader = await open(false);
    reader.setWriter(true);
    assert.ok(await reader.snapshot());
    reader.close();
    assert.deepEqual((await rows()).inFile, 0);
    const writer = await open();
    let batches = 0;
    while (writer.moveChunksOut(2)) batches++;
    assert.equal(batches, 3);
    assertSeries(writer, 'r1', 'loss', n);
    assert.ok(await writer.snapshot());
    writer.close();
    const saved = await rows();
    assert.deepEqual([saved.inFile, saved.inRow], [6, 1]);
    assert.ok(saved.rowBytes < 7 * 20);
    const again = await open();
    assertSeries(again, 'r1', 'loss', n);
    again.close();
  });

  it('a reader reads the writer’s chunk files and keeps what it replays itself in its rows', async () => {
    await journal('r1', start('r1') + points('loss', 0, CHUNK_POINTS * 3));
    const writer = await open();
    assert.ok(await writer.snapshot());
    writer.close();
    const before = await chunkFiles();
    const size = statSync(join(dir, CHUNKS_DIR, before[0] ?? '')).size;
    await journal('r1', points('loss', CHUNK_POINTS * 3, CHUNK_POINTS * 2));
    const reader = await open(false);
    assertSeries(reader, 'r1', 'loss', CHUNK_POINTS * 5);
    reader.close();
    assert.deepEqual(await chunkFiles(), before);
    assert.equal(statSync(join(dir, CHUNKS_DIR, before[0] ?? '')).size, size, 'the reader wrote nothing');
  });

  it('a kill before the snapshot: chunks past what the database vouches for are cut off and replayed', async () => {
    await journal('r1', start('r1') + points('loss', 0, CHUNK_POINTS * 2));
    const first = await open();
    assert.ok(await first.snapshot());
    // More points are ingested (their chunks appended) but no snapshot is taken: as a kill leaves it.
    await journal('r1', points('loss', CHUNK_POINTS * 2, CHUNK_POINTS * 3));
    await first.syncJournals();
    first.close();
    const [file = ''] = await chunkFiles();
    const grown = statSync(join(dir, CHUNKS_DIR, file)).size;
    const second = await open();
    // Cut back to the snapshot's two chunks, then the replay appends the three others again.
    assert.equal(statSync(join(dir, CHUNKS_DIR, file)).size, grown);
    assertSeries(second, 'r1', 'loss', CHUNK_POINTS * 5);
    assert.ok(await second.snapshot());
    second.close();
    const third = await open();
    assertSeries(third, 'r1', 'loss', CHUNK_POINTS * 5);
    third.close();
    assert.deepEqual(logs, []);
  });

  it('a chunk file cut short or gone: its run is read again from the journal, and says so', async () => {
    await journal('r1', start('r1') + points('loss', 0, CHUNK_POINTS * 4));
    await journal('r2', start('r2') + points('loss', 0, CHUNK_POINTS * 2));
    const first = await open();
    assert.ok(await first.snapshot());
    first.close();
    const [one = '', two = ''] = await chunkFiles();
    await truncate(join(dir, CHUNKS_DIR, one), 100);
    await rm(join(dir, CHUNKS_DIR, two));
    const second = await open();
    assertSeries(second, 'r1', 'loss', CHUNK_POINTS * 4);
    assertSeries(second, 'r2', 'loss', CHUNK_POINTS * 2);
    assert.equal(
      logs.filter((m) => /chunk file of run r[12] is shorter .* or gone; reading its journal again/.test(m)).length,
      2,
    );
    assert.ok(await second.snapshot());
    second.close();
    const names = await chunkFiles();
    assert.equal(names.length, 2);
    assert.ok(!names.includes(one) && !names.includes(two), 'a run read again gets a new file');
  });

  it('a run forgotten (its journal got shorter) leaves no chunk file behind', async () => {
    await journal('r1', start('r1') + points('loss', 0, CHUNK_POINTS * 2));
    const store = await open();
    const [old = ''] = await chunkFiles();
    await rm(join(dir, 'runs', 'r1', 'events.jsonl'));
    await journal('r1', start('r1') + points('loss', 0, CHUNK_POINTS + 5));
    await store.syncJournals();
    assertSeries(store, 'r1', 'loss', CHUNK_POINTS + 5);
    // The old file stays while the saved database may name it: until a snapshot without it.
    assert.ok((await chunkFiles()).includes(old));
    await store.snapshot();
    const names = await chunkFiles();
    assert.equal(names.length, 1);
    assert.notEqual(names[0], old);
    await rm(join(dir, 'runs', 'r1'), { recursive: true });
    await store.syncJournals();
    await store.snapshot();
    assert.deepEqual(await chunkFiles(), []);
    store.close();
  });
});
