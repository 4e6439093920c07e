import type { ChartRunData, ChartX, EdgePoint } from '../../shared/chartsProtocol';
import { smoothEma } from '../../shared/smoothing';
import type { OutsidePoint } from './chartGaps';
import { lineBreaksWithin } from './chartGaps';
import type { PointColumns } from './chunkCodec';
import { BucketAccumulator, MAX_BUCKETS } from './bucketGrid';
import { accumulateStoredSeries } from './metricBuckets';
import { CHUNK_PLACE, decodeStoredChunk, readSeries } from './metrics';
import type { ChunkPlace, XAxis } from './metrics';
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
 * Where in `xs` the run's two last points before `lo` and two first points after `hi` are (-1:
 * none), nearest first; among points at the same x the later one.
 */
function outsideIndexes(xs: ArrayLike<number>, lo: number, hi: number): [number, number, number, number] {
  let [b1, b2, a1, a2] = [-1, -1, -1, -1];
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (x < lo) {
      if (b1 < 0 || x >= xs[b1]) [b1, b2] = [i, b1];
      else if (b2 < 0 || x >= xs[b2]) b2 = i;
    } else if (x > hi) {
      if (a1 < 0 || x <= xs[a1]) [a1, a2] = [i, a1];
      else if (a2 < 0 || x <= xs[a2]) a2 = i;
    }
  }
  return [b1, b2, a1, a2];
}

/** The outside point at index `i` of the columns, with the next one further out at `j`. */
function outsideAt(xs: ArrayLike<number>, values: ArrayLike<number>, i: number, j: number): OutsidePoint | null {
  return i < 0 ? null : { x: xs[i], value: values[i], beyond: j < 0 ? Number.NaN : xs[j] };
}

/**
 * A run's nearest stored point before `lo` and after `hi` (absolute x), reading only the chunks
 * that can hold them: on a grid covering the whole series there are none, and nothing is read.
 */
function outsidePoints(
  db: Db,
  runId: string,
  key: string,
  axis: XAxis,
  lo: number,
  hi: number,
): [OutsidePoint | null, OutsidePoint | null] {
  const [minColumn, maxColumn] = axis === 'step' ? ['min_step', 'max_step'] : ['min_time', 'max_time'];
  const nearest = (side: 'before' | 'after'): OutsidePoint | null => {
    const rows = db.all<ChunkPlace & { lo: number; hi: number; data: Uint8Array }>(
      `SELECT ${CHUNK_PLACE}, c.${minColumn} AS lo, c.${maxColumn} AS hi, c.data
       FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id
       WHERE s.run_id = ? AND s.key = ? AND ${side === 'before' ? `c.${minColumn} < ?` : `c.${maxColumn} > ?`}
       ORDER BY ${side === 'before' ? `c.${maxColumn} DESC` : `c.${minColumn} ASC`}`,
      [runId, key, side === 'before' ? lo : hi],
    );
    // The nearest two points on that side: the second gives the run's spacing there.
    let xs = new Float64Array(0);
    let values = new Float64Array(0);
    for (const row of rows) {
      // Rows come nearest first: one that cannot beat the second best so far ends the search.
      if (xs.length === 2 && (side === 'before' ? row.hi < xs[1] : row.lo > xs[1])) break;
      const points: PointColumns = {
        steps: new Float64Array(row.count),
        times: new Float64Array(row.count),
        values: new Float64Array(row.count),
      };
      decodeStoredChunk(db, runId, row, points, 0, {
        steps: axis === 'step',
        times: axis === 'time',
      });
      const column = axis === 'step' ? points.steps : points.times;
      const found = outsideIndexes(column, lo, hi);
      const [i, j] = side === 'before' ? [found[0], found[1]] : [found[2], found[3]];
      // Merge this chunk's nearest two with the best two so far and keep the nearest two.
      const candidates = [...xs.keys()].map((k) => [xs[k], values[k]]);
      for (const k of [i, j]) if (k >= 0) candidates.push([column[k], points.values[k]]);
      candidates.sort((p, q) => (side === 'before' ? q[0] - p[0] : p[0] - q[0]));
      xs = Float64Array.from(candidates.slice(0, 2).map((c) => c[0]));
      values = Float64Array.from(candidates.slice(0, 2).map((c) => c[1]));
    }
    return outsideAt(xs, values, xs.length > 0 ? 0 : -1, xs.length > 1 ? 1 : -1);
  };
  return [nearest('before'), nearest('after')];
}

/**
 * Every run's series of `key` bucketed on one shared grid, so a chart can draw them against one x
 * array: raw min/max/last from block summaries where possible, and with smoothing the EMA of every
 * point (computed from the series' first point even when the grid is zoomed in). With each run,
 * where its line breaks and, on a zoomed grid, the points just outside it that the line goes on to.
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
    let outside: [OutsidePoint | null, OutsidePoint | null];
    let smoothedOutside: [number, number] = [Number.NaN, Number.NaN];
    if (query.smoothing > 0) {
      const points = readSeries(db, runId, query.key, axis);
      const values = smoothEma(points.values, query.smoothing);
      const xs = axis === 'step' ? points.steps : points.times;
      const smooth = new BucketAccumulator(n, lo, hi);
      for (let i = 0; i < xs.length; i++) if (xs[i] >= lo && xs[i] <= hi) smooth.addPoint(xs[i], values[i]);
      smoothed = smooth.aligned().last;
      const at = outsideIndexes(xs, lo, hi);
      outside = [outsideAt(xs, points.values, at[0], at[1]), outsideAt(xs, points.values, at[2], at[3])];
      smoothedOutside = [values[at[0]] ?? Number.NaN, values[at[2]] ?? Number.NaN];
    } else {
      outside = outsidePoints(db, runId, query.key, axis, lo, hi);
    }
    const shape = lineBreaksWithin(buckets, outside[0], outside[1]);
    const edge = (point: OutsidePoint | null, joins: boolean, smooth: number): EdgePoint | null =>
      point && joins ? { x: point.x - offset, last: point.value, smoothed: smoothed ? smooth : null } : null;
    let points = 0;
    for (let i = 0; i < n; i++) points += buckets.count[i];
    result.push({
      runId,
      last: buckets.last,
      min: buckets.min,
      max: buckets.max,
      smoothed,
      breaks: shape.breaks,
      before: edge(outside[0], shape.joinsBefore, smoothedOutside[0]),
      after: edge(outside[1], shape.joinsAfter, smoothedOutside[1]),
      points,
    });
  }
  return result;
}
