// Metric series as the database keeps them: each (run, key) a row of `metric_series` (its running
// summary) and its points in 2048-point chunks (`metric_chunks`, encoded by chunkCodec.ts, with
// block summaries for downsampling: metricBuckets.ts). Appending keeps the summary; reading decodes.
// A full chunk's blocks and data go to its run's chunk file (chunkFiles.ts) when this process is the
// store's writer; the partial last chunk, rewritten at every append, stays in its row.
import type { ColumnSelection, PointColumns } from './chunkCodec';
import { readBatchedLine } from './pointsFile';
import {
  BLOCK_FIELDS,
  BLOCK_POINTS,
  COARSE_POINTS,
  decodeBlocks,
  decodeChunkInto,
  encodeBlocks,
  encodeChunk,
} from './chunkCodec';
import { ChunkFiles } from './chunkFiles';
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

/**
 * Where a chunk's bytes are: in its row (file_offset NULL), or in its run's chunk file; with a
 * journal_offset, its file keeps only its block summaries and its points are a batched line of its
 * run's compacted journal (compaction.ts).
 */
export interface ChunkPlace {
  count: number;
  file_offset: number | null;
  data_size: number | null;
  journal_offset?: number | null;
  journal_length?: number | null;
}

interface ChunkRow extends ChunkPlace {
  seq: number;
  data: Uint8Array;
}

/** The columns of metric_chunks that decodeStoredChunk and chunkBlocks need besides data or blocks. */
export const CHUNK_PLACE = 'c.count, c.file_offset, c.data_size, c.journal_offset, c.journal_length';

export function blocksSize(count: number): number {
  return Math.ceil(count / BLOCK_POINTS) * BLOCK_FIELDS * 8;
}

/** A chunk's encoded columns, from its row or its run's chunk file (a journal's chunk is not encoded). */
function chunkData(db: Db, runId: string, chunk: ChunkPlace & { data: Uint8Array }): Uint8Array {
  if (chunk.file_offset === null) return chunk.data;
  return chunkFile(db).read(runId, chunk.file_offset + blocksSize(chunk.count), chunk.data_size ?? 0);
}

const blockScratch = new Float64Array((CHUNK_POINTS / BLOCK_POINTS) * BLOCK_FIELDS);

/**
 * A chunk's block summaries as doubles (BLOCK_FIELDS a block), from its row or its run's chunk
 * file; a file's are read straight into a buffer that the next call reuses (a zoomed-out chart
 * reads thousands), so use them before asking for another chunk's.
 */
export function chunkBlocks(db: Db, runId: string, chunk: ChunkPlace & { blocks: Uint8Array }): Float64Array {
  if (chunk.file_offset === null) return decodeBlocks(chunk.blocks);
  const size = blocksSize(chunk.count);
  const view = blockScratch.subarray(0, size / 8);
  chunkFile(db).readInto(runId, chunk.file_offset, new Uint8Array(view.buffer, 0, size));
  return view;
}

/**
 * Decodes a stored chunk's points into `into` at `offset`, wherever the chunk is: its row, its chunk
 * file, or (compacted runs) its journal's batched line, whose columns are copied as they are read.
 */
export function decodeStoredChunk(
  db: Db,
  runId: string,
  chunk: ChunkPlace & { data: Uint8Array },
  into: PointColumns,
  offset: number,
  select?: ColumnSelection,
): void {
  if (chunk.file_offset !== null && chunk.journal_offset !== undefined && chunk.journal_offset !== null) {
    const points = journalChunk(db, runId, chunk.journal_offset, chunk.journal_length ?? 0, chunk.count);
    into.values.set(points.values, offset);
    if (select?.steps !== false) into.steps.set(points.steps, offset);
    if (select?.times !== false) into.times.set(points.times, offset);
    return;
  }
  decodeChunkInto(chunkData(db, runId, chunk), chunk.count, into, offset, select);
}

/** The points of a chunk named by a batched line of its run's compacted journal, in scratch columns. */
function journalChunk(db: Db, runId: string, offset: number, length: number, count: number): PointColumns {
  const fileId = db.get<{ file_id: string | null }>('SELECT file_id FROM journals WHERE run_id = ?', [runId])?.file_id;
  const bytes = chunkFile(db).readJournal(runId, offset, length, fileId);
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    fields = {};
  }
  // Its points in the line, or (format 5) in the run's points file, checked against the line's sha256.
  const batch = fields['t'] === 'metrics' ? readBatchedLine(fields, chunkFile(db).runFolder(runId), true) : undefined;
  if (batch && !batch.ok) {
    // The writer compacted the run again between the line's read and its points file's (which went).
    chunkFile(db).checkJournal(runId, fileId);
    throw new Error(`Run ${runId}'s points cannot be read: ${batch.reason}.`);
  }
  if (!batch?.ok || batch.points.values.length !== count) {
    throw new Error(`Run ${runId}'s journal does not hold a chunk where the database says it does.`);
  }
  return batch.points;
}

