// Downsampling: a series folded into buckets, min, max and last point each, so a chart of a million
// points ships a few thousand numbers and still shows every extreme. Stored series in x order fold
// whole 32-point blocks from their summaries without reading the points.
import type { PointColumns } from './chunkCodec';
import { BLOCK_FIELDS, BLOCK_POINTS, COARSE_POINTS, decodeBlocks } from './chunkCodec';
import type { ChunkPlace, Range, XAxis } from './metrics';
import { CHUNK_PLACE, chunkBlocks, decodeStoredChunk, rangeClause, readSeries } from './metrics';
import type { Db } from './sqlite';

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

interface LodRow extends ChunkPlace {
  seq: number;
  lo: number;
  hi: number;
  ordered: number;
  blocks: Uint8Array;
  /** 1024-point summaries, kept in the row (NULL in rows from before schema 6). */
  coarse: Uint8Array | null;
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
  const level = foldLevel(rows, n);
  if (level === 0) return bucketSeries(readSeries(db, runId, key, x, range, true), n, x, range);
  const lo = range?.from ?? rows[0].lo;
  const hi = range?.to ?? rows[rows.length - 1].hi;
  const accumulator = new BucketAccumulator(n, lo, hi);
  foldStoredRows(db, runId, key, rows, accumulator, x, lo, hi, level);
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
  const level = foldLevel(rows, buckets);
  if (level === 0) {
    const points = readSeries(db, runId, key, x, { from: lo, to: hi }, true);
    const xs = x === 'step' ? points.steps : points.times;
    for (let i = 0; i < xs.length; i++) accumulator.addPoint(xs[i], points.values[i]);
    return;
  }
  foldStoredRows(db, runId, key, rows, accumulator, x, lo, hi, level);
}

/** The chunks of a series overlapping a range, with their x bounds and block summaries. */
function lodRows(db: Db, runId: string, key: string, x: XAxis, range: Range | undefined): LodRow[] {
  const clause = rangeClause(x, range);
  const [loColumn, hiColumn] = x === 'step' ? ['min_step', 'max_step'] : ['min_time', 'max_time'];
  return db.all<LodRow>(
    `SELECT c.seq, ${CHUNK_PLACE}, c.${loColumn} AS lo, c.${hiColumn} AS hi, c.ordered, c.blocks, c.coarse
     FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id
     WHERE s.run_id = ? AND s.key = ?${clause.sql} ORDER BY c.seq`,
    [runId, key, ...clause.params],
  );
}

/**
 * The blocks whose summaries may stand for points: none (0) unless the chunks are in x order; then
 * the coarsest of 1024-point blocks (in the rows) and 32-point blocks (in the chunk files) of which
 * every bucket gets two or more.
 */
function foldLevel(rows: readonly LodRow[], buckets: number): number {
  let total = 0;
  let coarse = true;
  for (let i = 0; i < rows.length; i++) {
    total += rows[i].count;
    if (rows[i].ordered !== 1 || (i > 0 && rows[i].lo < rows[i - 1].hi)) return 0;
    if (rows[i].coarse === null) coarse = false;
  }
  if (coarse && total >= buckets * COARSE_POINTS * 2) return COARSE_POINTS;
  return total >= buckets * BLOCK_POINTS * 2 ? BLOCK_POINTS : 0;
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
  level: number,
): void {
  const [firstField, lastField] = x === 'step' ? [0, 1] : [2, 3];
  for (const row of rows) {
    if (row.lo >= lo && row.hi <= hi) {
      const blocks = level === COARSE_POINTS && row.coarse ? decodeBlocks(row.coarse) : chunkBlocks(db, runId, row);
      for (let at = 0, left = row.count; at < blocks.length; at += BLOCK_FIELDS, left -= level) {
        accumulator.addBlock(
          blocks[at + firstField],
          blocks[at + lastField],
          Math.min(level, left),
          blocks[at + 4],
          blocks[at + 5],
          blocks[at + 6],
        );
      }
      continue;
    }
    const chunk = db.get<ChunkPlace & { data: Uint8Array }>(
      `SELECT ${CHUNK_PLACE}, c.data FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id
       WHERE s.run_id = ? AND s.key = ? AND c.seq = ?`,
      [runId, key, row.seq],
    );
    if (!chunk) continue;
    const points: PointColumns = {
      steps: new Float64Array(row.count),
      times: new Float64Array(row.count),
      values: new Float64Array(row.count),
    };
    decodeStoredChunk(db, runId, chunk, points, 0, { steps: x === 'step', times: x === 'time' });
    const xs = x === 'step' ? points.steps : points.times;
    for (let i = 0; i < row.count; i++) {
      if (xs[i] >= lo && xs[i] <= hi) accumulator.addPoint(xs[i], points.values[i]);
    }
  }
}
