/**
 * What the editor shows inside a training script (hovers, inline values, the summary lens): a
 * metric's latest value, its best across runs, and the values a parameter took, for the runs of
 * that script (or of the whole store when the script has none that logged it). Hovers ask while
 * the user waits, on stores with thousands of runs, so every query is an index lookup with a LIMIT
 * or one aggregate pass; nothing reads metric points. `insightQueries` lists the queries;
 * storeQueries.ts makes every one a StoreApi method.
 */
import { basename, dirname, join } from 'node:path';
import type { MetricGoal } from '../../shared/metricGoal';
import { isBetter, metricGoal } from '../../shared/metricGoal';
import type { RunStatus } from './events';
import type { SeriesSummaryRow } from './metrics';
import { nanFromNull } from './metrics';
import type { Db, SqlValue } from './sqlite';

/** A run and its series of one metric key. */
export interface RunSeries {
  readonly runId: string;
  readonly runName: string;
  readonly status: RunStatus;
  readonly startTime: number;
  readonly count: number;
  /** The value at the highest step (NaN when it was NaN). */
  readonly last: number;
  readonly lastStep: number;
  /** NaN when the series has no non-NaN value. */
  readonly min: number;
  readonly max: number;
}

/** Whose runs an answer is about: the script's, or every run in the store. */
export type InsightScope = 'script' | 'store';

export interface MetricInsight {
  readonly key: string;
  readonly scope: InsightScope;
  readonly goal: MetricGoal;
  /** Runs in scope that logged the key. */
  readonly runCount: number;
  /** The most recent of them (by start time), newest first: the first one is the latest run. */
  readonly recent: readonly RunSeries[];
  /** The run with the best value for the goal (its min or max), and that value. */
  readonly best: (RunSeries & { readonly value: number }) | undefined;
}

/** A key's latest value, for inline values: no counting, no best. */
export interface LatestMetric {
  readonly key: string;
  readonly scope: InsightScope;
  readonly run: RunSeries;
}

export interface InsightQuery {
  /** The script's absolute path; without it, every answer is about the whole store. */
  readonly script?: string;
  readonly keys: readonly string[];
  /** `runlog.metricGoals`: per-key overrides of the naming convention. */
  readonly goals?: Readonly<Record<string, MetricGoal>>;
  /** How many recent runs to return per key (default 10, at most 100). */
  readonly recent?: number;
}

export interface ScriptSummaryQuery {
  readonly script: string;
  /** `runlog.keyMetric`: the metric to summarise when the script's runs logged it. */
  readonly keyMetric?: string;
  readonly goals?: Readonly<Record<string, MetricGoal>>;
  readonly recent?: number;
}

export interface ScriptSummary {
  /** The script's runs (not deleted), whatever they logged. */
  readonly runCount: number;
  /** The most recent of them, newest first (at most `recent`). */
  readonly recentRunIds: readonly string[];
  /** The key metric across them; undefined when none logged a metric. */
  readonly metric: MetricInsight | undefined;
}

export interface ParamHistoryQuery {
  readonly script?: string;
  /** The parameter's key as runs record it (argparse's dest, click's name). */
  readonly param: string;
  readonly keyMetric?: string;
  readonly goals?: Readonly<Record<string, MetricGoal>>;
  /** How many runs to list (default 10, at most 100). */
  readonly limit?: number;
}

export interface ParamRun {
  readonly runId: string;
  readonly runName: string;
  readonly status: RunStatus;
  readonly startTime: number;
  readonly value: string;
  /** The run's series of the key metric; undefined when it logged none. */
  readonly metric: RunSeries | undefined;
}

export interface ParamHistory {
  readonly param: string;
  readonly scope: InsightScope;
  /** Runs in scope that recorded the parameter. */
  readonly runCount: number;
  /** The most recent of them, newest first. */
  readonly runs: readonly ParamRun[];
  readonly keyMetric: string | undefined;
  readonly goal: MetricGoal | undefined;
}

