import type { ChartRunData, ChartX } from '../../shared/chartsProtocol';
import { smoothEma } from '../../shared/smoothing';
import { lineBreaks } from './chartGaps';
import { BucketAccumulator, MAX_BUCKETS, accumulateStoredSeries, readSeries } from './metrics';
import type { XAxis } from './metrics';
import type { Db } from './sqlite';

export type { ChartX };

export interface ChartExtent {
  readonly lo: number;
  readonly hi: number;
}

export interface ChartSeriesQuery {
  readonly runIds: readonly string[];
  readonly key: string;
  readonly x: ChartX;
  /** The grid: `buckets` equal buckets across [lo, hi], the same for every run of the chart. */
  readonly lo: number;
  readonly hi: number;
  readonly buckets: number;
  /** EMA weight in [0, 1): applied to every point of the series before bucketing; 0 = none. */
  readonly smoothing: number;
}

/** One run's line on the grid (the Charts panel's wire type). */
export type ChartRunSeries = ChartRunData;

function storedAxis(x: ChartX): XAxis {
  return x === 'step' ? 'step' : 'time';
}

/** Relative time is measured from the run's start; other axes need no shift. */
function offsetOf(db: Db, runId: string, x: ChartX): number | undefined {
  if (x !== 'relative') return 0;
  return db.get<{ start_time: number }>('SELECT start_time FROM runs WHERE id = ?', [runId])?.start_time;
}

/** The x range the runs' points of `key` cover, or null when none logged it. */
export function chartExtent(db: Db, runIds: readonly string[], key: string, x: ChartX): ChartExtent | null {
  const [loColumn, hiColumn] = x === 'step' ? ['min_step', 'max_step'] : ['min_time', 'max_time'];
  let lo = Infinity;
  let hi = -Infinity;
  for (const runId of runIds) {
    const offset = offsetOf(db, runId, x);
    if (offset === undefined) continue;
    const row = db.get<{ lo: number | null; hi: number | null }>(
      `SELECT MIN(c.${loColumn}) AS lo, MAX(c.${hiColumn}) AS hi
       FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id WHERE s.run_id = ? AND s.key = ?`,
      [runId, key],
    );
    if (row?.lo === null || row?.lo === undefined || row.hi === null) continue;
    lo = Math.min(lo, row.lo - offset);
    hi = Math.max(hi, row.hi - offset);
  }
  return lo <= hi ? { lo, hi } : null;
}

/**
 * Every run's series of `key` bucketed on one shared grid, so a chart can draw them against one x
 * array: raw min/max/last from block summaries where possible, and with smoothing the EMA of every
 * point (computed from the series' first point even when the grid is zoomed in).
 */
export function chartSeries(db: Db, query: ChartSeriesQuery): ChartRunSeries[] {
  const n = Math.max(1, Math.min(MAX_BUCKETS, Math.floor(query.buckets)));
  const axis = storedAxis(query.x);
  const result: ChartRunSeries[] = [];
  for (const runId of query.runIds) {
    const offset = offsetOf(db, runId, query.x);
    if (offset === undefined) continue;
    const lo = query.lo + offset;
    const hi = query.hi + offset;
    const raw = new BucketAccumulator(n, lo, hi);
    accumulateStoredSeries(db, runId, query.key, raw, n, axis, lo, hi);
    const buckets = raw.aligned();
    let smoothed: Float64Array | null = null;
    if (query.smoothing > 0) {
      const points = readSeries(db, runId, query.key, axis);
      const values = smoothEma(points.values, query.smoothing);
      const xs = axis === 'step' ? points.steps : points.times;
      const smooth = new BucketAccumulator(n, lo, hi);
      for (let i = 0; i < xs.length; i++) if (xs[i] >= lo && xs[i] <= hi) smooth.addPoint(xs[i], values[i]);
      smoothed = smooth.aligned().last;
    }
    let points = 0;
    for (let i = 0; i < n; i++) points += buckets.count[i];
    result.push({
      runId,
      last: buckets.last,
      min: buckets.min,
      max: buckets.max,
      smoothed,
      breaks: lineBreaks(buckets),
      points,
    });
  }
  return result;
}
