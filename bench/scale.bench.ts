// `npm run bench -- --only scale`: a workspace of many points (default 100,000,000), opt-in because it
// writes gigabytes and takes minutes. `--scale-points N` sets the size.
//   One run holds a 10M-point series (the chart figure); the other runs hold 20 keys each, the rest.
//   Journals are written as the Python client writes them: batched lines of 1000 points (format 4).
// Figures, each beside a reference measured in the same run, and the targets (issue 20):
//   ingest through the store worker (target ≥ 2M points/s)  — reference: reading the same journals
//     without a database (journal.ts alone), the ceiling of ingest;
//   the process's peak RSS while the worker ingests (target < 200 MB at 100M points) — reference:
//     the store's size on disk (database and chunk files), what sql.js held whole in its heap
//     before full chunks moved to chunk files;
//   open → runs listed on the ingested store (target ≤ 2 s) — reference: reading runlog.db's bytes;
//   a chart of the 10M-point series, 4000 buckets (target ≤ 150 ms) — reference: reading the
//     series whole;
//   disk bytes per point, journals + database + chunk files — reference: line-per-point journals
//     with the same database and chunk files;
//   the runs then compacted by the store worker (compaction.ts, in pieces): the time against the
//     ingest's, the longest a query waited meanwhile against the same query on the idle store, the
//     RSS it added against the largest journal (what a rewrite of a whole journal held), the disk per point
//     against the same before, and the chart of the series again against the same before.
import { createWriteStream, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJournal } from '../src/store/journal';
import { RunStore } from '../src/store/runStore';
import { metricBatchLine } from '../src/store/metricBatchLine';
import { StoreClient } from '../src/store/storeClient';
import { CHUNKS_DIR, DB_FILE } from '../src/store/storeLocation';
import { Figures, median, option } from './figures';

const POINTS = Number(option('scale-points') ?? 100_000_000);
const SERIES = Math.min(10_000_000, Math.floor(POINTS / 10));
const RUNS = 10;
const KEYS = 20;
const PER_LINE = 1000;
const T0 = 1_732_600_000_000;
const figures = new Figures();
const WORKER = join(__dirname, '../src/store/storeWorker.js');

const value = (step: number, n: number): number => Math.exp(-step / n) + Math.sin(step) * 0.01;

/** Writes one run's journal; returns the bytes its points would take as a line each. */
async function writeRun(dir: string, runId: string, keys: readonly string[], perKey: number): Promise<number> {
  await mkdir(join(dir, 'runs', runId), { recursive: true });
  const out = createWriteStream(join(dir, 'runs', runId, 'events.jsonl'));
  const write = (text: string): Promise<void> =>
    out.write(text) ? Promise.resolve() : new Promise((resolve) => out.once('drain', () => resolve()));
  await write(`${JSON.stringify({ t: 'run_start', ts: T0, run_id: runId, name: runId, experiment: 'scale' })}\n`);
  let lineBytes = 0;
  let text = '';
  for (let first = 0; first < perKey; first += PER_LINE) {
    const count = Math.min(PER_LINE, perKey - first);
    const steps = Array.from({ length: count }, (_, i) => first + i);
    const times = steps.map((s) => T0 + s * 13);
    for (const key of keys) {
      const values = steps.map((s) => value(s, perKey));
      text += metricBatchLine(key, steps, times, values);
      for (let i = 0; i < count; i++) {
        lineBytes += `{"t":"metric","ts":${times[i]},"key":"${key}","value":${values[i]},"step":${steps[i]}}\n`.length;
      }
    }
    if (text.length > 1 << 22) {
      await write(text);
      text = '';
    }
  }
  await write(`${text}${JSON.stringify({ t: 'run_end', ts: T0 + perKey * 13, status: 'FINISHED' })}\n`);
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return lineBytes;
}

/** The bytes of runlog.db and the chunk files. */
async function storeBytes(dir: string): Promise<number> {
  let bytes = statSync(join(dir, DB_FILE)).size;
  for (const name of await readdir(join(dir, CHUNKS_DIR)).catch(() => []))
    bytes += statSync(join(dir, CHUNKS_DIR, name)).size;
  return bytes;
}

/** The bytes of the runs' records: journals and the points files of compacted ones. */
async function recordBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const runId of await readdir(join(dir, 'runs'))) {
    for (const name of await readdir(join(dir, 'runs', runId))) {
      if (name === 'events.jsonl' || name.startsWith('points.')) bytes += statSync(join(dir, 'runs', runId, name)).size;
    }
  }
  return bytes;
}