/** A run joined with its metric_series row of one key. */
interface SeriesRow extends Pick<SeriesSummaryRow, 'count' | 'last' | 'last_step' | 'min' | 'max'> {
  id: string;
  name: string;
  status: RunStatus;
  start_time: number;
}

/** Rows merged from several index ranges carry the run's rowid: ties in start time go to the later-ingested run. */
interface Ordered {
  start_time: number;
  rid: number;
}

function toRunSeries(row: SeriesRow): RunSeries {
  return {
    runId: row.id,
    runName: row.name,
    status: row.status,
    startTime: row.start_time,
    count: row.count,
    last: nanFromNull(row.last),
    lastStep: row.last_step,
    min: nanFromNull(row.min),
    max: nanFromNull(row.max),
  };
}

const SERIES_COLUMNS = 'r.id, r.name, r.status, r.start_time, s.count, s.last, s.last_step, s.min, s.max';
const MAX_LIMIT = 100;

const clampLimit = (n: number | undefined, fallback: number): number =>
  Math.max(1, Math.min(MAX_LIMIT, Math.floor(n ?? fallback)));

/**
 * Where a scope's runs are, as conditions on `runs r` that each start with `r.source = ?`, so each is
 * one range of `runs_by_source (source, start_time)`: walked newest first, a LIMIT stops it early.
 */
interface Part {
  readonly where: string;
  readonly params: readonly SqlValue[];
}

/**
 * `undefined` is the whole store: counts there start from the metric key's or param key's index,
 * and newest-first lists walk `runs_by_start` as one range (`WHOLE_STORE`).
 */
type Scope = readonly Part[] | undefined;

const WHOLE_STORE: readonly Part[] = [{ where: '1', params: [] }];

const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The runs of a script: those whose `source` is its path (the editor's launches and the Python
 * client record it), and MLproject entry-point runs from its folder whose command runs it (their
 * `source` is the MLproject file; MLflow renders `python train.py --lr …`).
 */
export function scriptScope(script: string): Part[] {
  const word = escapeLike(basename(script));
  const command = "' ' || COALESCE(r.command, '') || ' '";
  return [
    { where: 'r.source = ?', params: [script] },
    {
      where: `r.source = ? AND (${command} LIKE ? ESCAPE '\\' OR ${command} LIKE ? ESCAPE '\\')`,
      params: [join(dirname(script), 'MLproject'), `% ${word} %`, `% ./${word} %`],
    },
  ];
}

/** The newest `limit` rows of several ranges, each already newest first. */
function newest<T extends Ordered>(lists: readonly T[][], limit: number): T[] {
  return lists
    .flat()
    .sort((a, b) => b.start_time - a.start_time || b.rid - a.rid)
    .slice(0, limit);
}

/** Count and best of one key's series in a scope (SQLite takes bare columns from the min/max row). */
function aggregate(
  db: Db,
  key: string,
  scope: Scope,
  goal: MetricGoal,
): { count: number; best: RunSeries | undefined; value: number } {
  const pick = goal === 'min' ? 'MIN(s.min)' : 'MAX(s.max)';
  const rows =
    scope === undefined
      ? [
          db.get<SeriesRow & { n: number; best: number | null }>(
            `SELECT COUNT(*) AS n, ${pick} AS best, ${SERIES_COLUMNS}
             FROM metric_series s JOIN runs r ON r.id = s.run_id WHERE s.key = ? AND r.deleted = 0`,
            [key],
          ),
        ]
      : scope.map((part) =>
          db.get<SeriesRow & { n: number; best: number | null }>(
            `SELECT COUNT(*) AS n, ${pick} AS best, ${SERIES_COLUMNS}
             FROM runs r CROSS JOIN metric_series s ON s.run_id = r.id AND s.key = ?
             WHERE r.deleted = 0 AND ${part.where}`,
            [key, ...part.params],
          ),
        );
  let count = 0;
  let best: { row: SeriesRow; value: number } | undefined;
  for (const row of rows) {
    if (!row || row.n === 0) continue;
    count += row.n;
    if (row.best !== null && (!best || isBetter(row.best, best.value, goal))) best = { row, value: row.best };
  }
  return { count, best: best ? toRunSeries(best.row) : undefined, value: best?.value ?? Number.NaN };
}

