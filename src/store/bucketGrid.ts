// The bucket grid a chart is drawn from: points folded into equal buckets, min, max and last point
// each, so a chart of a million points ships a few thousand numbers and still shows every extreme.
// Pure arithmetic (no database, no Node), so the browser tests draw through the same code.
import type { PointColumns } from './chunkCodec';
import type { Range, XAxis } from './metrics';

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

export function clampBuckets(buckets: number): number {
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
