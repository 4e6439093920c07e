// `npm run bench` (first part): expanding an experiment of 10,000 runs in the Runs view — the
// first page's query through the real store worker plus building its tree items — against the same
// two queries run on the same database file by native SQLite in this process, with the same items
// built. The bar is 200 ms.
//   node out-bench/bench/runsView.bench.js [--runs N]
import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNS_PAGE, runItemModel } from '../src/runs/runPresentation';
import type { MetricSummary, RunRecord } from '../src/store/types';
import { RunStore } from '../src/store/runStore';
import { Figures, option } from './figures';
import { StoreClient } from '../src/store/storeClient';

const args = process.argv.slice(2);
const at = args.indexOf('--runs');
const RUNS = at === -1 ? 10_000 : Number(args[at + 1]);
const TARGET_MS = 200;
const settings = { keyMetric: '', goals: {} };

/** Journals the way the Python client writes them: start, params, a few points of two metrics, end. */
function writeJournals(dir: string): void {
  for (let i = 0; i < RUNS; i++) {
    const id = `run${String(i).padStart(6, '0')}`;
    const ts = 1_732_600_000_000 + i * 60_000;
    const lines = [
      { t: 'run_start', ts, run_id: id, name: `run-${i}`, experiment: 'sweep', command: 'python train.py' },
      { t: 'param', ts, key: 'lr', value: String(0.001 * (1 + (i % 10))) },
      { t: 'param', ts, key: 'layers', value: String(2 + (i % 4)) },
      { t: 'param', ts, key: 'optimizer', value: i % 2 ? 'adam' : 'sgd' },
      ...[0, 1, 2, 3].flatMap((step) => [
        { t: 'metric', ts: ts + step, key: 'loss', value: 1 / (step + 1 + (i % 7)), step },
        { t: 'metric', ts: ts + step, key: 'val_loss', value: 1.1 / (step + 1 + (i % 5)), step },
      ]),
      { t: 'run_end', ts: ts + 50_000, status: 'FINISHED' },
    ];
    mkdirSync(join(dir, 'runs', id), { recursive: true });
    writeFileSync(join(dir, 'runs', id, 'events.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  }
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function timed(body: () => Promise<unknown>, runs = 9): Promise<number> {
  await body();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await body();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

function build(runs: readonly RunRecord[], metrics: Map<string, MetricSummary[]>): number {
  const now = Date.now();
  return runs.map((run) => runItemModel(run, metrics.get(run.id) ?? [], settings, now)).length;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'runlog-bench-view-'));
  const dir = join(root, '.runlog');
  try {
    console.log(`Runs view: an experiment of ${RUNS.toLocaleString('en-US')} runs`);
    writeJournals(dir);
    const ingest = await RunStore.open({ dir, writer: true, version: 'bench' });
    const experiment = ingest.query('experiments').find((e) => e.name === 'sweep');
    if (!experiment || experiment.runCount !== RUNS) throw new Error('the runs were not ingested');
    await ingest.snapshot();
    ingest.close();

    const client = new StoreClient(join(__dirname, '../src/store/storeWorker.js'), { dir, version: 'bench' });
    await client.ready;
    const query = {
      experimentIds: [experiment.id],
      limit: RUNS_PAGE,
      sort: { key: 'start_time' as const, descending: true },
      pinnedFirst: true,
    };
    let built = 0;
    const ours = await timed(async () => {
      const page = await client.call('listRuns', query);
      const metrics = new Map(
        await client.call(
          'metricSummaries',
          page.runs.map((r) => r.id),
        ),
      );
      built = build(page.runs, metrics);
    });
    await client.close();
    if (built !== RUNS_PAGE) throw new Error(`built ${built} items, expected ${RUNS_PAGE}`);

    // The reference: the same two queries, written out, on the same file, by native SQLite in-process.
    const native = new Database(join(dir, 'runlog.db'), { readonly: true });
    const pageSql = native.prepare(
      `SELECT r.*, e.name AS experiment,
         EXISTS (SELECT 1 FROM tags pin WHERE pin.run_id = r.id AND pin.key = 'runlog.pinned') AS pinned
       FROM runs r JOIN experiments e ON e.id = r.experiment_id
       WHERE r.deleted = 0 AND r.experiment_id = ? ORDER BY pinned DESC, r.start_time DESC, r.id LIMIT ?`,
    );
    const countSql = native.prepare('SELECT COUNT(*) AS n FROM runs r WHERE r.deleted = 0 AND r.experiment_id = ?');
    const reference = await timed(() => {
      countSql.get(experiment.id);
      const rows = pageSql.all(experiment.id, RUNS_PAGE) as Record<string, unknown>[];
      const ids = rows.map((r) => String(r['id']));
      const series = native
        .prepare(
          `SELECT run_id, key, count, last, last_step, last_time, min, max FROM metric_series
           WHERE run_id IN (${ids.map(() => '?').join(', ')}) ORDER BY run_id, key`,
        )
        .all(...ids) as (MetricSummary & { run_id: string; last_step: number; last_time: number })[];
      const metrics = new Map<string, MetricSummary[]>();
      for (const s of series) {
        const summary = { ...s, lastStep: s.last_step, lastTime: s.last_time };
        metrics.set(s.run_id, [...(metrics.get(s.run_id) ?? []), summary]);
      }
      const runs = rows.map(
        (r) =>
          ({
            id: String(r['id']),
            name: String(r['name']),
            experiment: String(r['experiment']),
            status: r['status'],
            startTime: Number(r['start_time']),
            endTime: r['end_time'] === null ? null : Number(r['end_time']),
            command: r['command'],
            error: r['error'],
            pinned: r['pinned'] === 1,
            deleted: false,
          }) as RunRecord,
      );
      build(runs, metrics);
      return Promise.resolve();
    });
    native.close();

    const figures = new Figures();
    figures.record(`expand an experiment of ${RUNS.toLocaleString('en-US')} runs`, ours, 'ms', reference, false);
    figures.printTable();
    await figures.writeJson(option('json'));
    console.log(`target: ≤ ${TARGET_MS} ms, ${ours <= TARGET_MS ? 'met' : 'MISSED'}`);
    console.log(
      `The first ${RUNS_PAGE} runs and their tree items. The reference is native SQLite (better-sqlite3) in-process on the same file: no worker round trip.`,
    );
    if (ours > TARGET_MS) process.exitCode = 1;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
