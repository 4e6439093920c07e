/**
 * Compaction of sealed runs' journals in the store (docs/JOURNAL.md, "Compacted journals"): a
 * finished run's journal is rewritten (journalCompactor.ts: its points into a points file beside it
 * in chunks of 2048 points encoded as the store's chunks are, each named by a line; every other line
 * byte for byte, behind a first line naming the rewrite's generation). The journal and its points
 * file stay the canonical record that every reader understands (the store, the Python mirror,
 * mlruns export, push); the run's full chunks then take their points from the points file, and its
 * chunk file keeps only their block summaries, so the points are on disk once.
 * Only the store's writer compacts, and only a run that is sealed: ended, its process gone, its
 * journal fully read, no push under way, and every push state naming it has all of it (sealedRuns.ts).
 * Lines other writers append to the old file meanwhile reach the new one once (journalMove.ts).
 *
 * The rewrite replaces the file atomically (temporary file in `<store>/tmp/`, fsync, rename, fsync
 * of the run folder), and the database records the generation and the file's identity with its
 * offset, so a database that read the old file (an older snapshot, a reader window) notices the
 * new one and reads the run again from the start instead of reading the new file at the old
 * offsets (journalSync.ts).
 */
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import { ChunkFiles } from './chunkFiles';
import { parseEventLine } from './eventParse';
import { parseMetricBatch } from './metricBatchLine';
import { blocksSize } from './metrics';
import type { Db } from './sqlite';
import { newTempPathSync } from './storeTemp';
import { finishMove, fsyncFolder, holdJournal, readAt, releaseHold, writeAll } from './journalMove';
import type { PointsLinePlace } from './journalCompactor';
import { COMPACT_LINE_POINTS, JournalCompactor } from './journalCompactor';
import { fileIdOf, generationOf } from './journalRewrite';
import { inPointsFile, isPointsFile, pointsFileName, pointsPlace } from './pointsFile';
import { JOURNAL_FILE, RUNS_DIR } from './storeLocation';

const NEWLINE = 0x0a;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** The outcome's reason when a compacted run's chunks were pointed at its journal again (adoptCompacted). */
export const ADOPTED = 'chunks pointed at the compacted journal';

/** The outcome's reason when the rewrite would not shrink the journal enough (recorded in `compact_skip`). */
export const NOT_WORTH_IT = 'compaction would not save enough';

export type CompactOutcome =
  | {
      readonly compacted: true;
      readonly from: number;
      readonly to: number;
      readonly points: number;
      /** Bytes of lines another writer appended to the old file meanwhile, copied to the new one. */
      readonly carried: number;
    }
  | { readonly compacted: false; readonly reason: string };

/**
 * The steps of a compaction: the points file in place and the new journal written, each fsynced;
 * the journal renamed over the old one, folder fsynced; the old file's late lines carried over and its hold let go (journalMove.ts).
 */
export type CompactStep = 'written' | 'renamed' | 'moved';

export interface CompactOptions {
  readonly now?: number;
  readonly quietMs?: number;
  /** Compact only when the run's journal and chunk file shrink to at most this fraction (default 0.95). */
  readonly keepAtMost?: number;
  /** Compacted journals larger than this are not read whole to adopt their chunks (default 128 MB). */
  readonly maxBytes?: number;
  /** How much of the journal a step reads (whole lines; default 4 MB). */
  readonly pieceBytes?: number;
  /**
   * The push states that have all of the run's journal as it is (`pushedStates`): told the new
   * journal's size and generation once it is in place.
   */
  readonly pushedStates?: readonly string[];
  /** Called after each step: a test copies the store there (what a kill would leave) or pauses. */
  readonly after?: (step: CompactStep) => void;
}

/** How much of a journal a compaction reads at a time (whole lines: more when a line is longer). */
const PIECE_BYTES = 4 * 1024 * 1024;

