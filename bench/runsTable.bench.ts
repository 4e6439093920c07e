// `npm run bench` (runs table part). In the store: sorting 10,000 runs × 200 columns (100 params,
// 100 metrics) by a metric and answering the first page with every column's value, through the
// store's own query (sql.js), against native SQLite sorting the same file by the same metric. In
// Chromium: the table's first paint and its scroll frames, against the same screenful drawn as a
// plain table of all 200 columns. Targets from the issue: sort ≤ 100 ms, first paint ≤ 300 ms,
// a scroll frame ≤ 16 ms (p95).
//   node out-bench/bench/runsTable.bench.js [--runs N]
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../src/store/runStore';
import type { TableQuery } from '../src/store/tableQueries';
import { CHROMIUM, openBundledPage } from '../test/support/browserPage';
import { Figures, median, option } from './figures';

const RUNS = Number(option('runs') ?? 10_000);
const KEYS = 100;
const root = join(__dirname, '..', '..');
const key = (kind: string, k: number): string => `${kind}_${String(k).padStart(3, '0')}`;

function writeJournals(dir: string): void {
  for (let i = 0; i < RUNS; i++) {
    const id = `run${String(i).padStart(6, '0')}`;
    const ts = 1_732_600_000_000 + i * 60_000;
    const lines: object[] = [{ t: 'run_start', ts, run_id: id, name: `run-${i}`, experiment: 'sweep' }];
    for (let k = 0; k < KEYS; k++)
      lines.push({ t: 'param', ts, key: key('param', k), value: String((i * (k + 3)) % 997) });
    for (let k = 0; k < KEYS; k++) {
      lines.push({ t: 'metric', ts, key: key('metric', k), value: 1 / (1 + ((i * (k + 1)) % 1009)), step: 0 });
    }
    lines.push({ t: 'run_end', ts: ts + 50_000, status: 'FINISHED' });
    mkdirSync(join(dir, 'runs', id), { recursive: true });
    writeFileSync(join(dir, 'runs', id, 'events.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  }
}

async function storeSort(figures: Figures): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'runlog-bench-table-'));
  const dir = join(base, '.runlog');
  try {
    writeJournals(dir);
    const store = await RunStore.open({ dir, writer: true, version: 'bench' });
    await store.snapshot();
    const columns = {
      params: Array.from({ length: KEYS }, (_, k) => key('param', k)),
      metrics: Array.from({ length: KEYS }, (_, k) => key('metric', k)),
      sparks: [],
    };
    // A different metric each time: the store keeps an order only while the same question is asked.
    const samples: number[] = [];
    for (let n = 0; n < 9; n++) {
      const query: TableQuery = {
        sorts: [{ key: `metrics.${key('metric', n)}`, descending: n % 2 === 0 }],
        collapsed: [],
        expanded: [],
      };
      const start = performance.now();
      const page = store.query('tableRows', query, 0, 50, columns);
      samples.push(performance.now() - start);
      if (page.entries.length !== 50 || page.runs !== RUNS) throw new Error('the page is not whole');
    }
    store.close();

    const native = new Database(join(dir, 'runlog.db'), { readonly: true });
    const sortSql = native.prepare(
      `SELECT r.id FROM runs r LEFT JOIN metric_series m ON m.run_id = r.id AND m.key = ?
       WHERE r.deleted = 0 ORDER BY m.last IS NULL, m.last, r.id`,
    );
    const pageSql = native.prepare(
      `SELECT run_id, key, value FROM params WHERE run_id IN (SELECT value FROM json_each(?))
       UNION ALL SELECT run_id, key, last FROM metric_series WHERE run_id IN (SELECT value FROM json_each(?))`,
    );
    const reference: number[] = [];
    for (let n = 0; n < 9; n++) {
      const start = performance.now();
      const ids = (sortSql.all(key('metric', n)) as { id: string }[]).slice(0, 50).map((r) => r.id);
      pageSql.all(JSON.stringify(ids), JSON.stringify(ids));
      reference.push(performance.now() - start);
    }
    native.close();
    figures.record(
      `sort ${RUNS.toLocaleString('en-US')} runs × ${2 * KEYS} columns by a metric, first page (store)`,
      median(samples),
      'ms',
      median(reference),
      false,
    );
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

async function browser(figures: Figures): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`runs table paint skipped: ${CHROMIUM} not found (apt-get install chromium, or set RUNLOG_CHROMIUM)`);
    return;
  }
  const { page, close, errors } = await openBundledPage(join(root, 'webview/runsTable/bench/renderBench.ts'), {
    minify: true,
  });
  try {
    const result = await page.evaluate(() =>
      (
        globalThis as unknown as {
          runlogTableBench(repeat: number): Promise<{
            paint: number;
            reference: number;
            scroll: number;
            across: number;
            scrollReference: number;
            domRows: number;
          }>;
        }
      ).runlogTableBench(7),
    );
    if (errors.length > 0) throw new Error(errors.join('\n'));
    console.log(`  rows in the DOM while scrolling: ${result.domRows} (of 10,000)`);
    figures.record('first paint, 10,000 runs × 200 columns (Chromium)', result.paint, 'ms', result.reference, false);
    figures.record('scroll frame p95, down (Chromium)', result.scroll, 'ms', result.scrollReference, false);
    figures.record('scroll frame p95, across (Chromium)', result.across, 'ms', result.scrollReference, false);
  } finally {
    await close();
  }
}

async function main(): Promise<void> {
  console.log(`Runs table: ${RUNS.toLocaleString('en-US')} runs × ${KEYS} params × ${KEYS} metrics`);
  const figures = new Figures();
  await browser(figures);
  await storeSort(figures);
  figures.printTable();
  await figures.writeJson(option('json'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
