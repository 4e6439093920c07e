import type { PointColumns } from './chunkCodec';
import { decodeChunkInto, encodeChunk } from './chunkCodec';
import type { Db } from './sqlite';

/** Points per chunk: big enough that per-row overhead vanishes, small enough to rewrite the tail often. */
export const CHUNK_POINTS = 2048;

interface SeriesRow {
  id: number;
  count: number;
  last: number | null;
  last_step: number;
  last_time: number;
  min: number | null;
  max: number | null;
}

interface ChunkRow {
  seq: number;
  count: number;
  data: Uint8Array;
}

/** Points waiting to be appended to one series, in arrival order. */
export interface PendingPoints {
  steps: number[];
  times: number[];
  values: number[];
}

/** SQLite has no NaN: it stores NULL for it. Summaries read NULL back as NaN. */
function real(value: number | null): number {
  return value === null ? Number.NaN : value;
}

function sqlReal(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

/**
 * Appends points to a series: fills the partial last chunk, then new chunks, and keeps the series'
 * summary (count, last by step, min, max; NaN never counts as a min or max). Call inside a transaction.
 */
export function appendPoints(db: Db, runId: string, key: string, points: PendingPoints): void {
  const n = points.values.length;
  if (n === 0) return;
  db.run('INSERT OR IGNORE INTO metric_series (run_id, key, count, last_step, last_time) VALUES (?, ?, 0, 0, 0)', [
    runId,
    key,
  ]);
  const series = db.get<SeriesRow>(
    'SELECT id, count, last, last_step, last_time, min, max FROM metric_series WHERE run_id = ? AND key = ?',
    [runId, key],
  ) as SeriesRow;
  let last = real(series.last);
  let lastStep = series.count === 0 ? -Infinity : series.last_step;
  let lastTime = series.last_time;
  // NaN means "no value yet"; comparisons with NaN are false, so NaN never becomes a min or max.
  let min = real(series.min);
  let max = real(series.max);

  const tail: PointColumns = {
    steps: new Float64Array(CHUNK_POINTS),
    times: new Float64Array(CHUNK_POINTS),
    values: new Float64Array(CHUNK_POINTS),
  };
  let seq = 0;
  let filled = 0;
  const lastChunk = db.get<ChunkRow>(
    'SELECT seq, count, data FROM metric_chunks WHERE series_id = ? ORDER BY seq DESC LIMIT 1',
    [series.id],
  );
  if (lastChunk) {
    seq = lastChunk.seq;
    if (lastChunk.count < CHUNK_POINTS) {
      decodeChunkInto(lastChunk.data, lastChunk.count, tail, 0);
      filled = lastChunk.count;
    } else {
      seq++;
    }
  }

  let i = 0;
  while (i < n) {
    const take = Math.min(CHUNK_POINTS - filled, n - i);
    for (let j = 0; j < take; j++, i++) {
      const step = points.steps[i];
      const time = points.times[i];
      const value = points.values[i];
      tail.steps[filled + j] = step;
      tail.times[filled + j] = time;
      tail.values[filled + j] = value;
      if (step >= lastStep) {
        lastStep = step;
        last = value;
        lastTime = time;
      }
      if (!(value >= min) && !Number.isNaN(value)) min = value;
      if (!(value <= max) && !Number.isNaN(value)) max = value;
    }
    filled += take;
    writeChunk(db, series.id, seq, tail, filled);
    if (filled === CHUNK_POINTS) {
      seq++;
      filled = 0;
    }
  }
  db.run('UPDATE metric_series SET count = ?, last = ?, last_step = ?, last_time = ?, min = ?, max = ? WHERE id = ?', [
    series.count + n,
    sqlReal(last),
    lastStep,
    lastTime,
    sqlReal(min),
    sqlReal(max),
    series.id,
  ]);
}

function writeChunk(db: Db, seriesId: number, seq: number, tail: PointColumns, count: number): void {
  let minStep = Infinity;
  let maxStep = -Infinity;
  let minTime = Infinity;
  let maxTime = -Infinity;
  let min = Number.NaN;
  let max = Number.NaN;
  for (let i = 0; i < count; i++) {
    const step = tail.steps[i];
    const time = tail.times[i];
    const value = tail.values[i];
    if (step < minStep) minStep = step;
    if (step > maxStep) maxStep = step;
    if (time < minTime) minTime = time;
    if (time > maxTime) maxTime = time;
    if (!(value >= min) && !Number.isNaN(value)) min = value;
    if (!(value <= max) && !Number.isNaN(value)) max = value;
  }
  db.run(
    `INSERT OR REPLACE INTO metric_chunks
       (series_id, seq, count, min_step, max_step, min_time, max_time, min, max, last, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      seriesId,
      seq,
      count,
      minStep,
      maxStep,
      minTime,
      maxTime,
      sqlReal(min),
      sqlReal(max),
      sqlReal(tail.values[count - 1]),
      encodeChunk(tail, 0, count),
    ],
  );
}

export type XAxis = 'step' | 'time';

export interface Range {
  /** Inclusive bounds on the x axis (steps, or wall time in ms); either may be omitted. */
  readonly from?: number;
  readonly to?: number;
}

function rangeClause(x: XAxis, range: Range | undefined): { sql: string; params: number[] } {
  const [lo, hi] = x === 'step' ? ['min_step', 'max_step'] : ['min_time', 'max_time'];
  let sql = '';
  const params: number[] = [];
  if (range?.from !== undefined) {
    sql += ` AND ${hi} >= ?`;
    params.push(range.from);
  }
  if (range?.to !== undefined) {
    sql += ` AND ${lo} <= ?`;
    params.push(range.to);
  }
  return { sql, params };
}

/** Every point of a series (optionally within a range), in arrival order. */
export function readSeries(db: Db, runId: string, key: string, x: XAxis = 'step', range?: Range): PointColumns {
  const clause = rangeClause(x, range);
  const chunks = db.all<ChunkRow>(
    `SELECT c.seq, c.count, c.data FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id
     WHERE s.run_id = ? AND s.key = ?${clause.sql} ORDER BY c.seq`,
    [runId, key, ...clause.params],
  );
  let total = 0;
  for (const chunk of chunks) total += chunk.count;
  const all: PointColumns = {
    steps: new Float64Array(total),
    times: new Float64Array(total),
    values: new Float64Array(total),
  };
  let offset = 0;
  for (const chunk of chunks) {
    decodeChunkInto(chunk.data, chunk.count, all, offset);
    offset += chunk.count;
  }
  if (range?.from === undefined && range?.to === undefined) return all;
  // Chunks overlapping the range may hold points outside it.
  const xs = x === 'step' ? all.steps : all.times;
  const from = range.from ?? -Infinity;
  const to = range.to ?? Infinity;
  let kept = 0;
  for (let i = 0; i < total; i++) {
    const v = xs[i];
    if (v >= from && v <= to) {
      all.steps[kept] = all.steps[i];
      all.times[kept] = all.times[i];
      all.values[kept] = all.values[i];
      kept++;
    }
  }
  return {
    steps: all.steps.subarray(0, kept),
    times: all.times.subarray(0, kept),
    values: all.values.subarray(0, kept),
  };
}

/** A downsampled series: per non-empty bucket, the x and value of its last point, and min and max. */
export interface Buckets {
  readonly x: Float64Array;
  readonly last: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly count: Uint32Array;
}

export const MAX_BUCKETS = 4000;

/**
 * Splits the x range into `buckets` equal buckets and keeps, for each, min, max and the last point
 * (by x, later arrival winning ties): a line through the last points with a min–max band shows every
 * extreme of a million points in a few thousand numbers.
 */
export function bucketSeries(points: PointColumns, buckets: number, x: XAxis = 'step', range?: Range): Buckets {
  const n = Math.max(1, Math.min(MAX_BUCKETS, Math.floor(buckets)));
  const xs = x === 'step' ? points.steps : points.times;
  const total = xs.length;
  let lo = range?.from ?? Infinity;
  let hi = range?.to ?? -Infinity;
  if (range?.from === undefined || range.to === undefined) {
    for (let i = 0; i < total; i++) {
      const v = xs[i];
      if (range?.from === undefined && v < lo) lo = v;
      if (range?.to === undefined && v > hi) hi = v;
    }
  }
  const width = hi > lo ? (hi - lo) / n : 1;
  const bx = new Float64Array(n).fill(Number.NaN);
  const last = new Float64Array(n).fill(Number.NaN);
  const min = new Float64Array(n).fill(Number.NaN);
  const max = new Float64Array(n).fill(Number.NaN);
  const count = new Uint32Array(n);
  for (let i = 0; i < total; i++) {
    const v = xs[i];
    if (v < lo || v > hi) continue;
    let b = Math.floor((v - lo) / width);
    if (b >= n) b = n - 1;
    const value = points.values[i];
    if (count[b] === 0 || v >= bx[b]) {
      bx[b] = v;
      last[b] = value;
    }
    if (!(value >= min[b]) && !Number.isNaN(value)) min[b] = value;
    if (!(value <= max[b]) && !Number.isNaN(value)) max[b] = value;
    count[b] = count[b] + 1;
  }
  let kept = 0;
  for (let b = 0; b < n; b++) {
    if (count[b] === 0) continue;
    bx[kept] = bx[b];
    last[kept] = last[b];
    min[kept] = min[b];
    max[kept] = max[b];
    count[kept] = count[b];
    kept++;
  }
  return {
    x: bx.slice(0, kept),
    last: last.slice(0, kept),
    min: min.slice(0, kept),
    max: max.slice(0, kept),
    count: count.slice(0, kept),
  };
}