/**
 * Compacts one run's journal (the caller is the writer and has checked the run is sealed and no
 * sync holds it), in steps: it yields after each piece of the journal it reads (twice:
 * JournalCompactor's two passes), so a caller can let other work run between pieces (the store
 * service answers queries and reads other journals meanwhile), and does the rest — the points file
 * and the new journal in place, the database told — in its last step, which nothing interleaves.
 * Memory stays bounded by a piece and ~190 bytes a chunk of points, whatever the journal's size.
 * The database must have read the whole journal, as it is on disk (its offset is the file's size,
 * its file identity the file's), and still has when the last step begins; else, or when the journal
 * grew meanwhile, nothing changes. Afterwards the database's `journals` row points at the new file
 * (offset, line, generation, identity) in one transaction; the rows of the run are what reading the
 * new file gives, so nothing is read again. Lines another writer appends to the old file while it
 * is being replaced are copied to the new one. Stopping the generator early (`return()`) removes
 * what it wrote.
 */
export function* compactSteps(
  db: Db,
  dir: string,
  runId: string,
  options: CompactOptions = {},
): Generator<undefined, CompactOutcome, undefined> {
  const folder = join(dir, RUNS_DIR, runId);
  const file = join(folder, JOURNAL_FILE);
  const readRow = (): { offset: number; file_id: string | null; generation: string } | undefined =>
    db.get<{ offset: number; file_id: string | null; generation: string }>(
      'SELECT offset, file_id, generation FROM journals WHERE run_id = ?',
      [runId],
    );
  const row = readRow();
  if (!row) return { compacted: false, reason: 'never read' };
  /** The journal's generation now: '' when it was never compacted. */
  const previous = row.generation;
  if (lstatSync(folder).isSymbolicLink()) return { compacted: false, reason: 'the run folder is a symbolic link' };
  const fd = openSync(file, constants.O_RDONLY | O_NOFOLLOW);
  /** Files this compaction made that are not in place yet (removed when it stops short). */
  let temp: string | undefined;
  let pointsTemp: string | undefined;
  let points: string | undefined;
  let out: number | undefined;
  try {
    const stats = fstatSync(fd, { bigint: true });
    const size = Number(stats.size);
    const fileId = fileIdOf(stats);
    if (size !== row.offset) return { compacted: false, reason: 'the journal is not fully read' };
    if (row.file_id !== null && row.file_id !== fileId) {
      return { compacted: false, reason: 'the journal is not the file the database read' };
    }
    const now = options.now ?? Date.now();
    if (now - Number(stats.mtimeMs) < (options.quietMs ?? 60_000)) {
      return { compacted: false, reason: 'the journal was written to recently' };
    }
    if (size === 0 || readAt(fd, size - 1, size)[0] !== NEWLINE) {
      return { compacted: false, reason: 'the journal ends mid-line' };
    }
    const generation = randomBytes(8).toString('hex');
    // A journal compacted before: the points of its own points file are read (and checked) into the new one.
    const compactor = new JournalCompactor(generation, now, previous === '' ? undefined : folder, previous);
    // The first pass: the points file, written as its chunks fill, in the store's tmp/.
    pointsTemp = newTempPathSync(dir, 'points');
    out = openSync(pointsTemp, 'wx', 0o666);
    const toPoints = (bytes: Uint8Array): void => writeAll(out as number, bytes);
    const pieceBytes = options.pieceBytes ?? PIECE_BYTES;
    const scanProblem = yield* eachPiece(fd, size, pieceBytes, (piece) => compactor.scan(piece, toPoints));
    if (scanProblem) return { compacted: false, reason: scanProblem };
    const planned = compactor.endScan(toPoints);
    fsyncSync(out);
    closeSync(out);
    out = undefined;
    // Points files a killed compaction left (the journal's own stays until the new journal replaces it).
    removeStrayPointsFiles(folder, new Set([...compactor.keptFiles, pointsFileName(previous)]));
    // What the run takes on disk, journal, points file and chunk file, before and after: the chunk
    // file keeps only the block summaries (~15% of it) of the chunks whose points the new journal names.
    const chunkFile = db.get<{ size: number }>('SELECT size FROM chunk_files WHERE run_id = ?', [runId])?.size ?? 0;
    const after = planned.journalBytes + planned.pointsBytes + chunkFile * 0.15;
    if (planned.points === 0 || after > (size + chunkFile) * (options.keepAtMost ?? 0.95)) {
      // Not read for this again until the journal grows (when the database still has read it all).
      if (sameRead(readRow(), size, fileId, previous)) {
        db.run('UPDATE journals SET compact_skip = ? WHERE run_id = ?', [size, runId]);
      }
      return { compacted: false, reason: NOT_WORTH_IT };
    }
    // The second pass: the new journal, in the store's tmp/.
    temp = newTempPathSync(dir, 'compact');
    out = openSync(temp, 'wx', 0o666);
    const toJournal = (bytes: Uint8Array): void => writeAll(out as number, bytes);
    const rewriteProblem = yield* eachPiece(fd, size, pieceBytes, (piece) => compactor.rewrite(piece, toJournal));
    if (rewriteProblem) return { compacted: false, reason: rewriteProblem };
    const compacted = compactor.finish(toJournal);
    fsyncSync(out);
    const newId = fileIdOf(fstatSync(out, { bigint: true }));
    closeSync(out);
    out = undefined;
    // The last step, which nothing interleaves: the database must still have read this file whole.
    if (!sameRead(readRow(), size, fileId, previous)) {
      return { compacted: false, reason: 'the run was read again while it was compacted' };
    }
    if (Number(fstatSync(fd, { bigint: true }).size) !== size) {
      return { compacted: false, reason: 'the journal grew while it was compacted' };
    }
    // The points file first, in place and its folder fsynced before the journal that names it is.
    points = join(folder, compactor.pointsFile);
    renameSync(pointsTemp, points);
    pointsTemp = undefined;
    fsyncFolder(folder);
    options.after?.('written');
    // The old file stays findable until what writers still append to it is carried over (journalMove.ts).
    const hold = holdJournal(dir, runId, size);
    // An append since the read: the run is not sealed after all (or an edit); leave it for later.
    if (Number(fstatSync(fd, { bigint: true }).size) !== size) {
      releaseHold(hold);
      return { compacted: false, reason: 'the journal grew while it was compacted' };
    }
    try {
      renameSync(temp, file);
    } catch (error) {
      releaseHold(hold);
      throw error;
    }
    temp = undefined;
    points = undefined;
    fsyncFolder(folder);
    options.after?.('renamed');
    // A writer that opened the old file before the rename may have appended to it since: up to the
    // `moved` line this writes, its lines are copied to the new journal; after it, the writer does.
    const carried = finishMove(hold, file, size);
    options.after?.('moved');
    // The points file of the journal this one replaced (a run compacted again): no line names it now.
    removeStrayPointsFiles(folder, new Set([...compactor.keptFiles, compactor.pointsFile]));
    db.transaction(() => {
      db.run(
        'UPDATE journals SET offset = ?, line = ?, generation = ?, file_id = ?, compact_skip = ? WHERE run_id = ?',
        [compacted.bytes, compacted.lines + 1, generation, newId, compacted.bytes, runId],
      );
      pointChunksAtJournal(db, runId, compacted.batched);
    });
    // Pushed runs: the server has every line of the new journal's first bytes too. A kill before
    // this leaves states of the old generation, which the next push reads as "send again, leaving
    // out what the server has".
    const told = `${JSON.stringify({ run: runId, offset: compacted.bytes, done: true, generation })}\n`;
    for (const state of options.pushedStates ?? []) appendFileSync(state, told);
    return { compacted: true, from: size, to: compacted.bytes, points: compacted.points, carried };
  } finally {
    if (out !== undefined) closeSync(out);
    closeSync(fd);
    for (const path of [temp, pointsTemp, points]) if (path !== undefined) rmSync(path, { force: true });
  }
}

