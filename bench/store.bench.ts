// `npm run bench`: the store's speed and size figures, each beside a reference measured in the same run.
//   npm run bench                       print the table
//   npm run bench -- --json FILE        also write [{"name","value","unit","reference","ratio"}]
//   npm run bench -- --points N         size of the big dataset (default 10,000,000)
// The reference is native SQLite (better-sqlite3) doing the same job the plain way: one row per point.
// A ratio ≥ 1 means Runlog did better than the reference.
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeFileAtomic } from '../src/store/atomicFile';
import { parseEventLine } from '../src/store/eventParse';
import { metricBatchLine, parseMetricBatch } from '../src/store/metricBatchLine';
import { RunStore } from '../src/store/runStore';
import { CHUNKS_DIR, DB_FILE } from '../src/store/storeLocation';
import { StoreClient } from '../src/store/storeClient';
import { loadSqlJs } from '../src/store/sqlite';
import { Figures, median, option } from './figures';

const BIG_POINTS = Number(option('points') ?? 10_000_000);
const SERIES_POINTS = 1_000_000;
const figures = new Figures();
const record = figures.record.bind(figures);

function time<T>(body: () => T, runs = 7): { ms: number; result: T } {
  let result = body();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    result = body();
    samples.push(performance.now() - start);
  }
  return { ms: median(samples), result };
}

/** How a journal carries its points: a line each (format 2's only way), or batched lines of this many points. */
type Form = 'lines' | { readonly perLine: number };
const BATCHED: Form = { perLine: 1000 };

const pointValue = (step: number, pointsPerKey: number): number =>
  Math.exp(-step / pointsPerKey) + Math.sin(step) * 0.01;
const pointTime = (step: number): number => 1_732_600_000_000 + step * 13;

/** The bytes a line-per-point journal of these points would take (for the reference, not written). */
function lineFormBytes(keys: readonly string[], pointsPerKey: number): number {
  let bytes = 0;
  for (let step = 0; step < pointsPerKey; step++) {
    for (const key of keys) {
      bytes +=
        `{"t":"metric","ts":${pointTime(step)},"key":"${key}","value":${pointValue(step, pointsPerKey)},"step":${step}}\n`
          .length;
    }
  }
  return bytes;
}

/**
 * Writes journals the way the Python client does: metric lines in their exact compact shape, or
 * batched lines (journal format 4) of `perLine` points of a key, as one flush of a training loop.
 */
