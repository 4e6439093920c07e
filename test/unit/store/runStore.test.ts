import * as assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricBatchLine } from '../../../src/store/metricBatchLine';
import { CHUNK_POINTS } from '../../../src/store/metrics';
import { RunStore } from '../../../src/store/runStore';
import { DB_FILE } from '../../../src/store/storeLocation';
import { NewerStoreError, SCHEMA_VERSION } from '../../../src/store/schema';
import { Db } from '../../../src/store/sqlite';

const line = (event: object): string => `${JSON.stringify(event)}\n`;
const metricLine = (key: string, step: number, value: number | string, ts = 1000 + step): string =>
  `{"t":"metric","ts":${ts},"key":"${key}","value":${typeof value === 'string' ? `"${value}"` : value},"step":${step}}\n`;

describe('run store', () => {
  let dir: string;
  let logs: string[];

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-store-')), '.runlog');
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

  const start = (runId: string, ts: number, experiment = 'prices', name = `name-${runId}`): string =>
    line({ t: 'run_start', ts, run_id: runId, name, experiment, command: 'python train.py' });

  it('opens a folder with no store without creating anything', async () => {
    const store = await open();
    assert.deepEqual(store.query('listRuns'), { runs: [], total: 0 });
    assert.equal(await store.snapshot(), false);
    assert.equal(existsSync(dir), false);
    store.close();
  });

  it('ingests journals into runs, params, tags, metrics, git, artifacts and inputs', async () => {
    await journal(
      'r1',
      start('r1', 100) +
        line({
          t: 'git',
          ts: 101,
          commit: 'abc',
          branch: 'main',
          dirty: true,
          patch: 'diff --git',
          untracked: [{ path: 'x.py', content: 'x' }],
        }) +
        line({ t: 'param', ts: 102, key: 'lr', value: '0.01' }) +
        line({ t: 'param', ts: 103, key: 'lr', value: '0.01' }) +
        line({ t: 'param', ts: 104, key: 'lr', value: '0.5' }) +
        line({ t: 'tag', ts: 105, key: 'note', value: 'a' }) +
        line({ t: 'tag', ts: 106, key: 'note', value: 'b' }) +
        metricLine('loss', 0, 0.9) +
        metricLine('loss', 1, 'NaN') +
        metricLine('loss', 2, 0.3) +
        line({ t: 'artifact', ts: 107, path: 'model.pkl', size: 3, sha256: 'ff' }) +
        line({ t: 'input', ts: 108, name: 'train', path: 'data/train.csv', digest: 'dd' }) +
        'this is not json\n' +
        line({ t: 'run_end', ts: 200, status: 'FINISHED', exit_code: 0 }),
    );
    const store = await open();
    const run = store.query('getRun', 'r1');
    assert.ok(run);
    assert.equal(run.name, 'name-r1');
    assert.equal(run.experiment, 'prices');
    assert.equal(run.status, 'FINISHED');
    assert.equal(run.startTime, 100);
    assert.equal(run.endTime, 200);
    assert.equal(run.exitCode, 0);
    assert.deepEqual(run.params, { lr: '0.01' });
    assert.deepEqual(run.tags, { note: 'b' });
    assert.equal(run.metrics.length, 1);
    assert.deepEqual(
      { ...run.metrics[0] },
      { key: 'loss', count: 3, last: 0.3, lastStep: 2, lastTime: 1002, min: 0.3, max: 0.9 },
    );
    assert.deepEqual(run.git, {
      commit: 'abc',
      branch: 'main',
      remote: null,
      dirty: true,
      patch: 'diff --git',
      untracked: [{ path: 'x.py', content: 'x' }],
    });
    assert.deepEqual(run.artifacts, [{ path: 'model.pkl', size: 3, sha256: 'ff' }]);
    assert.deepEqual(run.inputs, [{ name: 'train', path: 'data/train.csv', digest: 'dd' }]);
    assert.deepEqual(
      run.rejected.map((r) => r.line),
      [5, 13],
    );
    assert.match(run.rejected[0]?.reason ?? '', /param "lr" is already "0.01"; params are write-once/);
    assert.match(run.rejected[1]?.reason ?? '', /not valid JSON/);
    assert.ok(logs.some((m) => m.includes('write-once')));
    const points = store.query('series', 'r1', 'loss');
    assert.deepEqual([...points.steps], [0, 1, 2]);
    assert.ok(Number.isNaN(points.values[1]));
    store.close();
  });

  it("keeps a run's Python environment; a child run shows its parent's", async () => {
    const environment = {
      t: 'environment',
      ts: 5,
      python_version: '3.11.2',
      python_implementation: 'CPython',
      executable: '/usr/bin/python3',
      platform: 'Linux-6.1.0-x86_64-with-glibc2.36',
      system: 'Linux',
      machine: 'x86_64',
      packages: { numpy: '1.24.2', 'scikit-learn': '1.2.1' },
      gpu: {
        driver_version: '535.104.05',
        cuda_version: '12.2',
        devices: [{ name: 'A100', memory_total_megabytes: 40960 }],
      },
    };
    await journal('parent', start('parent', 1) + line(environment));
    await journal(
      'child',
      line({ t: 'run_start', ts: 2, run_id: 'child', name: 'c', experiment: 'prices', parent_run_id: 'parent' }),
    );
    await journal(
      'plain',
      start('plain', 3) + line({ t: 'environment', ts: 4, python_version: '3.8.10', packages: {} }),
    );
    await journal('none', start('none', 3));
    const store = await open();
    const expected = {
      runId: 'parent',
      recorded: 5,
      pythonVersion: '3.11.2',
      pythonImplementation: 'CPython',
      executable: '/usr/bin/python3',
      platform: 'Linux-6.1.0-x86_64-with-glibc2.36',
      system: 'Linux',
      machine: 'x86_64',
      packages: { numpy: '1.24.2', 'scikit-learn': '1.2.1' },
      gpu: {
        driverVersion: '535.104.05',
        cudaVersion: '12.2',
        devices: [{ name: 'A100', memoryTotalMegabytes: 40960 }],
      },
    };
    assert.deepEqual(store.query('getRun', 'parent')?.environment, expected);
    assert.deepEqual(store.query('getRun', 'child')?.environment, expected, "the parent's, named as such");
    assert.deepEqual(store.query('getRun', 'plain')?.environment, {
      runId: 'plain',
      recorded: 4,
      pythonVersion: '3.8.10',
      pythonImplementation: null,
      executable: null,
      platform: null,
      system: null,
      machine: null,
      packages: {},
      gpu: null,
    });
    assert.equal(store.query('getRun', 'none')?.environment, null);
    // A second process logging into the run records its own environment, which replaces the first.
    await journal('plain', line({ t: 'environment', ts: 9, python_version: '3.12.1', packages: { torch: '2.2.0' } }));
    await store.syncJournals();
    assert.equal(store.query('getRun', 'plain')?.environment?.pythonVersion, '3.12.1');
    assert.deepEqual(store.query('getRun', 'plain')?.environment?.packages, { torch: '2.2.0' });
    for (const id of ['parent', 'child', 'plain', 'none'])
      assert.deepEqual(store.query('getRun', id)?.rejected, [], id);
    store.close();
  });

  it('keeps the shape and columns of in-memory training data', async () => {
    await journal(
      'r1',
      start('r1', 1) +
        line({
          t: 'input',
          ts: 2,
          name: 'X_train',
          path: '/w/train.py',
          digest: 'd',
          shape: [100, 2],
          columns: ['a', 'b'],
        }),
    );
    const store = await open();
    assert.deepEqual(store.query('getRun', 'r1')?.inputs, [
      { name: 'X_train', path: '/w/train.py', digest: 'd', shape: [100, 2], columns: ['a', 'b'] },
    ]);
    store.close();
  });

  it('reads again the journals whose lines of an unknown type an older store refused', async () => {
    const environment = line({ t: 'environment', ts: 2, python_version: '3.11.2', packages: { numpy: '1.24.2' } });
    await journal('r1', start('r1', 1) + environment + metricLine('loss', 0, 0.5));
    await journal('r2', start('r2', 1) + metricLine('loss', 0, 0.25));
    const store = await open();
    await store.snapshot();
    store.close();
    // Turn the saved database into what a store of schema 2 made of these journals.
    const db = await Db.open(await readFile(join(dir, DB_FILE)));
    db.exec(`DROP TABLE environments; ALTER TABLE inputs DROP COLUMN shape; ALTER TABLE inputs DROP COLUMN columns;
      INSERT INTO rejected_events (run_id, line, reason) VALUES ('r1', 2, 'unknown event type "environment"');
      PRAGMA user_version = 2;`);
    await writeFile(join(dir, DB_FILE), db.export());
    db.close();
    const upgraded = await open();
    const r1 = upgraded.query('getRun', 'r1');
    assert.deepEqual(r1?.rejected, []);
    assert.equal(r1?.environment?.pythonVersion, '3.11.2');
    assert.deepEqual([...upgraded.query('series', 'r1', 'loss').values], [0.5], 'read once, not twice');
    assert.deepEqual([...upgraded.query('series', 'r2', 'loss').values], [0.25]);
    upgraded.close();
  });

  /** Makes the saved database one of schema `version` that refused run r1's line `line` for `reason`: no points of it. */
  async function refusedBefore(version: number, lineNumber: number, reason: string): Promise<void> {
    const db = await Db.open(await readFile(join(dir, DB_FILE)));
    db.run("DELETE FROM metric_chunks WHERE series_id IN (SELECT id FROM metric_series WHERE run_id = 'r1')");
    db.run("DELETE FROM metric_series WHERE run_id = 'r1'");
    db.run("INSERT INTO rejected_events (run_id, line, reason) VALUES ('r1', ?, ?)", [lineNumber, reason]);
    db.exec(`PRAGMA user_version = ${version};`);
    await writeFile(join(dir, DB_FILE), db.export());
    db.close();
  }

  it('reads again the journals whose batched metric lines a store before format 4 refused', async () => {
    await journal('r1', start('r1', 1) + metricBatchLine('loss', [0, 1], [2, 3], [0.5, 0.25]));
    await journal('r2', start('r2', 1) + metricLine('loss', 0, 0.125));
    const store = await open();
    await store.snapshot();
    store.close();
    // What a store of schema 4 made of them: the batched line refused, its points missing.
    await refusedBefore(4, 2, '"ts" must be a number (milliseconds since the epoch)');
    const upgraded = await open();
    assert.deepEqual(upgraded.query('getRun', 'r1')?.rejected, []);
    assert.deepEqual([...upgraded.query('series', 'r1', 'loss').values], [0.5, 0.25], 'read once, not twice');
    assert.deepEqual([...upgraded.query('series', 'r2', 'loss').values], [0.125]);
    upgraded.close();
  });

  it('reads again the journals whose points-file lines a store before format 5 refused', async () => {
    let text = start('r1', 1);
    for (let i = 0; i < 3000; i++) text += metricLine('loss', i, 1 / (i + 1));
    await journal('r1', text + line({ t: 'run_end', ts: 5, status: 'FINISHED' }));
    await journal('r2', start('r2', 1) + metricLine('loss', 0, 0.125));
    const store = await open();
    assert.ok(store.compactNext({ quietMs: 0 })?.outcome.compacted);
    await store.snapshot();
    store.close();
    // What a store of schema 7 (format 4) made of the compacted journal: its lines refused, no points.
    await refusedBefore(7, 3, 'metrics: "value" must be base64 text');
    const upgraded = await open();
    assert.deepEqual(upgraded.query('getRun', 'r1')?.rejected, []);
    const loss = upgraded.query('series', 'r1', 'loss');
    assert.equal(loss.values.length, 3000, 'read once, not twice');
    assert.equal(loss.values[2999], 1 / 3000);
    assert.deepEqual([...upgraded.query('series', 'r2', 'loss').values], [0.125]);
    upgraded.close();
  });

  it('renames and refiles a run through the tags a joining client writes', async () => {
    await journal(
      'r1',
      start('r1', 1, 'Default', 'calm-otter') +
        line({ t: 'tag', ts: 2, key: 'runlog.name', value: 'my-run' }) +
        line({ t: 'tag', ts: 3, key: 'runlog.experiment', value: 'house-prices' }),
    );
    const store = await open();
    const run = store.query('getRun', 'r1');
    assert.equal(run?.name, 'my-run');
    assert.equal(run?.experiment, 'house-prices');
    store.close();
  });

  it('reads only what is new, leaves a half-written line for later, and splits points into chunks', async () => {
    await journal('r1', start('r1', 1));
    const store = await open();
    const total = CHUNK_POINTS * 2 + 100;
    let text = '';
    for (let i = 0; i < total; i++) text += metricLine('acc', i, i / total);
    await journal('r1', text + '{"t":"metric","ts":5,"key":"acc"');
    const first = await store.syncJournals();
    assert.deepEqual(first.changedRuns, ['r1']);
    assert.equal(first.stats.points, total);
    assert.deepEqual(await store.syncJournals().then((r) => r.changedRuns), []);
    await journal('r1', `,"value":1,"step":${total}}\n`);
    const second = await store.syncJournals();
    assert.equal(second.stats.points, 1);
    const series = store.query('series', 'r1', 'acc');
    assert.equal(series.values.length, total + 1);
    assert.deepEqual([...series.steps.subarray(0, 5)], [0, 1, 2, 3, 4]);
    assert.equal(series.steps[total], total);
    assert.deepEqual(store.query('getRun', 'r1')?.metrics[0]?.count, total + 1);
    store.close();
  });

  it('survives a restart: the snapshot plus the journals hold every event exactly once', async () => {
    await journal('r1', start('r1', 1) + metricLine('loss', 0, 1) + metricLine('loss', 1, 0.5));
    const store = await open();
    assert.equal(await store.snapshot(), true);
    assert.ok(existsSync(join(dir, DB_FILE)));
    assert.equal((await readFile(join(dir, '.gitignore'), 'utf8')).trim(), '*');
    store.close();
    // Written after the snapshot, as if the editor died before the next one.
    await journal('r1', metricLine('loss', 2, 0.25) + line({ t: 'run_end', ts: 9, status: 'KILLED' }));
    const reopened = await open();
    const run = reopened.query('getRun', 'r1');
    assert.equal(run?.status, 'KILLED');
    assert.equal(run?.metrics[0]?.count, 3);
    assert.deepEqual([...reopened.query('series', 'r1', 'loss').values], [1, 0.5, 0.25]);
    reopened.close();
  });

  it('moves a corrupt database aside, rebuilds it from the journals and says where the old one is', async () => {
    await journal('r1', start('r1', 1) + metricLine('loss', 0, 1));
    await writeFile(join(dir, DB_FILE), 'SQLite format 3\0 but then garbage '.repeat(200));
    const store = await open();
    assert.ok(store.recoveredFrom);
    assert.ok(existsSync(store.recoveredFrom));
    assert.equal(existsSync(join(dir, DB_FILE)), false, 'the corrupt file is kept, not overwritten');
    assert.ok(logs.some((m) => m.includes(store.recoveredFrom as string)));
    assert.equal(store.query('getRun', 'r1')?.metrics[0]?.count, 1);
    assert.equal(await store.snapshot(), true);
    store.close();
  });

  it('reads around a corrupt database without moving it when it is not the writer', async () => {
    await journal('r1', start('r1', 1));
    await writeFile(join(dir, DB_FILE), 'garbage'.repeat(1000));
    const store = await open(false);
    assert.equal(store.recoveredFrom, undefined);
    assert.equal((await readdir(dir)).filter((f) => f.includes('corrupt')).length, 0);
    assert.equal(store.query('listRuns').total, 1);
    assert.equal(await store.snapshot(), false, 'a reader never writes the database');
    store.close();
  });

  it('refuses a store written by a newer Runlog and changes nothing', async () => {
    await mkdir(dir, { recursive: true });
    const db = await Db.open();
    db.exec(
      `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('written_by', 'Runlog 9.0.0'); PRAGMA user_version = ${SCHEMA_VERSION + 1};`,
    );
    const image = db.export();
    db.close();
    await writeFile(join(dir, DB_FILE), image);
    await assert.rejects(open(), (error: unknown) => {
      assert.ok(error instanceof NewerStoreError);
      assert.match(error.message, /written by a newer Runlog \(Runlog 9\.0\.0\).*nothing was changed/);
      return true;
    });
    assert.deepEqual(new Uint8Array(await readFile(join(dir, DB_FILE))), image);
    assert.deepEqual((await readdir(dir)).sort(), [DB_FILE]);
  });

  it('reads a journal again when it was replaced by a shorter one', async () => {
    await journal('r1', start('r1', 1) + metricLine('loss', 0, 1) + metricLine('loss', 1, 2));
    const store = await open();
    await writeFile(join(dir, 'runs', 'r1', 'events.jsonl'), start('r1', 1) + metricLine('loss', 0, 7));
    await store.syncJournals();
    assert.deepEqual([...store.query('series', 'r1', 'loss').values], [7]);
    assert.ok(logs.some((m) => m.includes('got shorter')));
    store.close();
  });

  it('lists runs with paging, experiments and sorting by a metric', async () => {
    for (let i = 0; i < 5; i++) {
      await journal(
        `r${i}`,
        start(`r${i}`, i * 10, i % 2 === 0 ? 'even' : 'odd') + metricLine('rmse', 0, [3, 1, 4, 1.5, 9][i]),
      );
    }
    await journal('r5', start('r5', 60, 'odd'));
    const store = await open();
    assert.deepEqual(
      store.query('experiments').map((e) => [e.name, e.runCount]),
      [
        ['Default', 0],
        ['even', 3],
        ['odd', 3],
      ],
    );
    const page = store.query('listRuns', { limit: 2, offset: 1 });
    assert.equal(page.total, 6);
    assert.deepEqual(
      page.runs.map((r) => r.id),
      ['r4', 'r3'],
    );
    const even = store.query('experiments').find((e) => e.name === 'even')?.id as number;
    assert.deepEqual(
      store
        .query('listRuns', { experimentIds: [even], sort: { key: 'metrics.rmse', descending: false } })
        .runs.map((r) => r.id),
      ['r0', 'r2', 'r4'],
    );
    assert.deepEqual(
      store.query('listRuns', { sort: { key: 'metrics.rmse', descending: false } }).runs.map((r) => r.id),
      ['r1', 'r3', 'r0', 'r2', 'r4', 'r5'],
      'runs without the metric come last',
    );
    assert.deepEqual(
      store.query('listRuns', { filter: "metrics.rmse < 2 OR attributes.run_name = 'name-r5'" }).runs.map((r) => r.id),
      ['r5', 'r3', 'r1'],
    );
    assert.throws(
      () => store.query('listRuns', { filter: 'metrics.rmse <' }),
      /metrics.rmse: expected a value after "<", found end of input/,
    );
    assert.deepEqual(store.query('keys', 'metrics'), ['rmse']);
    store.close();
  });

  it('downsamples to min, max and last per bucket without losing an extreme', async () => {
    const n = 10_000;
    let text = start('r1', 1);
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = Math.sin(i / 50) + (i % 97 === 0 ? 5 : 0) - (i === 4321 ? 100 : 0);
      values.push(v);
      text += metricLine('wave', i, v);
    }
    // A second series whose steps go back (a resumed run): bucketed point by point.
    for (let i = 0; i < n; i++) text += metricLine('resumed', i < n / 2 ? i : i - n / 4, values[i]);
    await journal('r1', text);
    const store = await open();

    // Zoomed out: 32-point blocks land whole in the bucket of their last point.
    const buckets = store.query('buckets', 'r1', 'wave', 100);
    const expected = new Map<number, { min: number; max: number; last: number; x: number; count: number }>();
    for (let block = 0; block * 32 < n; block++) {
      const points = values.slice(block * 32, block * 32 + 32);
      const lastStep = Math.min(n, block * 32 + 32) - 1;
      const b = Math.min(99, Math.floor(lastStep / ((n - 1) / 100)));
      const e = expected.get(b) ?? { min: Infinity, max: -Infinity, last: 0, x: 0, count: 0 };
      expected.set(b, {
        min: Math.min(e.min, ...points),
        max: Math.max(e.max, ...points),
        last: points[points.length - 1],
        x: lastStep,
        count: e.count + points.length,
      });
    }
    assert.equal(buckets.x.length, expected.size);
    [...expected.values()].forEach((e, i) => {
      assert.deepEqual(
        [buckets.min[i], buckets.max[i], buckets.last[i], buckets.x[i], buckets.count[i]],
        [e.min, e.max, e.last, e.x, e.count],
        `bucket ${i}`,
      );
    });
    assert.equal(Math.min(...buckets.min), -100 + Math.sin(4321 / 50), 'the global minimum survives');
    assert.equal(
      buckets.count.reduce((a, b) => a + b, 0),
      n,
    );

    // Zoomed in: few points per bucket, so every point is bucketed exactly.
    const zoomed = store.query('buckets', 'r1', 'wave', 10, 'step', { from: 500, to: 599 });
    assert.equal(
      zoomed.count.reduce((a, b) => a + b, 0),
      100,
    );
    assert.equal(zoomed.x[0], 509);
    for (let b = 0; b < 10; b++) {
      const slice = values.slice(500 + b * 10, 510 + b * 10);
      assert.equal(zoomed.min[b], Math.min(...slice));
      assert.equal(zoomed.max[b], Math.max(...slice));
    }

    const resumed = store.query('buckets', 'r1', 'resumed', 100);
    assert.equal(
      resumed.count.reduce((a, b) => a + b, 0),
      n,
    );
    assert.equal(resumed.x[resumed.x.length - 1], (n * 3) / 4 - 1);
    store.close();
  });
});