/** Whether the database's row says it has read the journal whole, as the file `fileId` of `size` bytes and `generation`. */
function sameRead(
  row: { offset: number; file_id: string | null; generation: string } | undefined,
  size: number,
  fileId: string,
  generation: string,
): boolean {
  return (
    row !== undefined && row.generation === generation && row.offset === size && (row.file_id ?? fileId) === fileId
  );
}

/** One pass over the journal: `each` piece, a step each; the reason when the file changed under it. */
function* eachPiece(
  fd: number,
  size: number,
  pieceBytes: number,
  each: (piece: Buffer) => void,
): Generator<undefined, string | undefined> {
  for (const piece of pieces(fd, size, pieceBytes)) {
    if (typeof piece === 'string') return piece;
    each(piece);
    yield;
  }
  return undefined;
}

/**
 * The journal's bytes [0, size) in pieces of whole lines, `pieceBytes` or so each (a longer line is
 * one piece); a reason instead when the file got shorter.
 */
function* pieces(fd: number, size: number, pieceBytes: number): Generator<Buffer | string> {
  // One buffer for every piece (the compactor keeps no view of a piece): new ones would be ~40
  // pieces of garbage per 157 MB pass for the collector.
  let buffer = Buffer.alloc(Math.min(pieceBytes, size));
  for (let at = 0; at < size;) {
    let length = Math.min(pieceBytes, size - at);
    for (;;) {
      if (buffer.length < length) buffer = Buffer.alloc(length);
      const piece = readAt(fd, at, at + length, buffer);
      if (piece.length < length) {
        yield 'the journal got shorter while it was read';
        return;
      }
      const last = piece.lastIndexOf(NEWLINE);
      // The journal ended with a line end, so a piece without one is a longer line: read more.
      if (last === -1) {
        if (length === size - at) {
          yield 'the journal was rewritten while it was read';
          return;
        }
        length = Math.min(length * 2, size - at);
        continue;
      }
      yield piece.subarray(0, last + 1);
      at += last + 1;
      break;
    }
  }
}