async function writeJournal(
  dir: string,
  runId: string,
  keys: readonly string[],
  pointsPerKey: number,
  form: Form = 'lines',
): Promise<void> {
  const runDir = join(dir, 'runs', runId);
  await mkdir(runDir, { recursive: true });
  const out = createWriteStream(join(runDir, 'events.jsonl'));
  const write = (text: string): Promise<void> =>
    out.write(text) ? Promise.resolve() : new Promise((resolve) => out.once('drain', () => resolve()));
  await write(
    JSON.stringify({ t: 'run_start', ts: 1_732_600_000_000, run_id: runId, name: runId, experiment: 'bench' }) + '\n',
  );
  let batch = '';
  const perLine = form === 'lines' ? 1 : form.perLine;
  for (let first = 0; first < pointsPerKey; first += perLine) {
    const count = Math.min(perLine, pointsPerKey - first);
    const steps = Array.from({ length: count }, (_, i) => first + i);
    for (const key of keys) {
      if (form === 'lines') {
        const step = first;
        batch += `{"t":"metric","ts":${pointTime(step)},"key":"${key}","value":${pointValue(step, pointsPerKey)},"step":${step}}\n`;
      } else {
        batch += metricBatchLine(
          key,
          steps,
          steps.map(pointTime),
          steps.map((step) => pointValue(step, pointsPerKey)),
        );
      }
    }
    if (batch.length > 1 << 20) {
      await write(batch);
      batch = '';
    }
  }
  await write(batch + JSON.stringify({ t: 'run_end', ts: 1_732_700_000_000, status: 'FINISHED' }) + '\n');
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/** The reference: parse every line and insert one row per point into native SQLite. */
async function referenceIngest(
  storeDir: string,
  file: string,
): Promise<{ ms: number; points: number; db: Database.Database }> {
  await rm(file, { force: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE points (run_id TEXT, key TEXT, step INTEGER, ts INTEGER, value REAL)');
  const insert = db.prepare('INSERT INTO points VALUES (?, ?, ?, ?, ?)');
  const { readdir } = await import('node:fs/promises');
  const start = performance.now();
  let points = 0;
  for (const runId of await readdir(join(storeDir, 'runs'))) {
    const text = await readFile(join(storeDir, 'runs', runId, 'events.jsonl'), 'utf8');
    const lines = text.split('\n');
    db.transaction(() => {
      for (const line of lines) {
        if (!line) continue;
        const event = JSON.parse(line) as { t: string; key: string; step: number; ts: number; value: number };
        if (event.t === 'metrics') {
          const batch = parseMetricBatch(event);
          if (!batch.ok) throw new Error(batch.reason);
          const { key, steps, times, values } = batch.points;
          for (let i = 0; i < values.length; i++) insert.run(runId, key, steps[i], times[i], values[i]);
          points += values.length;
        }
        if (event.t !== 'metric') continue;
        insert.run(runId, event.key, event.step, event.ts, event.value);
        points++;
      }
    })();
  }
  return { ms: performance.now() - start, points, db };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'runlog-bench-'));
  try {
    console.log(
      `Runlog store benchmark (Node ${process.version}; big dataset ${BIG_POINTS.toLocaleString('en-US')} points)`,
    );

    // 1. Ingest: 1,000,000 points from a journal, ours vs one-row-per-point native SQLite.
    const ingestDir = join(root, 'ingest', '.runlog');
    await writeJournal(ingestDir, 'big', ['loss'], SERIES_POINTS);
    console.log('ingest (median of 3 each; sql.js loaded first, as the store worker does once)');
    await loadSqlJs();
    const ingestTimes: number[] = [];
    let store: RunStore | undefined;
    for (let i = 0; i < 3; i++) {
      store?.close();
      const ingestStart = performance.now();
      store = await RunStore.open({ dir: ingestDir, writer: false, version: 'bench' });
      ingestTimes.push(performance.now() - ingestStart);
    }
    if (!store) throw new Error('no store');
    const referenceTimes: number[] = [];
    let reference: Awaited<ReturnType<typeof referenceIngest>> | undefined;
    for (let i = 0; i < 3; i++) {
      reference?.db.close();
      reference = await referenceIngest(ingestDir, join(root, 'reference-ingest.sqlite'));
      referenceTimes.push(reference.ms);
    }
    if (!reference) throw new Error('no reference');
    record(
      'ingest from journals',
      SERIES_POINTS / (median(ingestTimes) / 1000),
      'points/s',
      reference.points / (median(referenceTimes) / 1000),
      true,
    );
    // The same points in batched lines (journal format 4), against the line-per-point journal above.
    const batchedDir = join(root, 'ingest-batched', '.runlog');
    await writeJournal(batchedDir, 'big', ['loss'], SERIES_POINTS, BATCHED);
    const batchedTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const batchedStart = performance.now();
      const batched = await RunStore.open({ dir: batchedDir, writer: false, version: 'bench' });
      batchedTimes.push(performance.now() - batchedStart);
      if (batched.query('series', 'big', 'loss').values.length !== SERIES_POINTS)
        throw new Error('batched ingest lost points');
      batched.close();
    }
    record(
      'ingest from batched journals',
      SERIES_POINTS / (median(batchedTimes) / 1000),
      'points/s',
      SERIES_POINTS / (median(ingestTimes) / 1000),
      true,
    );

    // 2. Reading a 1M-point series, whole and downsampled to 4000 buckets.
    console.log('queries on a 1,000,000-point series');
    reference.db.exec('CREATE INDEX points_series ON points (run_id, key, step)');
    const history = time(() => store.query('series', 'big', 'loss'));
    if (history.result.values.length !== SERIES_POINTS) throw new Error('history lost points');
    const selectAll = reference.db
      .prepare('SELECT step, ts, value FROM points WHERE run_id = ? AND key = ? ORDER BY step')
      .raw();
    const referenceHistory = time(() => {
      const steps = new Float64Array(SERIES_POINTS);
      const times = new Float64Array(SERIES_POINTS);
      const values = new Float64Array(SERIES_POINTS);
      let i = 0;
      for (const row of selectAll.iterate('big', 'loss') as Iterable<[number, number, number]>) {
        steps[i] = row[0];
        times[i] = row[1];
        values[i] = row[2];
        i++;
      }
      return i;
    }, 3);
    record('history of a 1M-point series', history.ms, 'ms', referenceHistory.ms, false);
    const downsample = time(() => store.query('buckets', 'big', 'loss', 4000));
    const bucketQuery = reference.db.prepare(
      `SELECT MIN(CAST((step - 0) * 4000 / ? AS INTEGER), 3999) AS b, MIN(value), MAX(value), MAX(step)
       FROM points WHERE run_id = ? AND key = ? GROUP BY b ORDER BY b`,
    );
    const referenceDownsample = time(() => bucketQuery.all(SERIES_POINTS, 'big', 'loss'), 3);
    record('downsample a 1M-point series to 4000 buckets', downsample.ms, 'ms', referenceDownsample.ms, false);
    store.close();
    reference.db.close();

    // 3. Event-loop stall on the extension host while 1M points are ingested: in the worker vs inline.
    console.log('event-loop stall while ingesting 1,000,000 points');
    const stallDir = join(root, 'stall', '.runlog');
    await writeJournal(stallDir, 'big', ['loss'], SERIES_POINTS);
    const workerStall = await measureStall(async () => {
      const client = new StoreClient(join(__dirname, '../src/store/storeWorker.js'), {
        dir: stallDir,
        version: 'bench',
      });
      await client.ready;
      await client.close();
    });
    await rm(join(stallDir, DB_FILE), { force: true });
    const inlineStall = await measureStall(async () => {
      const inline = await RunStore.open({ dir: stallDir, writer: false, version: 'bench' });
      inline.close();
    });
    record('event-loop stall p99 while ingesting 1M points', workerStall, 'ms', inlineStall, false);

    // 4. Size on disk and snapshot time for the big dataset.
    console.log(`size and snapshot of ${BIG_POINTS.toLocaleString('en-US')} points`);
    const bigDir = join(root, 'big', '.runlog');
    const runs = Math.max(1, Math.round(BIG_POINTS / 100_000));
    const keys = ['loss', 'val_loss', 'accuracy', 'lr', 'grad_norm'];
    const perKey = Math.floor(BIG_POINTS / runs / keys.length);
    for (let r = 0; r < runs; r++) await writeJournal(bigDir, `run${r}`, keys, perKey, BATCHED);
    const totalPoints = runs * keys.length * perKey;
    const big = await RunStore.open({ dir: bigDir, writer: true, version: 'bench' });
    const snapshotStart = performance.now();
    await big.snapshot();
    const snapshotMs = performance.now() - snapshotStart;
    big.close();
    // The database and the chunk files it indexes (schema 6: full chunks live in chunks/).
    let ourBytes = statSync(join(bigDir, DB_FILE)).size;
    for (const name of existsSync(join(bigDir, CHUNKS_DIR)) ? readdirSync(join(bigDir, CHUNKS_DIR)) : [])
      ourBytes += statSync(join(bigDir, CHUNKS_DIR, name)).size;
    const referenceBig = await referenceIngest(bigDir, join(root, 'reference-big.sqlite'));
    referenceBig.db.exec('CREATE INDEX points_series ON points (run_id, key, step)');
    referenceBig.db.pragma('wal_checkpoint(TRUNCATE)');
    const referenceSnapshotStart = performance.now();
    await writeFileAtomic(join(root, 'reference-copy.sqlite'), referenceBig.db.serialize());
    const referenceSnapshotMs = performance.now() - referenceSnapshotStart;
    referenceBig.db.close();
    const referenceBytes = statSync(join(root, 'reference-big.sqlite')).size;
    record('bytes per point on disk', ourBytes / totalPoints, 'bytes', referenceBytes / referenceBig.points, false);
    // What a user's disk pays: journals and database together, against today's line-per-point journals.
    let journalBytes = 0;
    for (let r = 0; r < runs; r++) journalBytes += statSync(join(bigDir, 'runs', `run${r}`, 'events.jsonl')).size;
    const lineJournalBytes = runs * lineFormBytes(keys, perKey);
    record(
      'journal bytes per point (batched lines)',
      journalBytes / totalPoints,
      'bytes',
      lineJournalBytes / totalPoints,
      false,
    );
    record(
      'disk bytes per point, journals + database',
      (journalBytes + ourBytes) / totalPoints,
      'bytes',
      (lineJournalBytes + ourBytes) / totalPoints,
      false,
    );
    record(`snapshot of ${(totalPoints / 1e6).toFixed(0)}M points`, snapshotMs, 'ms', referenceSnapshotMs, false);

    // 4b. A sealed run compacted (compaction.ts): disk per point (journal and points file + database + chunk files)
    // before and after, for journals of a line per point, of the Python client's smallest batches
    // (64 points a line) and of 1000-point batches.
    console.log('a sealed run before and after compaction');
    for (const [label, form] of [
      ['a line per point', 'lines'],
      ['64-point lines', { perLine: 64 }],
      ['1000-point lines', BATCHED],
    ] as const) {
      const sealedDir = join(root, `sealed-${typeof form === 'string' ? form : form.perLine}`, '.runlog');
      const sealedKeys = ['loss', 'val_loss', 'accuracy', 'lr', 'grad_norm'];
      const sealedPerKey = 100_000;
      await writeJournal(sealedDir, 'run', sealedKeys, sealedPerKey, form);
      const openStart = performance.now();
      const sealed = await RunStore.open({ dir: sealedDir, writer: true, version: 'bench' });
      const openMs = performance.now() - openStart;
      await sealed.snapshot();
      const before = storeBytes(sealedDir);
      // A chart of a whole series (block summaries) and one zoomed into 20k points (the points).
      const wideChart = () => sealed.query('buckets', 'run', 'loss', 4000);
      const zoomedChart = () => sealed.query('buckets', 'run', 'loss', 4000, 'step', { from: 40_000, to: 60_000 });
      const wideBefore = time(wideChart);
      const zoomedBefore = time(zoomedChart);
      const compactStart = performance.now();
      const turn = sealed.compactNext({ quietMs: 0 });
      const compactMs = performance.now() - compactStart;
      await sealed.snapshot();
      const after = storeBytes(sealedDir);
      const points = sealedKeys.length * sealedPerKey;
      if (!turn?.outcome.compacted) console.log(`  ${label}: not compacted (${JSON.stringify(turn?.outcome)})`);
      record(
        `sealed run (${label}): disk bytes per point, compacted`,
        after.total / points,
        'bytes',
        before.total / points,
        false,
      );
      record(
        `sealed run (${label}): journal + points file bytes per point`,
        after.journal / points,
        'bytes',
        before.journal / points,
        false,
      );
      record(
        `sealed run (${label}): database + chunk files bytes per point`,
        after.store / points,
        'bytes',
        before.store / points,
        false,
      );
      // Against reading the same journal into the store (opening it): what compaction costs the writer.
      record(`sealed run (${label}): compaction of 500k points`, compactMs, 'ms', openMs, false);
      if (form === 'lines') {
        // What reading points through the journal's lines costs a chart, against the chunk files before.
        record('sealed run: chart of a 100k-point series, compacted', time(wideChart).ms, 'ms', wideBefore.ms, false);
        record('sealed run: chart zoomed to 20k points, compacted', time(zoomedChart).ms, 'ms', zoomedBefore.ms, false);
      }
      sealed.close();
    }

    // 5. The Python client logging 1M points in a tight loop, against json.dumps + write per point.
    if (existsSync(join(__dirname, '../../bench/python_log_metric.py'))) {
      const python = spawnSync('python3', [join(__dirname, '../../bench/python_log_metric.py'), '--with-reference'], {
        encoding: 'utf8',
      });
      const line = python.stdout.trim().split('\n').pop() ?? '';
      try {
        const result = JSON.parse(line) as {
          value: number;
          reference: number;
          bytes_per_point: number;
          reference_bytes_per_point: number;
          slow_bytes_per_point: number;
          slow_reference_bytes_per_point: number;
        };
        record('python client: 1M log_metric calls', result.value, 's', result.reference, false);
        record(
          'python client: journal bytes per point',
          result.bytes_per_point,
          'bytes',
          result.reference_bytes_per_point,
          false,
        );
        // One key at ~85 steps/s: points held for a line of ~0.3 s, against a line every 100 ms.
        record(
          'python client: bytes per point, slow loop',
          result.slow_bytes_per_point,
          'bytes',
          result.slow_reference_bytes_per_point,
          false,
        );
      } catch {
        console.log(`  python client benchmark did not report: ${python.stderr || line}`);
      }
    }

    figures.printTable();
    const jsonFile = option('json');
    await figures.writeJson(jsonFile);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** A store's bytes on disk: its run journals, and its database with the chunk files it indexes. */
/** A store's bytes: its runs' record (journals and the points files of compacted ones), and the database's. */
function storeBytes(dir: string): { journal: number; store: number; total: number } {
  let journal = 0;
  for (const run of readdirSync(join(dir, 'runs'))) {
    for (const name of readdirSync(join(dir, 'runs', run))) {
      if (name === 'events.jsonl' || name.startsWith('points.')) journal += statSync(join(dir, 'runs', run, name)).size;
    }
  }
  let store = statSync(join(dir, DB_FILE)).size;
  for (const name of existsSync(join(dir, CHUNKS_DIR)) ? readdirSync(join(dir, CHUNKS_DIR)) : [])
    store += statSync(join(dir, CHUNKS_DIR, name)).size;
  return { journal, store, total: journal + store };
}

async function measureStall(work: () => Promise<void>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  await work();
  histogram.disable();
  return histogram.percentile(99) / 1e6;
}

// Keep the parser honest: the journals above must be what the store's parser accepts.
if (!parseEventLine('{"t":"metric","ts":1,"key":"loss","value":0.5,"step":0}').ok)
  throw new Error('journal format drifted');

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
