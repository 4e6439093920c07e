// The store's queries for the runs table: the keys its columns come from, a page of rows in the
// table's order (filtered, sorted, grouped, children under their parents), the run ids of a range
// of rows, each metric column's best and the CSV of every row. Filtering and sorting are SQL (runSql.ts); the order of the rows is kept between the pages
// of one scroll (tableOrder.ts) while the database does not change. `tableQueries` lists them;
// storeQueries.ts makes every one a StoreApi method.
import { csvText } from '../../shared/csv';
import type { MetricGoal } from '../../shared/metricGoal';
import { metricGoal } from '../../shared/metricGoal';
import type {
  ColumnId,
  MetricCell,
  MetricSpread,
  MetricStat,
  TableEntry,
  TableKeys,
  TableLayout,
  TablePage,
  TableRun,
} from '../../shared/runsTable';
import { columnKey, columnKind, csvValue, statOf } from '../../shared/runsTable';
import { bucketStoredSeries } from './metricBuckets';
import type { RunRow } from './runSql';
import { RUN_COLUMNS, toRun } from './runSql';
import { NOTE_TAG } from './ingest';
import type { Db } from './sqlite';
import type { TableOrder, TableQuery } from './tableOrder';
import { tableOrder } from './tableOrder';

export type { TableQuery };

/** What a page of rows carries besides the runs' attributes: these params, metrics and sparklines. */
export interface TableColumns {
  readonly params: readonly string[];
  readonly metrics: readonly string[];
  readonly sparks: readonly string[];
  /** Buckets of a sparkline (default 24). */
  readonly sparkBuckets?: number;
}

const MAX_PAGE = 2000;
const SPARK_BUCKETS = 24;

/** The distinct keys of a table's column, by skipping through its key index (a few ms for millions of rows). */
function distinctKeys(db: Db, table: 'params' | 'metric_series' | 'tags'): string[] {
  return db
    .all<{ key: string }>(
      `WITH RECURSIVE k(key) AS (SELECT MIN(key) FROM ${table}
         UNION ALL SELECT (SELECT MIN(key) FROM ${table} WHERE key > k.key) FROM k WHERE k.key IS NOT NULL)
       SELECT key FROM k WHERE key IS NOT NULL`,
    )
    .map((row) => row.key);
}

/** Every param, metric and user tag key in the store: the columns the table can show. */
function tableKeys(db: Db): TableKeys {
  return {
    params: distinctKeys(db, 'params'),
    metrics: distinctKeys(db, 'metric_series'),
    tags: distinctKeys(db, 'tags').filter((key) => !key.startsWith('runlog.') && key !== NOTE_TAG),
  };
}

/** Rows `offset` to `offset + limit` of the table, each run with the asked columns' values. */
function tableRows(db: Db, query: TableQuery, offset: number, limit: number, columns: TableColumns): TablePage {
  const order = tableOrder(db, query);
  const from = Math.max(0, Math.floor(offset));
  const slice = order.entries.slice(from, from + Math.max(0, Math.min(MAX_PAGE, Math.floor(limit))));
  const ids = slice.flatMap((e) => (e.kind === 'run' ? [e.id] : []));
  const runs = new Map(runData(db, ids, columns, order).map((run) => [run.id, run]));
  const entries = slice.flatMap((e): TableEntry[] => {
    if (e.kind === 'group') return [e];
    const run = runs.get(e.id);
    return run ? [{ kind: 'run', depth: e.depth, expanded: e.expanded, run }] : [];
  });
  return { total: order.entries.length, runs: order.runs, offset: from, entries };
}

/** The ids of the runs among rows `from` to `to` (a range selection, or every row). */
function tableIds(db: Db, query: TableQuery, from: number, to: number): string[] {
  return tableOrder(db, query)
    .entries.slice(Math.max(0, from), Math.max(0, to))
    .flatMap((e) => (e.kind === 'run' ? [e.id] : []));
}

interface SpreadRow {
  key: string;
  last_lo: number | null;
  last_hi: number | null;
  min_lo: number | null;
  min_hi: number | null;
  max_lo: number | null;
  max_hi: number | null;
}

