/**
 * Where a run's line on a chart breaks. A chart draws each run as a line through its own points,
 * bridging the empty buckets between them: a validation metric logged every 50 steps beside a
 * per-step loss is one point every few buckets of the shared grid, and still one line. The line
 * breaks only
 * - after a bucket that holds a NaN the run logged (or across buckets holding nothing but NaN);
 * - across a silence: two of the run's points further apart than GAP_FACTOR times the spacing of
 *   its points on each side of them (the wider of the two sides; a side without neighbours does
 *   not count), e.g. a run that stopped logging and resumed much later. Logging whose pace changes
 *   smoothly (every epoch, epochs slowly growing; every 2^k steps) never breaks.
 *
 * It works on bucket summaries, not points: a bucket's spacing is its points' mean spacing when it
 * holds several, else the distance to its other neighbour. A silence inside one bucket, or between
 * adjacent buckets, has no empty pixel to show and never breaks the line.
 */
export const GAP_FACTOR = 10;

/** What the rule needs of each bucket of a run on the grid (the store's BucketAccumulator). */
export interface GapBuckets {
  /** Points in the bucket (NaN ones included); 0 = empty. */
  readonly count: ArrayLike<number>;
  /** The lowest and the highest x of the bucket's points (NaN where empty). */
  readonly first: ArrayLike<number>;
  readonly x: ArrayLike<number>;
  /** How many of the bucket's points are NaN. */
  readonly nan: ArrayLike<number>;
}

/** 1 for each bucket the run's line must not join to the run's previous drawn bucket. */
export function lineBreaks(buckets: GapBuckets): Uint8Array {
  const n = buckets.count.length;
  const breaks = new Uint8Array(n);
  // Drawn buckets (holding a value that is not NaN), in order.
  const drawn: number[] = [];
  for (let i = 0; i < n; i++) if (buckets.count[i] > buckets.nan[i]) drawn.push(i);
  /** Distance between the points of drawn[k - 1] and drawn[k] (NaN without both). */
  const interval = (k: number): number =>
    k > 0 && k < drawn.length ? buckets.first[drawn[k]] - buckets.x[drawn[k - 1]] : Number.NaN;
  const inner = (b: number): number =>
    buckets.count[b] > 1 ? (buckets.x[b] - buckets.first[b]) / (buckets.count[b] - 1) : Number.NaN;
  let nanSince = -1;
  for (let k = 1, i = 0; k < drawn.length; k++) {
    const p = drawn[k - 1];
    const q = drawn[k];
    // A NaN in p itself or in the (NaN-only) buckets between p and q.
    for (i = Math.max(i, p); i < q; i++) if (buckets.nan[i] > 0) nanSince = i;
    if (nanSince >= p) {
      breaks[q] = 1;
      continue;
    }
    if (q - p < 2) continue;
    const left = positive(inner(p)) ?? positive(interval(k - 1));
    const right = positive(inner(q)) ?? positive(interval(k + 1));
    const spacing = Math.max(left ?? 0, right ?? 0);
    if (spacing > 0 && interval(k) > GAP_FACTOR * spacing) breaks[q] = 1;
  }
  return breaks;
}

function positive(value: number): number | undefined {
  return value > 0 ? value : undefined;
}

/** A run's point outside the grid: its nearest on one side of a zoomed range. */
export interface OutsidePoint {
  readonly x: number;
  readonly value: number;
  /** The x of the run's next point further out (its cadence there); NaN when there is none. */
  readonly beyond: number;
}

/**
 * `lineBreaks` on a grid that does not hold all of a run's points (a zoomed range), and whether the
 * line goes on to the run's nearest point before the grid and after it: zoomed in between two
 * points of a sparse series, its line still crosses the chart. The outside points count as buckets
 * beyond the grid's ends, an empty bucket away, so the silence rule always weighs them.
 */
export function lineBreaksWithin(
  buckets: GapBuckets,
  before: OutsidePoint | null,
  after: OutsidePoint | null,
): { breaks: Uint8Array; joinsBefore: boolean; joinsAfter: boolean } {
  const n = buckets.count.length;
  if (!before && !after) return { breaks: lineBreaks(buckets), joinsBefore: false, joinsAfter: false };
  const count = new Float64Array(n + 4);
  const first = new Float64Array(n + 4).fill(Number.NaN);
  const x = new Float64Array(n + 4).fill(Number.NaN);
  const nan = new Float64Array(n + 4);
  // Each outside bucket holds the point and the next one further out, which gives its spacing.
  const put = (i: number, point: OutsidePoint): void => {
    const two = Number.isFinite(point.beyond);
    count[i] = two ? 2 : 1;
    first[i] = two ? Math.min(point.x, point.beyond) : point.x;
    x[i] = two ? Math.max(point.x, point.beyond) : point.x;
    nan[i] = Number.isNaN(point.value) ? count[i] : 0;
  };
  if (before) put(0, before);
  if (after) put(n + 3, after);
  for (let i = 0; i < n; i++) {
    count[i + 2] = buckets.count[i];
    first[i + 2] = buckets.first[i];
    x[i + 2] = buckets.x[i];
    nan[i + 2] = buckets.nan[i];
  }
  const padded = lineBreaks({ count, first, x, nan });
  const drawn = (i: number): boolean => count[i] > nan[i];
  let firstDrawn = 1;
  while (firstDrawn < n + 4 && !drawn(firstDrawn)) firstDrawn++;
  let lastDrawn = n + 2;
  while (lastDrawn >= 0 && !drawn(lastDrawn)) lastDrawn--;
  return {
    breaks: padded.slice(2, n + 2),
    joinsBefore: drawn(0) && firstDrawn < n + 4 && padded[firstDrawn] === 0,
    joinsAfter: drawn(n + 3) && lastDrawn >= 0 && padded[n + 3] === 0,
  };
}