/**
 * Removes the points files of the run folder that its journal does not name: a compaction killed
 * after it put its points file in place and before the journal naming it replaced the old one left
 * it (only the writer compacts, and it calls this before its own). `named` are the files the
 * journal's lines name.
 */
function removeStrayPointsFiles(folder: string, named: ReadonlySet<string>): void {
  for (const name of readdirSync(folder)) {
    if (isPointsFile(name) && !named.has(name)) rmSync(join(folder, name), { force: true });
  }
}

/**
 * The points once on disk: each full chunk of a rewritten key takes its points from its line
 * in the new journal (the k-th line holds the k-th chunk's points), and the run's chunk file is
 * written again with only those chunks' block summaries (what a chart reads without the points); a
 * chunk of a key kept as it was keeps its data too. A key whose rows do not line up with its lines
 * (never, unless the rows are not this journal's) keeps its chunks as they are. Inside the
 * transaction that records the new journal.
 */
function pointChunksAtJournal(db: Db, runId: string, batched: ReadonlyMap<string, readonly PointsLinePlace[]>): void {
  const files = ChunkFiles.of(db);
  if (!files?.writable) return;
  const lineOf = new Map<string, { offset: number; length: number }>();
  for (const [key, lines] of batched) {
    const series = db.get<{ id: number }>('SELECT id FROM metric_series WHERE run_id = ? AND key = ?', [runId, key]);
    if (!series) continue;
    const rows = db.all<{ seq: number; count: number }>(
      'SELECT seq, count FROM metric_chunks WHERE series_id = ? ORDER BY seq',
      [series.id],
    );
    if (rows.length !== lines.length || rows.some((row, i) => row.count !== lines[i]?.count)) continue;
    rows.forEach((row, i) => {
      const line = lines[i];
      if (line) lineOf.set(`${series.id}/${row.seq}`, line);
    });
  }
  const rows = db.all<{ series_id: number; seq: number; count: number; file_offset: number; data_size: number }>(
    `SELECT c.series_id AS series_id, c.seq AS seq, c.count AS count, c.file_offset AS file_offset,
       c.data_size AS data_size
     FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id
     WHERE s.run_id = ? AND c.file_offset IS NOT NULL ORDER BY c.file_offset`,
    [runId],
  );
  if (!rows.some((row) => lineOf.has(`${row.series_id}/${row.seq}`))) return;
  const pieces = rows.map((row) => {
    const keepData = !lineOf.has(`${row.series_id}/${row.seq}`);
    return files.read(runId, row.file_offset, blocksSize(row.count) + (keepData ? (row.data_size ?? 0) : 0));
  });
  const offsets = files.replace(runId, pieces);
  rows.forEach((row, i) => {
    const line = lineOf.get(`${row.series_id}/${row.seq}`);
    db.run(
      `UPDATE metric_chunks SET file_offset = ?, data_size = ?, journal_offset = ?, journal_length = ?
       WHERE series_id = ? AND seq = ?`,
      [offsets[i], line ? 0 : row.data_size, line?.offset ?? null, line?.length ?? null, row.series_id, row.seq],
    );
  });
}