function chunkFile(db: Db): ChunkFiles {
  const files = ChunkFiles.of(db);
  if (!files) throw new Error('This database has chunks in chunk files, but none are attached.');
  return files;
}

/** SQLite has no NaN: it stores NULL for it. Summaries read NULL back as NaN. */
export function nanFromNull(value: number | null): number {
  return value === null ? Number.NaN : value;
}

function sqlReal(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

/** The chunk being filled by appendPoints, reused by every call (it is encoded before the next). */
const appendTail: PointColumns = {
  steps: new Float64Array(CHUNK_POINTS),
  times: new Float64Array(CHUNK_POINTS),
  values: new Float64Array(CHUNK_POINTS),
};

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

  const tail = appendTail;
  let seq = 0;
  let filled = 0;
  const lastChunk = db.get<ChunkRow>(
    'SELECT seq, count, data, file_offset, data_size FROM metric_chunks WHERE series_id = ? ORDER BY seq DESC LIMIT 1',
    [series.id],
  );
  if (lastChunk) {
    seq = lastChunk.seq;
    if (lastChunk.count < CHUNK_POINTS) {
      decodeStoredChunk(db, runId, lastChunk, tail, 0);
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
    writeChunk(db, runId, series.id, seq, tail, filled);
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

function writeChunk(db: Db, runId: string, seriesId: number, seq: number, tail: PointColumns, count: number): void {
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
  // Scratch bytes: the chunk file and the statement copy them before the next chunk is encoded.
  let blocks = encodeBlocks(tail, count, BLOCK_POINTS, blocksOut);
  let data = encodeChunk(tail, 0, count, true);
  let fileOffset: number | null = null;
  let dataSize: number | null = null;
  const files = ChunkFiles.of(db);
  if (count === CHUNK_POINTS && files?.writable) {
    fileOffset = files.append(runId, blocks, data);
    dataSize = data.length;
    blocks = data = EMPTY;
  }
  db.run(
    `INSERT OR REPLACE INTO metric_chunks
       (series_id, seq, count, min_step, max_step, min_time, max_time, min, max, last, ordered, blocks, data,
        file_offset, data_size, coarse)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      blocks,
      data,
      fileOffset,
      dataSize,
      encodeBlocks(tail, count, COARSE_POINTS, coarseOut),
    ],
  );
}

const EMPTY = new Uint8Array(0);
const blocksOut = new Float64Array((CHUNK_POINTS / BLOCK_POINTS) * BLOCK_FIELDS);
const coarseOut = new Float64Array((CHUNK_POINTS / COARSE_POINTS) * BLOCK_FIELDS);

/**
 * Moves full chunks kept in rows (written before schema 6, or while this process only read the
 * store) to their runs' chunk files, up to `limit` of them after `from` (series id, seq) in one
 * transaction. Returns where to go on from, or undefined when there are no more. Writer only.
 */
export function moveChunksToFiles(
  db: Db,
  from: readonly [number, number],
  limit: number,
): [number, number] | undefined {
  const files = ChunkFiles.of(db);
  if (!files?.writable) return undefined;
  const rows = db.all<{ series_id: number; seq: number; run_id: string; blocks: Uint8Array; data: Uint8Array }>(
    `SELECT c.series_id, c.seq, s.run_id, c.blocks, c.data
     FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id
     WHERE (c.series_id, c.seq) > (?, ?) AND c.file_offset IS NULL AND c.count = ?
     ORDER BY c.series_id, c.seq LIMIT ?`,
    [from[0], from[1], CHUNK_POINTS, limit],
  );
  const last = rows.at(-1);
  if (!last) return undefined;
  const points: PointColumns = {
    steps: new Float64Array(CHUNK_POINTS),
    times: new Float64Array(CHUNK_POINTS),
    values: new Float64Array(CHUNK_POINTS),
  };
  db.transaction(() => {
    for (const row of rows) {
      const offset = files.append(row.run_id, row.blocks, row.data);
      decodeChunkInto(row.data, CHUNK_POINTS, points, 0);
      db.run(
        `UPDATE metric_chunks SET file_offset = ?, data_size = ?, blocks = X'', data = X'', coarse = ?
         WHERE series_id = ? AND seq = ?`,
        [offset, row.data.length, encodeBlocks(points, CHUNK_POINTS, COARSE_POINTS), row.series_id, row.seq],
      );
    }
  });
  return [last.series_id, last.seq];
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
    `SELECT c.seq, ${CHUNK_PLACE}, c.data FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id
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
    decodeStoredChunk(db, runId, chunk, all, offset, select);
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