function recentSeries(db: Db, key: string, scope: Scope, limit: number): RunSeries[] {
  const lists = (scope ?? WHOLE_STORE).map((part) =>
    db.all<SeriesRow & Ordered>(
      `SELECT ${SERIES_COLUMNS}, r.rowid AS rid FROM runs r CROSS JOIN metric_series s ON s.run_id = r.id AND s.key = ?
       WHERE r.deleted = 0 AND ${part.where} ORDER BY r.start_time DESC, r.rowid DESC LIMIT ?`,
      [key, ...part.params, limit],
    ),
  );
  return newest(lists, limit).map(toRunSeries);
}

function insightIn(db: Db, key: string, scope: Scope, goal: MetricGoal, recent: number): MetricInsight | undefined {
  const { count, best, value } = aggregate(db, key, scope, goal);
  if (count === 0) return undefined;
  return {
    key,
    scope: scope === undefined ? 'store' : 'script',
    goal,
    runCount: count,
    recent: recentSeries(db, key, scope, recent),
    best: best ? { ...best, value } : undefined,
  };
}

/**
 * Each key's latest value, best and recent runs: among the script's runs when some of them logged
 * the key, else among all runs of the store. Keys no run logged are left out.
 */
function metricInsights(db: Db, query: InsightQuery): MetricInsight[] {
  const recent = clampLimit(query.recent, 10);
  const script = query.script ? scriptScope(query.script) : undefined;
  const found: MetricInsight[] = [];
  for (const key of new Set(query.keys)) {
    const goal = metricGoal(key, query.goals);
    const insight =
      (script ? insightIn(db, key, script, goal, recent) : undefined) ?? insightIn(db, key, undefined, goal, recent);
    if (insight) found.push(insight);
  }
  return found;
}

/** Each key's value in the latest run that logged it (the script's runs first, else the store's). */
function latestMetrics(db: Db, query: { readonly script?: string; readonly keys: readonly string[] }): LatestMetric[] {
  const script = query.script ? scriptScope(query.script) : undefined;
  const found: LatestMetric[] = [];
  for (const key of new Set(query.keys)) {
    const mine = script ? recentSeries(db, key, script, 1)[0] : undefined;
    const run = mine ?? recentSeries(db, key, undefined, 1)[0];
    if (run) found.push({ key, scope: mine ? 'script' : 'store', run });
  }
  return found;
}

/** The newest runs of a scope, with `columns` of `runs r` (and of `extra`, joined by `on`). */
export function recentRuns<T extends object>(
  db: Db,
  scope: readonly Part[],
  columns: string,
  limit: number,
  join = '',
  joinParams: readonly SqlValue[] = [],
): (T & Ordered)[] {
  const lists = scope.map((part) =>
    db.all<T & Ordered>(
      `SELECT ${columns}, r.start_time, r.rowid AS rid FROM runs r ${join}
       WHERE r.deleted = 0 AND ${part.where} ORDER BY r.start_time DESC, r.rowid DESC LIMIT ?`,
      [...joinParams, ...part.params, limit],
    ),
  );
  return newest(lists, limit);
}

/**
 * The key metric of a scope's runs: `preferred` when one of them logged it, else the first metric
 * the latest run with metrics logged (the series it created first), system metrics left out.
 */
function keyMetricOf(db: Db, scope: Scope, preferred: string | undefined): string | undefined {
  if (preferred && recentSeries(db, preferred, scope, 1).length > 0) return preferred;
  const own = "key NOT GLOB 'system/*'";
  const withMetrics = `EXISTS (SELECT 1 FROM metric_series s WHERE s.run_id = r.id AND s.${own})`;
  const [latest] = recentRuns<{ id: string }>(
    db,
    (scope ?? WHOLE_STORE).map((part) => ({ where: `${part.where} AND ${withMetrics}`, params: part.params })),
    'r.id',
    1,
  );
  if (!latest) return undefined;
  return db.get<{ key: string }>(`SELECT key FROM metric_series WHERE run_id = ? AND ${own} ORDER BY id LIMIT 1`, [
    latest.id,
  ])?.key;
}