/**
 * Runs whose journal is compacted but whose full chunks are in their chunk file with their points
 * (the database was rebuilt from the journals, or a compaction left a key as it was): looked at once
 * per journal size (`compact_skip`).
 */
export function unadoptedRuns(db: Db): string[] {
  return db
    .all<{ run_id: string }>(
      // Ended runs only: a compacted run resumed is looked at again once it ends (sealedRuns).
      `SELECT j.run_id AS run_id FROM journals j JOIN runs r ON r.id = j.run_id
       WHERE j.generation <> '' AND (j.compact_skip IS NULL OR j.compact_skip <> j.offset)
         AND r.status IN ('FINISHED', 'FAILED', 'KILLED') AND r.end_time IS NOT NULL
         AND EXISTS (SELECT 1 FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id
                     WHERE s.run_id = j.run_id AND c.file_offset IS NOT NULL AND c.journal_offset IS NULL
                       AND c.count = ${COMPACT_LINE_POINTS})`,
    )
    .map((row) => row.run_id);
}

/**
 * Points the full chunks of a compacted journal's run at the journal's batched lines (their points
 * in the line, or in its points file), as its
 * compaction did (a database rebuilt from the journals put them in the chunk file again). Reads the
 * journal the database read (its size, identity and generation); writer only, synchronous.
 */
export function adoptCompacted(db: Db, dir: string, runId: string, maxBytes = 128 * 1024 * 1024): boolean {
  const row = db.get<{ offset: number; file_id: string | null; generation: string }>(
    'SELECT offset, file_id, generation FROM journals WHERE run_id = ?',
    [runId],
  );
  if (!row || row.generation === '') return false;
  const file = join(dir, RUNS_DIR, runId, JOURNAL_FILE);
  const fd = openSync(file, constants.O_RDONLY | O_NOFOLLOW);
  try {
    const stats = fstatSync(fd, { bigint: true });
    const size = Number(stats.size);
    const same = size === row.offset && (row.file_id === null || row.file_id === fileIdOf(stats));
    if (!same || size > maxBytes) return false;
    const bytes = readAt(fd, 0, size);
    if (bytes.length < size) return false;
    if (generationOf(bytes.subarray(0, 512)) !== row.generation) return false;
    const decoder = new TextDecoder('utf-8');
    const batched = new Map<string, { offset: number; length: number; count: number }[]>();
    for (let pos = 0; pos < size;) {
      let newline = bytes.indexOf(NEWLINE, pos);
      if (newline === -1) newline = size;
      const start = pos;
      pos = newline + 1;
      // Only batched lines: `{"t":"metrics",` first, as compaction writes them.
      if (bytes[start + 6] !== 0x6d || bytes[start + 12] !== 0x73 || bytes[start + 13] !== 0x22) continue;
      const parsed = parseEventLine(decoder.decode(bytes.subarray(start, newline)));
      if (parsed.ok || !parsed.batched) continue;
      let key: string;
      let count: number;
      if (inPointsFile(parsed.batched)) {
        // Counted from the line: its points are read (and checked) when a chart asks for them.
        const place = pointsPlace(parsed.batched);
        if (typeof place === 'string') continue;
        ({ key, count } = place);
      } else {
        const batch = parseMetricBatch(parsed.batched);
        if (!batch.ok) continue;
        key = batch.points.key;
        count = batch.points.values.length;
      }
      const lines = batched.get(key) ?? [];
      batched.set(key, lines);
      lines.push({ offset: start, length: pos - start, count });
    }
    db.transaction(() => {
      pointChunksAtJournal(db, runId, batched);
      db.run('UPDATE journals SET compact_skip = ? WHERE run_id = ?', [size, runId]);
    });
    return true;
  } finally {
    closeSync(fd);
  }
}