const SPREAD_COLUMNS = `key, MIN(last) AS last_lo, MAX(last) AS last_hi, MIN(min) AS min_lo, MAX(min) AS min_hi,
  MIN(max) AS max_lo, MAX(max) AS max_hi`;

function toSpread(row: SpreadRow): MetricSpread {
  return { last: [row.last_lo, row.last_hi], min: [row.min_lo, row.min_hi], max: [row.max_lo, row.max_hi] };
}

/** Each metric's spread over every run the filter selects: what a column's best value is. */
function tableBests(db: Db, query: TableQuery, keys: readonly string[]): [string, MetricSpread][] {
  if (keys.length === 0) return [];
  const ids = tableOrder(db, query).all;
  return db
    .all<SpreadRow>(
      `SELECT ${SPREAD_COLUMNS} FROM metric_series WHERE key IN (SELECT value FROM json_each(?))
       AND run_id IN (SELECT value FROM json_each(?)) GROUP BY key`,
      [JSON.stringify(keys), JSON.stringify(ids)],
    )
    .map((row) => [row.key, toSpread(row)]);
}

/** What the CSV holds: these columns, each metric's chosen value, in the table's order with every child. */
export interface TableCsvColumns {
  readonly columns: readonly ColumnId[];
  readonly stats: TableLayout['stats'];
  readonly goals: Readonly<Record<string, MetricGoal>>;
}

/** Every run the filter selects as CSV, children after their parents, with full-precision values. */
function tableCsv(db: Db, query: TableQuery, spec: TableCsvColumns, withHeader = true): string {
  const order = tableOrder(db, { ...query, collapsed: [], expanded: 'all' });
  const columns = spec.columns.filter((c) => columnKind(c) !== 'spark');
  const layout = { stats: spec.stats } as TableLayout;
  const goalOf = (key: string): MetricGoal => metricGoal(key, spec.goals);
  const asked: TableColumns = {
    params: columns.filter((c) => columnKind(c) === 'param').map(columnKey),
    metrics: columns.filter((c) => columnKind(c) === 'metric').map(columnKey),
    sparks: [],
  };
  const header = ['run_id', 'parent_run_id', ...columns.map((c) => csvHeader(c, statOf(c, layout)))];
  const lines: string[][] = withHeader ? [header] : [];
  const now = Date.now();
  const ids = order.entries.flatMap((e) => (e.kind === 'run' ? [e.id] : []));
  for (let i = 0; i < ids.length; i += 500) {
    const batch = runData(db, ids.slice(i, i + 500), asked, undefined);
    const byId = new Map(batch.map((run) => [run.id, run]));
    for (const id of ids.slice(i, i + 500)) {
      const run = byId.get(id);
      if (run) {
        lines.push([run.id, run.parentRunId ?? '', ...columns.map((c) => csvValue(c, run, layout, goalOf, now))]);
      }
    }
  }
  return csvText(lines);
}

function csvHeader(column: ColumnId, stat: MetricStat): string {
  if (columnKind(column) === 'metric') return stat === 'last' ? column : `${column} (${stat})`;
  return column === 'run.start' ? 'run.start_time' : column === 'run.duration' ? 'run.duration_ms' : column;
}

