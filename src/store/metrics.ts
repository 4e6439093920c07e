import type { PointColumns } from './chunkCodec';
import { BLOCK_FIELDS, BLOCK_POINTS, decodeBlocks, decodeChunkInto, encodeBlocks, encodeChunk } from './chunkCodec';
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

/** A downsampled series: per non-empty bucket, the x and value of its last point, and min and max. */
export interface Buckets {
  readonly x: Float64Array;
  readonly last: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly count: Uint32Array;
}

/** Every bucket of a grid (see `BucketAccumulator.aligned`), with what the chart's line breaks need. */
export interface GridBuckets extends Buckets {
  /** The lowest x of each bucket's points (`x` is the highest). */
  readonly first: Float64Array;
  /** How many of each bucket's points are NaN (from block summaries: 1 when the block ends in NaN). */
  readonly nan: Uint32Array;
}

export const MAX_BUCKETS = 4000;

/**
 * Folds points (or whole blocks of points) into `n` equal buckets across [lo, hi], keeping per
 * bucket the min, the max and the last point (by x, later arrival winning ties): a line through the
 * last points with a min–max band shows every extreme of a million points in a few thousand numbers.
 */
export class BucketAccumulator {
  private readonly x: Float64Array;
  private readonly last: Float64Array;
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private readonly count: Uint32Array;
  private readonly first: Float64Array;
  private readonly nan: Uint32Array;
  private readonly width: number;

  constructor(
    private readonly n: number,
    private readonly lo: number,
    hi: number,
  ) {
    this.width = hi > lo ? (hi - lo) / n : 1;
    this.x = new Float64Array(n).fill(Number.NaN);
    this.last = new Float64Array(n).fill(Number.NaN);
    this.min = new Float64Array(n).fill(Number.NaN);
    this.max = new Float64Array(n).fill(Number.NaN);
    this.count = new Uint32Array(n);
    this.first = new Float64Array(n).fill(Number.NaN);
    this.nan = new Uint32Array(n);
  }

  private bucket(x: number): number {
    const b = Math.floor((x - this.lo) / this.width);
    return b >= this.n ? this.n - 1 : b;
  }

  addPoint(x: number, value: number): void {
    const b = this.bucket(x);
    if (this.count[b] === 0 || x >= this.x[b]) {
      this.x[b] = x;
      this.last[b] = value;
    }
    if (!(value >= this.min[b]) && !Number.isNaN(value)) this.min[b] = value;
    if (!(value <= this.max[b]) && !Number.isNaN(value)) this.max[b] = value;
    if (!(x >= this.first[b])) this.first[b] = x;
    if (Number.isNaN(value)) this.nan[b]++;
    this.count[b]++;
  }

  /**
   * A whole block of ordered points, placed in the bucket of its last point. Its summary tells a
   * NaN only when every value is NaN or the last one is.
   */
  addBlock(firstX: number, lastX: number, count: number, min: number, max: number, lastValue: number): void {
    const b = this.bucket(lastX);
    if (this.count[b] === 0 || lastX >= this.x[b]) {
      this.x[b] = lastX;
      this.last[b] = lastValue;
    }
    if (!(min >= this.min[b]) && !Number.isNaN(min)) this.min[b] = min;
    if (!(max <= this.max[b]) && !Number.isNaN(max)) this.max[b] = max;
    if (!(firstX >= this.first[b])) this.first[b] = firstX;
    if (Number.isNaN(min)) this.nan[b] += count;
    else if (Number.isNaN(lastValue)) this.nan[b]++;
    this.count[b] += count;
  }

  /** Every bucket, empty ones NaN (count 0): runs bucketed over the same range line up by index. */
  aligned(): GridBuckets {
    return {
      x: this.x,
      last: this.last,
      min: this.min,
      max: this.max,
      count: this.count,
      first: this.first,
      nan: this.nan,
    };
  }

  /** The non-empty buckets. */
  result(): Buckets {
    let kept = 0;
    for (let b = 0; b < this.n; b++) {
      if (this.count[b] === 0) continue;
      this.x[kept] = this.x[b];
      this.last[kept] = this.last[b];
      this.min[kept] = this.min[b];
      this.max[kept] = this.max[b];
      this.count[kept] = this.count[b];
      kept++;
    }
    return {
      x: this.x.slice(0, kept),
      last: this.last.slice(0, kept),
      min: this.min.slice(0, kept),
      max: this.max.slice(0, kept),
      count: this.count.slice(0, kept),
    };
  }
}

function clampBuckets(buckets: number): number {
  return Math.max(1, Math.min(MAX_BUCKETS, Math.floor(buckets)));
}

/** Buckets points already in memory (every point, exactly). */
export function bucketSeries(points: PointColumns, buckets: number, x: XAxis = 'step', range?: Range): Buckets {
  const n = clampBuckets(buckets);
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
  const accumulator = new BucketAccumulator(n, lo, hi);
  for (let i = 0; i < total; i++) {
    const v = xs[i];
    if (v >= lo && v <= hi) accumulator.addPoint(v, points.values[i]);
  }
  return accumulator.result();
}