/** Samples this process's RSS (the store worker is a thread of it) while `work` runs. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    const result = await work();
    return { result, peak: Math.max(peak, process.memoryUsage().rss) };
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'runlog-bench-scale-'));
  const dir = join(root, '.runlog');
  try {
    const others = RUNS - 1;
    const perKey = Math.floor((POINTS - SERIES) / others / KEYS);
    const total = SERIES + others * KEYS * perKey;
    console.log(
      `Scale: ${total.toLocaleString('en-US')} points — a ${SERIES.toLocaleString('en-US')}-point series and ${others} runs × ${KEYS} keys × ${perKey.toLocaleString('en-US')} points`,
    );
    const written = performance.now();
    let lineBytes = await writeRun(dir, 'series', ['loss'], SERIES);
    const keys = Array.from({ length: KEYS }, (_, k) => `metric_${k}`);
    for (let r = 0; r < others; r++) lineBytes += await writeRun(dir, `run${r}`, keys, perKey);
    console.log(`  journals written in ${((performance.now() - written) / 1000).toFixed(1)} s`);

    // The reference for ingest: the journals read and parsed, no database.
    const parseStart = performance.now();
    let parsed = 0;
    for (const runId of await readdir(join(dir, 'runs'))) {
      const file = join(dir, 'runs', runId, 'events.jsonl');
      for (let offset = 0, line = 1; ;) {
        const chunk = await readJournal(file, offset, line, 32 << 20);
        parsed += chunk.metrics.count;
        if (chunk.nextOffset === offset) break;
        offset = chunk.nextOffset;
        line = chunk.nextLine;
      }
    }
    const parseMs = performance.now() - parseStart;
    if (parsed !== total) throw new Error(`parsed ${parsed} of ${total} points`);

    const rssBefore = process.memoryUsage().rss;
    const ingestStart = performance.now();
    const { peak } = await peakRss(async () => {
      const client = new StoreClient(WORKER, { dir, version: 'bench' });
      await client.ready;
      await client.call('listRuns', {});
      await client.close(600_000);
    });
    const ingestMs = performance.now() - ingestStart;
    const dbBytes = await storeBytes(dir);
    figures.record(
      'scale: ingest through the store worker',
      total / (ingestMs / 1000),
      'points/s',
      total / (parseMs / 1000),
      true,
    );
    figures.record('scale: peak RSS while ingesting', (peak - rssBefore) / 1e6, 'MB', dbBytes / 1e6, false);

    // Opening the ingested store: until its runs are listed, against reading runlog.db's bytes.
    const openTimes: number[] = [];
    const readTimes: number[] = [];
    let chartMs = 0;
    let historyMs = 0;
    const idleQuery: number[] = [];
    for (let i = 0; i < 3; i++) {
      const readStart = performance.now();
      await readFile(join(dir, DB_FILE));
      readTimes.push(performance.now() - readStart);
      const openStart = performance.now();
      const client = new StoreClient(WORKER, { dir, version: 'bench' });
      await client.ready;
      const page = await client.call('listRuns', {});
      openTimes.push(performance.now() - openStart);
      if (page.runs.length !== RUNS) throw new Error(`listed ${page.runs.length} runs`);
      if (i === 2) {
        for (let j = 0; j < 5; j++) {
          const asked = performance.now();
          await client.call('listRuns', {});
          idleQuery.push(performance.now() - asked);
        }
        const charts: number[] = [];
        const histories: number[] = [];
        for (let j = 0; j < 5; j++) {
          const chartStart = performance.now();
          await client.call('buckets', 'series', 'loss', 4000);
          charts.push(performance.now() - chartStart);
        }
        for (let j = 0; j < 3; j++) {
          const historyStart = performance.now();
          const series = await client.call('series', 'series', 'loss');
          histories.push(performance.now() - historyStart);
          if (series.values.length !== SERIES) throw new Error('the series lost points');
        }
        chartMs = median(charts);
        historyMs = median(histories);
      }
      await client.close(600_000);
    }
    figures.record('scale: open → runs listed (ingested store)', median(openTimes), 'ms', median(readTimes), false);
    figures.record(`scale: chart of a ${SERIES / 1e6}M-point series (4000 buckets)`, chartMs, 'ms', historyMs, false);

    let journalBytes = 0;
    for (const runId of await readdir(join(dir, 'runs')))
      journalBytes += statSync(join(dir, 'runs', runId, 'events.jsonl')).size;
    figures.record(
      'scale: disk bytes per point, journals + database',
      (journalBytes + dbBytes) / total,
      'bytes',
      (lineBytes + dbBytes) / total,
      false,
    );

    // The runs compacted by the store worker as the editor's compacts them (every 60 s once a run
    // is sealed and quiet; here at once): the time, the longest a query waited meanwhile (against
    // the same query on the idle store), and the RSS it added (against the largest journal, which a
    // rewrite of a whole journal held at once).
    let largestJournal = 0;
    for (const runId of await readdir(join(dir, 'runs')))
      largestJournal = Math.max(largestJournal, statSync(join(dir, 'runs', runId, 'events.jsonl')).size);
    let longestWait = 0;
    const rssBeforeCompaction = process.memoryUsage().rss;
    const compactStart = performance.now();
    const { peak: compactionPeak } = await peakRss(async () => {
      let finished: (error?: Error) => void = () => undefined;
      const done = new Promise<void>((resolve, reject) => {
        finished = (error) => (error ? reject(error) : resolve());
      });
      const client = new StoreClient(
        WORKER,
        { dir, version: 'bench', compactMs: 100, compactQuietMs: 0 },
        {
          log: (level, message) => {
            if (message.startsWith('Compacted ')) finished();
            else if (level === 'error') finished(new Error(message));
          },
        },
      );
      await client.ready;
      let compacting = true;
      const probe = (async () => {
        while (compacting) {
          const asked = performance.now();
          await client.call('listRuns', {});
          longestWait = Math.max(longestWait, performance.now() - asked);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const limit = setTimeout(() => finished(new Error('compaction did not end in 20 minutes')), 1_200_000);
      try {
        await done;
      } finally {
        clearTimeout(limit);
        compacting = false;
        await probe;
        await client.close(600_000);
      }
    });
    const compactMs = performance.now() - compactStart;
    let compactedRuns = 0;
    for (const runId of await readdir(join(dir, 'runs'))) {
      const head = (await readFile(join(dir, 'runs', runId, 'events.jsonl'))).subarray(0, 20).toString('utf8');
      if (head.startsWith('{"t":"compacted"')) compactedRuns++;
    }
    if (compactedRuns !== RUNS) throw new Error(`compacted ${compactedRuns} runs of ${RUNS}`);
    const store = await RunStore.open({ dir, writer: false, version: 'bench' });
    const compactedChart: number[] = [];
    for (let j = 0; j < 5; j++) {
      const chartStart = performance.now();
      store.query('buckets', 'series', 'loss', 4000);
      compactedChart.push(performance.now() - chartStart);
    }
    const zoomed: number[] = [];
    for (let j = 0; j < 5; j++) {
      const chartStart = performance.now();
      const buckets = store.query('buckets', 'series', 'loss', 4000, 'step', {
        from: SERIES / 2,
        to: SERIES / 2 + 100_000,
      });
      zoomed.push(performance.now() - chartStart);
      if (buckets.x.length === 0) throw new Error('the zoomed chart is empty');
    }
    store.close();
    const compactedBytes = (await recordBytes(dir)) + (await storeBytes(dir));
    figures.record('scale: compaction of every run (store worker)', compactMs / 1000, 's', ingestMs / 1000, false);
    figures.record('scale: longest query wait while compacting', longestWait, 'ms', median(idleQuery), false);
    figures.record(
      'scale: peak RSS added while compacting',
      (compactionPeak - rssBeforeCompaction) / 1e6,
      'MB',
      largestJournal / 1e6,
      false,
    );
    figures.record(
      'scale: disk bytes per point, compacted',
      compactedBytes / total,
      'bytes',
      (journalBytes + dbBytes) / total,
      false,
    );
    figures.record(
      `scale: chart of the ${SERIES / 1e6}M-point series, compacted`,
      median(compactedChart),
      'ms',
      chartMs,
      false,
    );
    figures.record('scale: chart zoomed to 100k points, compacted', median(zoomed), 'ms', chartMs, false);
    figures.printTable();
    console.log(
      '\nTargets (issue 20, at 100M points): ingest ≥ 2,000,000 points/s; RSS < 200 MB; runs listed ≤ 2,000 ms;',
    );
    console.log('a 10M-point chart ≤ 150 ms.');
    await figures.writeJson(option('json'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