/** The runs' attributes and the asked columns, in no particular order; runs not found are left out. */
function runData(db: Db, ids: readonly string[], columns: TableColumns, order: TableOrder | undefined): TableRun[] {
  if (ids.length === 0) return [];
  const json = JSON.stringify(ids);
  const rows = db.all<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id
     WHERE r.id IN (SELECT value FROM json_each(?))`,
    [json],
  );
  // One row per run with its values as JSON: reading thousands of small rows costs far more. The
  // unary + keeps SQLite from reading by key (every run's values of those keys) instead of by run.
  const perRun = (sql: string, params: (string | number)[]): Map<string, string> =>
    new Map(db.all<{ run_id: string; v: string }>(sql, params).map((row) => [row.run_id, row.v]));
  const params = perRun(
    `SELECT run_id, json_group_object(key, value) AS v FROM params WHERE run_id IN (SELECT value FROM json_each(?))
     AND +key IN (SELECT value FROM json_each(?)) GROUP BY run_id`,
    [json, JSON.stringify(columns.params)],
  );
  const metrics = perRun(
    `SELECT run_id, json_group_object(key, json_array(last, min, max)) AS v FROM metric_series
     WHERE run_id IN (SELECT value FROM json_each(?)) AND +key IN (SELECT value FROM json_each(?)) GROUP BY run_id`,
    [json, JSON.stringify(columns.metrics)],
  );
  const tags = perRun(
    `SELECT run_id, json_group_object(key, value) AS v FROM tags WHERE run_id IN (SELECT value FROM json_each(?))
     AND key NOT LIKE 'runlog.%' GROUP BY run_id`,
    [json],
  );
  const buckets = Math.max(2, Math.min(200, columns.sparkBuckets ?? SPARK_BUCKETS));
  const childMetrics = order
    ? childSpreads(db, ids, order, columns.metrics)
    : new Map<string, Record<string, MetricSpread>>();
  return rows.map((row) => {
    const run = toRun(row);
    const allTags = JSON.parse(tags.get(run.id) ?? '{}') as Record<string, string>;
    const note = allTags[NOTE_TAG] ?? null;
    delete allTags[NOTE_TAG];
    const children = order?.children.get(run.id) ?? [];
    return {
      id: run.id,
      name: run.name,
      experiment: run.experiment,
      status: run.status,
      startTime: run.startTime,
      endTime: run.endTime,
      git: run.git,
      pinned: run.pinned,
      deleted: run.deleted,
      parentRunId: run.parentRunId,
      params: JSON.parse(params.get(run.id) ?? '{}') as Record<string, string>,
      metrics: metricCells(metrics.get(run.id)),
      tags: allTags,
      note,
      sparks: Object.fromEntries(columns.sparks.map((key) => [key, sparkline(db, run.id, key, buckets)])),
      children: children.length,
      childMetrics: childMetrics.get(run.id) ?? {},
    };
  });
}

function metricCells(json: string | undefined): Record<string, MetricCell> {
  const raw = JSON.parse(json ?? '{}') as Record<string, [number | null, number | null, number | null]>;
  return Object.fromEntries(Object.entries(raw).map(([key, [last, min, max]]) => [key, { last, min, max }]));
}

/** For each of these runs that has children shown, the spread of the asked metrics over those children. */
function childSpreads(
  db: Db,
  ids: readonly string[],
  order: TableOrder,
  keys: readonly string[],
): Map<string, Record<string, MetricSpread>> {
  const kids = ids.flatMap((parent) => (order.children.get(parent) ?? []).map((id) => [id, parent]));
  const result = new Map<string, Record<string, MetricSpread>>();
  if (kids.length === 0 || keys.length === 0) return result;
  const rows = db.all<SpreadRow & { parent: string }>(
    `WITH kids(id, parent) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))
     SELECT kids.parent AS parent, ${SPREAD_COLUMNS} FROM kids JOIN metric_series ON run_id = kids.id
     AND +key IN (SELECT value FROM json_each(?)) GROUP BY kids.parent, key`,
    [JSON.stringify(kids), JSON.stringify(keys)],
  );
  for (const row of rows) {
    const spreads = result.get(row.parent) ?? {};
    spreads[row.key] = toSpread(row);
    result.set(row.parent, spreads);
  }
  return result;
}

/** The values a param takes in the store, the most common first, with how many runs have each (a quick filter's pick). */
function paramValues(db: Db, key: string, limit = 500): { value: string; runs: number }[] {
  return db.all<{ value: string; runs: number }>(
    'SELECT value, COUNT(*) AS runs FROM params WHERE key = ? GROUP BY value ORDER BY runs DESC, value LIMIT ?',
    [key, Math.max(1, Math.min(5000, Math.floor(limit)))],
  );
}

/** A series' shape for a cell: the last value of each non-empty bucket across its steps. */
function sparkline(db: Db, runId: string, key: string, buckets: number): (number | null)[] {
  const exists = db.get('SELECT 1 AS found FROM metric_series WHERE run_id = ? AND key = ?', [runId, key]);
  if (!exists) return [];
  return Array.from(bucketStoredSeries(db, runId, key, buckets).last, (v) => (Number.isNaN(v) ? null : v));
}

export const tableQueries = {
  tableKeys,
  tableRows,
  tableIds,
  tableBests,
  tableCsv,
  paramValues,
};
