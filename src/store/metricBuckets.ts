// Downsampling of stored series onto the bucket grid (bucketGrid.ts): series in x order fold whole
// 32-point blocks, or 1024-point summaries, without reading the points.
import type { PointColumns } from './chunkCodec';
import { BLOCK_FIELDS, BLOCK_POINTS, COARSE_POINTS, decodeBlocks } from './chunkCodec';
import type { ChunkPlace, Range, XAxis } from './metrics';
import { CHUNK_PLACE, chunkBlocks, decodeStoredChunk, rangeClause, readSeries } from './metrics';
import type { Buckets } from './bucketGrid';
import { BucketAccumulator, bucketSeries, clampBuckets } from './bucketGrid';
import type { Db } from './sqlite';

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
