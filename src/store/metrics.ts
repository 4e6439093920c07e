// Metric series as the database keeps them: each (run, key) a row of `metric_series` (its running
// summary) and its points in 2048-point chunks (`metric_chunks`, encoded by chunkCodec.ts, with
// block summaries for downsampling: metricBuckets.ts). Appending keeps the summary; reading decodes.
import type { PointColumns } from './chunkCodec';
import { decodeChunkInto, encodeBlocks, encodeChunk } from './chunkCodec';
import type { Db } from './sqlite';

/** Points per chunk: big enough that per-row overhead vanishes, small enough to rewrite the tail often. */
export const CHUNK_POINTS = 2048;

/** A metric_series row: the series' running summary (NULL where a value was NaN or absent). */
export interface SeriesSummaryRow {
  key: string;
  count: number;
  last: number | null;
  last_step: number;
  last_time: number;
  min: number | null;
  max: number | null;
}

interface SeriesRow extends Omit<SeriesSummaryRow, 'key'> {
  id: number;
}

interface ChunkRow {
  seq: number;
  count: number;
  data: Uint8Array;
}

/** SQLite has no NaN: it stores NULL for it. Summaries read NULL back as NaN. */
export function nanFromNull(value: number | null): number {
  return value === null ? Number.NaN : value;
}

function sqlReal(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

/**
 * Appends points to a series: fills the partial last chunk, then new chunks, and keeps the series'
 * summary (count, last by step, min, max; NaN never counts as a min or max). Call inside a transaction.
 */
export function appendPoints(db: Db, runId: string, key: string, points: PointColumns): void {
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
  let last = nanFromNull(series.last);
  let lastStep = series.count === 0 ? -Infinity : series.last_step;
  let lastTime = series.last_time;
  // NaN means "no value yet"; comparisons with NaN are false, so NaN never becomes a min or max.
  let min = nanFromNull(series.min);
  let max = nanFromNull(series.max);

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
  let ordered = 1;
  for (let i = 0; i < count; i++) {
    const step = tail.steps[i];
    const time = tail.times[i];
    const value = tail.values[i];
    if (i > 0 && (step < tail.steps[i - 1] || time < tail.times[i - 1])) ordered = 0;
    if (step < minStep) minStep = step;
    if (step > maxStep) maxStep = step;
    if (time < minTime) minTime = time;
    if (time > maxTime) maxTime = time;
    if (!(value >= min) && !Number.isNaN(value)) min = value;
    if (!(value <= max) && !Number.isNaN(value)) max = value;
  }
  db.run(
    `INSERT OR REPLACE INTO metric_chunks
       (series_id, seq, count, min_step, max_step, min_time, max_time, min, max, last, ordered, blocks, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      ordered,
      encodeBlocks(tail, count),
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

/** The condition on a chunk's x bounds that keeps the chunks overlapping `range`. */
export function rangeClause(x: XAxis, range: Range | undefined): { sql: string; params: number[] } {
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

/**
 * Every point of a series (optionally within a range), in arrival order. With `xOnly`, only the x
 * column asked for is decoded (the other stays zero): what bucketing needs, at half the work.
 */
export function readSeries(
  db: Db,
  runId: string,
  key: string,
  x: XAxis = 'step',
  range?: Range,
  xOnly = false,
): PointColumns {
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
  const select = xOnly ? { steps: x === 'step', times: x === 'time' } : { steps: true, times: true };
  let offset = 0;
  for (const chunk of chunks) {
    decodeChunkInto(chunk.data, chunk.count, all, offset, select);
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