interface LodRow {
  seq: number;
  count: number;
  lo: number;
  hi: number;
  ordered: number;
  blocks: Uint8Array;
}

/**
 * Downsamples a stored series. When its points are in x order (the usual training log) and there
 * are many per bucket, whole 32-point blocks are folded from their summaries, so the points are
 * never read: each block lands in the bucket of its last point, which moves a bucket edge by at most
 * a block and never loses an extreme. Chunks that straddle the range's ends, series whose steps go
 * back (a resumed run), and zoomed-in views with few points per bucket are bucketed point by point.
 */
export function bucketStoredSeries(
  db: Db,
  runId: string,
  key: string,
  buckets: number,
  x: XAxis = 'step',
  range?: Range,
): Buckets {
  const n = clampBuckets(buckets);
  const rows = lodRows(db, runId, key, x, range);
  if (!foldable(rows, n)) return bucketSeries(readSeries(db, runId, key, x, range, true), n, x, range);
  const lo = range?.from ?? rows[0].lo;
  const hi = range?.to ?? rows[rows.length - 1].hi;
  const accumulator = new BucketAccumulator(n, lo, hi);
  foldStoredRows(db, runId, key, rows, accumulator, x, lo, hi);
  return accumulator.result();
}

/**
 * Folds a series into an accumulator over [lo, hi], from block summaries where its points are
 * ordered and dense enough (see `bucketStoredSeries`), point by point otherwise.
 */
export function accumulateStoredSeries(
  db: Db,
  runId: string,
  key: string,
  accumulator: BucketAccumulator,
  buckets: number,
  x: XAxis,
  lo: number,
  hi: number,
): void {
  const rows = lodRows(db, runId, key, x, { from: lo, to: hi });
  if (!foldable(rows, buckets)) {
    const points = readSeries(db, runId, key, x, { from: lo, to: hi }, true);
    const xs = x === 'step' ? points.steps : points.times;
    for (let i = 0; i < xs.length; i++) accumulator.addPoint(xs[i], points.values[i]);
    return;
  }
  foldStoredRows(db, runId, key, rows, accumulator, x, lo, hi);
}

/** The chunks of a series overlapping a range, with their x bounds and block summaries. */
function lodRows(db: Db, runId: string, key: string, x: XAxis, range: Range | undefined): LodRow[] {
  const clause = rangeClause(x, range);
  const [loColumn, hiColumn] = x === 'step' ? ['min_step', 'max_step'] : ['min_time', 'max_time'];
  return db.all<LodRow>(
    `SELECT c.seq, c.count, c.${loColumn} AS lo, c.${hiColumn} AS hi, c.ordered, c.blocks
     FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id
     WHERE s.run_id = ? AND s.key = ?${clause.sql} ORDER BY c.seq`,
    [runId, key, ...clause.params],
  );
}

/** Block summaries may stand for points when the chunks are in x order and hold many points a bucket. */
function foldable(rows: readonly LodRow[], buckets: number): boolean {
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    total += rows[i].count;
    if (rows[i].ordered !== 1 || (i > 0 && rows[i].lo < rows[i - 1].hi)) return false;
  }
  return total >= buckets * BLOCK_POINTS * 2;
}

function foldStoredRows(
  db: Db,
  runId: string,
  key: string,
  rows: readonly LodRow[],
  accumulator: BucketAccumulator,
  x: XAxis,
  lo: number,
  hi: number,
): void {
  const [firstField, lastField] = x === 'step' ? [0, 1] : [2, 3];
  for (const row of rows) {
    if (row.lo >= lo && row.hi <= hi) {
      const blocks = decodeBlocks(row.blocks);
      for (let at = 0, left = row.count; at < blocks.length; at += BLOCK_FIELDS, left -= BLOCK_POINTS) {
        accumulator.addBlock(
          blocks[at + firstField],
          blocks[at + lastField],
          Math.min(BLOCK_POINTS, left),
          blocks[at + 4],
          blocks[at + 5],
          blocks[at + 6],
        );
      }
      continue;
    }
    const chunk = db.get<{ data: Uint8Array }>(
      'SELECT c.data FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id WHERE s.run_id = ? AND s.key = ? AND c.seq = ?',
      [runId, key, row.seq],
    );
    if (!chunk) continue;
    const points: PointColumns = {
      steps: new Float64Array(row.count),
      times: new Float64Array(row.count),
      values: new Float64Array(row.count),
    };
    decodeChunkInto(chunk.data, row.count, points, 0, { steps: x === 'step', times: x === 'time' });
    const xs = x === 'step' ? points.steps : points.times;
    for (let i = 0; i < row.count; i++) {
      if (xs[i] >= lo && xs[i] <= hi) accumulator.addPoint(xs[i], points.values[i]);
    }
  }
}