/** How many runs the script has, its recent ones, and its key metric's best and latest. */
function scriptSummary(db: Db, query: ScriptSummaryQuery): ScriptSummary {
  const scope = scriptScope(query.script);
  let runCount = 0;
  for (const part of scope) {
    runCount +=
      db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM runs r WHERE r.deleted = 0 AND ${part.where}`, [...part.params])
        ?.n ?? 0;
  }
  if (runCount === 0) return { runCount, recentRunIds: [], metric: undefined };
  const recent = clampLimit(query.recent, 10);
  const recentRunIds = recentRuns<{ id: string }>(db, scope, 'r.id', recent).map((row) => row.id);
  const key = keyMetricOf(db, scope, query.keyMetric);
  const metric = key ? insightIn(db, key, scope, metricGoal(key, query.goals), recent) : undefined;
  return { runCount, recentRunIds, metric };
}

interface ParamRow {
  id: string;
  name: string;
  status: RunStatus;
  start_time: number;
  value: string;
}

/**
 * The values a parameter took in the most recent runs (of the script when some of its runs
 * recorded it, else of the store), each with the run's series of the key metric.
 */
function paramHistory(db: Db, query: ParamHistoryQuery): ParamHistory {
  const limit = clampLimit(query.limit, 10);
  const count = (scope: Scope): number =>
    scope === undefined
      ? (db.get<{ n: number }>(
          'SELECT COUNT(*) AS n FROM params p JOIN runs r ON r.id = p.run_id WHERE p.key = ? AND r.deleted = 0',
          [query.param],
        )?.n ?? 0)
      : scope.reduce(
          (sum, part) =>
            sum +
            (db.get<{ n: number }>(
              `SELECT COUNT(*) AS n FROM runs r CROSS JOIN params p ON p.run_id = r.id AND p.key = ?
               WHERE r.deleted = 0 AND ${part.where}`,
              [query.param, ...part.params],
            )?.n ?? 0),
          0,
        );
  let scope: Scope = query.script ? scriptScope(query.script) : undefined;
  let runCount = count(scope);
  if (runCount === 0 && scope !== undefined) {
    scope = undefined;
    runCount = count(scope);
  }
  const empty = {
    param: query.param,
    scope: scope === undefined ? ('store' as const) : ('script' as const),
    runCount,
    runs: [],
    keyMetric: undefined,
    goal: undefined,
  };
  if (runCount === 0) return empty;
  const rows = recentRuns<ParamRow>(
    db,
    scope ?? WHOLE_STORE,
    'r.id, r.name, r.status, p.value',
    limit,
    'CROSS JOIN params p ON p.run_id = r.id AND p.key = ?',
    [query.param],
  );
  const keyMetric = keyMetricOf(db, scope, query.keyMetric);
  const series = new Map<string, RunSeries>();
  if (keyMetric && rows.length > 0) {
    for (const row of db.all<SeriesRow>(
      `SELECT ${SERIES_COLUMNS} FROM metric_series s JOIN runs r ON r.id = s.run_id
       WHERE s.key = ? AND s.run_id IN (${rows.map(() => '?').join(', ')})`,
      [keyMetric, ...rows.map((row) => row.id)],
    )) {
      series.set(row.id, toRunSeries(row));
    }
  }
  return {
    ...empty,
    runs: rows.map((row) => ({
      runId: row.id,
      runName: row.name,
      status: row.status,
      startTime: row.start_time,
      value: row.value,
      metric: series.get(row.id),
    })),
    keyMetric,
    goal: keyMetric ? metricGoal(keyMetric, query.goals) : undefined,
  };
}

export const insightQueries = { metricInsights, latestMetrics, scriptSummary, paramHistory };
