/**
 * Compaction of sealed runs' journals (docs/JOURNAL.md, "Compacted journals"): a finished run's
 * metric points are rewritten into batched lines of a chunk's 2048 points (journal format 4), every
 * other line kept byte for byte, behind a first line `{"t":"compacted",…}` that names the rewrite's
 * generation. The journal stays the canonical record that every reader already understands (the
 * store, the Python mirror, mlruns export, push); the run's full chunks then take their points from
 * those lines, and its chunk file keeps only their block summaries, so the points are on disk once.
 * Only the store's writer compacts, and only a run that is sealed: ended, its process gone, its
 * journal fully read, nothing of it pushed or being pushed.
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
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ChunkFiles } from './chunkFiles';
import { parseEventLine } from './eventParse';
import { parseState } from '../sync/syncState';
import { StoreLock } from './lock';
import { batchable, parseMetricBatch } from './metricBatchLine';
import { MetricBatch, scanMetricLine } from './metricScan';
import { blocksSize } from './metrics';
import type { Db } from './sqlite';
import { TEMP_DIR } from './storeTemp';
import { finishMove, holdJournal, releaseHold } from './journalMove';
import { JOURNAL_FILE, RUNS_DIR } from './storeLocation';

/** The type of a compacted journal's first line. */
export const COMPACTED = 'compacted';
/** What a compacted journal starts with, byte for byte (the writer puts `t` first). */
const MARKER_PREFIX = `{"t":"${COMPACTED}",`;
/**
 * Points a batched line of a compacted journal holds at most: a chunk's (CHUNK_POINTS), so that a
 * series' k-th line holds exactly its k-th chunk's points and the chunk's row can point at the line
 * instead of a chunk file (~32 KB a line).
 */
export const COMPACT_LINE_POINTS = 2048;
/** The sync folder's name and its push states (src/sync/syncState.ts). */
const SYNC_DIR = 'sync';
const PUSHED_FILE = 'pushed.jsonl';
const NEWLINE = 0x0a;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

export interface CompactedJournal {
  /** The new journal, every line ended by `\n`. */
  readonly bytes: Buffer;
  /** How many lines it has. */
  readonly lines: number;
  /** Metric points moved into batched lines. */
  readonly points: number;
  /** Each rewritten key's batched lines, in order: where each is in `bytes` (with its `\n`) and its points. */
  readonly batched: ReadonlyMap<string, readonly { offset: number; length: number; count: number }[]>;
}

/** One key's points gathered from its lines, their values as the raw doubles' bytes. */
interface Series {
  /** Its index in the key list, which lines refer to. */
  readonly index: number;
  steps: Float64Array;
  times: Float64Array;
  values: Buffer;
  count: number;
  /** A point that a batched line could not hold exactly (an int64 step, extra fields): its lines stay. */
  verbatim: boolean;
}

function grow(column: Float64Array, count: number): Float64Array {
  const bigger = new Float64Array(Math.max(1024, column.length * 2));
  bigger.set(column.subarray(0, count));
  return bigger;
}

function pushPoint(series: Series, step: number, time: number): void {
  if (series.count === series.steps.length) {
    series.steps = grow(series.steps, series.count);
    series.times = grow(series.times, series.count);
    const values = Buffer.alloc(series.steps.length * 8);
    series.values.copy(values, 0, 0, series.count * 8);
    series.values = values;
  }
  series.steps[series.count] = step;
  series.times[series.count] = time;
  series.count++;
}

const METRIC_FIELDS = new Set(['t', 'ts', 'key', 'value', 'step']);

/** A `metric` line a batched line holds exactly: only its five fields, integer step and time a double keeps. */
function exactMetric(text: string): { key: string; step: number; ts: number } | undefined {
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const names = Object.keys(fields);
  if (names.length !== METRIC_FIELDS.size || !names.every((name) => METRIC_FIELDS.has(name))) return undefined;
  const { step, ts, key } = fields as { step: unknown; ts: unknown; key: unknown };
  if (!Number.isSafeInteger(step) || !Number.isSafeInteger(ts) || typeof key !== 'string') return undefined;
  return { key, step: step as number, ts: ts as number };
}

function deltas(list: Float64Array, from: number, to: number): string {
  const parts = new Array<number>(to - from);
  parts[0] = list[from];
  for (let i = from + 1; i < to; i++) parts[i - from] = list[i] - list[i - 1];
  return parts.join(',');
}

/** The series' batched lines, COMPACT_LINE_POINTS points each at most; undefined when one could not be exact. */
function batchedLines(key: string, series: Series): string[] | undefined {
  const lines: string[] = [];
  const keyJson = JSON.stringify(key);
  for (let from = 0; from < series.count; from += COMPACT_LINE_POINTS) {
    const to = Math.min(series.count, from + COMPACT_LINE_POINTS);
    if (!batchable(series.steps.subarray(from, to), series.times.subarray(from, to))) return undefined;
    const values = series.values.subarray(from * 8, to * 8).toString('base64');
    lines.push(
      `{"t":"metrics","key":${keyJson},"ts":[${deltas(series.times, from, to)}],"step":[${deltas(series.steps, from, to)}],"value":"${values}"}\n`,
    );
  }
  return lines;
}

/** A compacted journal's first line. */
export function markerLine(
  generation: string,
  ts: number,
  from: { bytes: number; lines: number },
  points: number,
): string {
  return `${MARKER_PREFIX}"ts":${ts},"generation":"${generation}","from_bytes":${from.bytes},"from_lines":${from.lines},"points":${points}}\n`;
}

/**
 * Rewrites a journal's complete lines (`input` ends with `\n`): each key's metric points, from
 * `metric` and `metrics` lines alike, go into batched lines of at most COMPACT_LINE_POINTS points,
 * in their journal order, where the key's first point was; every other line stays as it was, in
 * its order (a blank line and an earlier compaction's first line go). A key whose points a batched
 * line cannot hold exactly (a step or time beyond 2^53, a `metric` line with more fields than its
 * five) keeps all its lines as they were, so its points keep their order. Values keep their bits.
 */
export function compactJournal(input: Uint8Array, generation: string, ts: number): CompactedJournal {
  const buffer = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const decoder = new TextDecoder('utf-8');
  /** Each line kept or replaced: its bytes' start and end (with its `\n`), and its key's index or -1. */
  let lines: Float64Array = new Float64Array(3 * 1024);
  let lineCount = 0;
  const addLine = (start: number, end: number, key: number): void => {
    if (3 * lineCount === lines.length) lines = grow(lines, 3 * lineCount);
    lines[3 * lineCount] = start;
    lines[3 * lineCount + 1] = end;
    lines[3 * lineCount + 2] = key;
    lineCount++;
  };
  const series = new Map<string, Series>();
  const keys: string[] = [];
  const seriesOf = (key: string): Series => {
    let s = series.get(key);
    if (!s) {
      s = {
        index: keys.length,
        steps: new Float64Array(0),
        times: new Float64Array(0),
        values: Buffer.alloc(0),
        count: 0,
        verbatim: false,
      };
      series.set(key, s);
      keys.push(key);
    }
    return s;
  };
  const fast = new LastPoint();
  let originalLines = 0;
  for (let pos = 0; pos < buffer.length;) {
    let newline = buffer.indexOf(NEWLINE, pos);
    if (newline === -1) newline = buffer.length;
    const start = pos;
    pos = newline + 1;
    originalLines++;
    // The producers' exact shape, read from the bytes as the store's ingest reads it.
    if (scanMetricLine(buffer, start, buffer.length, fast) !== -1) {
      const s = seriesOf(fast.key);
      pushPoint(s, fast.step, fast.time);
      s.values.writeDoubleLE(fast.value, (s.count - 1) * 8);
      addLine(start, pos, s.index);
      continue;
    }
    const text = decoder.decode(buffer.subarray(start, newline));
    if (text.trim() === '' || text.startsWith(MARKER_PREFIX)) continue;
    const parsed = parseEventLine(text);
    if (parsed.ok && parsed.event.t === 'metric') {
      const s = seriesOf(parsed.event.key);
      const exact = exactMetric(text);
      if (!exact) s.verbatim = true;
      else {
        pushPoint(s, exact.step, exact.ts);
        s.values.writeDoubleLE(parsed.event.value, (s.count - 1) * 8);
      }
      addLine(start, pos, s.index);
    } else if (!parsed.ok && parsed.batched) {
      const batch = parseMetricBatch(parsed.batched);
      if (!batch.ok) {
        // Refused by every reader: kept as it is, so the journal still says what was written.
        addLine(start, pos, -1);
        continue;
      }
      const s = seriesOf(batch.points.key);
      // The doubles' own bytes, not numbers read back: every bit of every value stays (NaN payloads too).
      const bytes = Buffer.from(parsed.batched['value'] as string, 'base64');
      for (let i = 0; i < batch.points.steps.length; i++) {
        pushPoint(s, batch.points.steps[i], batch.points.times[i]);
        bytes.copy(s.values, (s.count - 1) * 8, i * 8, i * 8 + 8);
      }
      addLine(start, pos, s.index);
    } else {
      addLine(start, pos, -1);
    }
  }
  const batched: (string[] | undefined)[] = [];
  let points = 0;
  for (const [key, s] of series) {
    if (s.verbatim || s.count === 0) continue;
    const out = batchedLines(key, s);
    if (out === undefined) continue;
    batched[s.index] = out;
    points += s.count;
  }
  const parts: Buffer[] = [
    Buffer.from(markerLine(generation, ts, { bytes: buffer.length, lines: originalLines }, points)),
  ];
  let count = 1;
  let at = parts[0].length;
  const emitted = new Set<number>();
  const places = new Map<string, { offset: number; length: number; count: number }[]>();
  for (let i = 0; i < lineCount; i++) {
    const start = lines[3 * i];
    const end = lines[3 * i + 1];
    const key = lines[3 * i + 2];
    const out = key === -1 ? undefined : batched[key];
    if (!out) {
      const kept = buffer.subarray(start, end);
      parts.push(kept);
      at += kept.length;
      // The last line may lack its `\n` when the caller passed one without it: every line ends.
      if (end > buffer.length) {
        parts.push(Buffer.from('\n'));
        at++;
      }
      count++;
      continue;
    }
    if (emitted.has(key)) continue;
    emitted.add(key);
    const place: { offset: number; length: number; count: number }[] = [];
    const total = (series.get(keys[key]) as Series).count;
    for (const [n, text] of out.entries()) {
      const bytes = Buffer.from(text, 'utf8');
      parts.push(bytes);
      place.push({
        offset: at,
        length: bytes.length,
        count: Math.min(COMPACT_LINE_POINTS, total - n * COMPACT_LINE_POINTS),
      });
      at += bytes.length;
    }
    places.set(keys[key], place);
    count += out.length;
  }
  return { bytes: Buffer.concat(parts), lines: count, points, batched: places };
}

/** Takes the point scanMetricLine reads instead of keeping it. */
class LastPoint extends MetricBatch {
  key = '';
  step = 0;
  time = 0;
  value = 0;

  override add(key: string, step: number, time: number, value: number): void {
    this.key = key;
    this.step = step;
    this.time = time;
    this.value = value;
  }
}

/**
 * The generation named by a journal's first line, when it is a compacted journal's; '' for any
 * other journal (or none). Undefined when the file there is not `expectFile` (replaced since the
 * caller looked).
 */
export function readGenerationSync(file: string, expectFile?: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | O_NOFOLLOW);
  } catch {
    return expectFile === undefined ? '' : undefined;
  }
  try {
    if (expectFile !== undefined && fileIdOf(fstatSync(fd, { bigint: true })) !== expectFile) return undefined;
    return generationOf(readHead(fd));
  } finally {
    closeSync(fd);
  }
}

function readHead(fd: number): Buffer {
  const head = Buffer.alloc(512);
  const n = readSync(fd, head, 0, head.length, 0);
  return head.subarray(0, n);
}

/** The generation in a journal's first bytes ('' unless they start a compacted journal's first line). */
export function generationOf(head: Uint8Array): string {
  const buffer = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (!buffer.subarray(0, MARKER_PREFIX.length).equals(Buffer.from(MARKER_PREFIX))) return '';
  const end = buffer.indexOf(NEWLINE);
  if (end === -1) return '';
  try {
    const generation = (JSON.parse(buffer.subarray(0, end).toString('utf8')) as { generation?: unknown }).generation;
    return typeof generation === 'string' ? generation : '';
  } catch {
    return '';
  }
}

/** A file's identity: device and inode, which a rename over it changes. */
export function fileIdOf(stats: { dev: bigint | number; ino: bigint | number }): string {
  return `${stats.dev}:${stats.ino}`;
}

export interface SealedOptions {
  /** This machine's name: a run of another host cannot be checked for a live process. */
  readonly host?: string;
  readonly isAlive: (pid: number) => boolean;
}

/**
 * Runs whose journals may be compacted, oldest end first: ended (a `run_end` read: FINISHED, FAILED
 * or KILLED with an end time), their process gone (a run of another host is left alone), read to
 * the end of their journal by this database, never compacted, with no refused line.
 */
export function sealedRuns(db: Db, options: SealedOptions): string[] {
  const host = options.host ?? hostname();
  const rows = db.all<{ id: string; pid: number | null; host: string | null }>(
    `SELECT r.id AS id, r.pid AS pid, r.host AS host FROM runs r JOIN journals j ON j.run_id = r.id
     WHERE r.status IN ('FINISHED', 'FAILED', 'KILLED') AND r.end_time IS NOT NULL AND j.generation = ''
       AND (j.compact_skip IS NULL OR j.compact_skip <> j.offset)
       AND NOT EXISTS (SELECT 1 FROM rejected_events e WHERE e.run_id = r.id)
     ORDER BY r.end_time`,
  );
  return rows
    .filter((row) => row.pid === null || (row.host === host && !options.isAlive(row.pid)))
    .map((row) => row.id);
}

/** Whether a push or pull is under way with any server (a live `<store>/sync/<key>/lock`). */
export function syncUnderWay(dir: string, isAlive: (pid: number) => boolean): boolean {
  for (const key of syncFolders(dir)) {
    try {
      const lock = JSON.parse(readFileSync(join(dir, SYNC_DIR, key, 'lock'), 'utf8')) as {
        pid: number;
        host: string;
        heartbeat: number;
        token: string;
      };
      if (!StoreLock.isStale(lock, { isAlive })) return true;
    } catch {
      // No lock (or one being replaced: read as free; a push that starts now finds the journal's
      // generation changed under it and stops, pushRun.ts).
    }
  }
  return false;
}

function syncFolders(dir: string): string[] {
  try {
    return readdirSync(join(dir, SYNC_DIR));
  } catch {
    return [];
  }
}

/**
 * The push states (`<store>/sync/<key>/pushed.jsonl`) that name this run, when each says the server
 * has all of its journal of `size` bytes as it is (done, confirmed to the end, nothing on its way,
 * never compacted): compaction then tells each the new journal's size and generation. Undefined
 * when one does not: a push still has offsets of this file to resume from, so the run waits.
 */
export function pushedStates(dir: string, runId: string, size: number): string[] | undefined {
  const needle = `"run":${JSON.stringify(runId)}`;
  const folders: string[] = [];
  for (const key of syncFolders(dir)) {
    const file = join(dir, SYNC_DIR, key, PUSHED_FILE);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (!text.includes(needle)) continue;
    const state = parseState(text).get(runId);
    if (!state) continue;
    if (!state.done || state.offset !== size || state.unconfirmed || state.generation !== '') return undefined;
    folders.push(file);
  }
  return folders;
}

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
 * The steps of a compaction: the new file written and fsynced; renamed over the journal, folder
 * fsynced; the old file's late lines carried over and its hold let go (journalMove.ts).
 */
export type CompactStep = 'written' | 'renamed' | 'moved';

export interface CompactOptions {
  readonly now?: number;
  readonly quietMs?: number;
  /** Compact only when the run's journal and chunk file shrink to at most this fraction (default 0.95). */
  readonly keepAtMost?: number;
  /**
   * Journals larger than this are left alone (default 128 MB): a compaction holds the store's thread
   * for ~0.5 s per 50 MB of a line per point.
   */
  readonly maxBytes?: number;
  /**
   * The push states that have all of the run's journal as it is (`pushedStates`): told the new
   * journal's size and generation once it is in place.
   */
  readonly pushedStates?: readonly string[];
  /** Called after each step: a test copies the store there (what a kill would leave) or pauses. */
  readonly after?: (step: CompactStep) => void;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

function fsyncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot fsync a folder: the rename is as durable as it allows.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Compacts one run's journal, synchronously (nothing else of the store runs meanwhile): the caller
 * is the writer and has checked the run is sealed and no sync holds it. The database must have read
 * the whole journal, as it is on disk (its offset is the file's size, its file identity the
 * file's). Afterwards the database's `journals` row points at the new file (offset, line, generation,
 * identity) in one transaction; the rows of the run are what reading the new file gives, so nothing
 * is read again. Lines another writer appends to the old file while it is being replaced are copied
 * to the new one.
 */
export function compactRun(db: Db, dir: string, runId: string, options: CompactOptions = {}): CompactOutcome {
  const folder = join(dir, RUNS_DIR, runId);
  const file = join(folder, JOURNAL_FILE);
  const row = db.get<{ offset: number; file_id: string | null; generation: string }>(
    'SELECT offset, file_id, generation FROM journals WHERE run_id = ?',
    [runId],
  );
  if (!row || row.generation !== '') return { compacted: false, reason: 'already compacted or never read' };
  if (lstatSync(folder).isSymbolicLink()) return { compacted: false, reason: 'the run folder is a symbolic link' };
  const fd = openSync(file, constants.O_RDONLY | O_NOFOLLOW);
  let temp: string | undefined;
  try {
    const stats = fstatSync(fd, { bigint: true });
    const size = Number(stats.size);
    if (size !== row.offset) return { compacted: false, reason: 'the journal is not fully read' };
    if (size > (options.maxBytes ?? 128 * 1024 * 1024)) {
      return { compacted: false, reason: 'the journal is too large to compact in one turn' };
    }
    if (row.file_id !== null && row.file_id !== fileIdOf(stats)) {
      return { compacted: false, reason: 'the journal is not the file the database read' };
    }
    const now = options.now ?? Date.now();
    if (now - Number(stats.mtimeMs) < (options.quietMs ?? 60_000)) {
      return { compacted: false, reason: 'the journal was written to recently' };
    }
    const bytes = Buffer.alloc(size);
    for (let done = 0; done < size;) {
      const n = readSync(fd, bytes, done, size - done, done);
      if (n === 0) return { compacted: false, reason: 'the journal got shorter while it was read' };
      done += n;
    }
    if (size === 0 || bytes[size - 1] !== NEWLINE) return { compacted: false, reason: 'the journal ends mid-line' };
    const generation = randomBytes(8).toString('hex');
    const compacted = compactJournal(bytes, generation, now);
    // What the run takes on disk, journal and chunk file, before and after: the chunk file keeps
    // only the block summaries (~15% of it) of the chunks whose points the new journal holds.
    const chunkFile = db.get<{ size: number }>('SELECT size FROM chunk_files WHERE run_id = ?', [runId])?.size ?? 0;
    const after = compacted.bytes.length + chunkFile * 0.15;
    if (compacted.points === 0 || after > (size + chunkFile) * (options.keepAtMost ?? 0.95)) {
      // Not read for this again until the journal grows.
      db.run('UPDATE journals SET compact_skip = ? WHERE run_id = ?', [size, runId]);
      return { compacted: false, reason: NOT_WORTH_IT };
    }
    mkdirSync(join(dir, TEMP_DIR), { recursive: true });
    temp = join(
      dir,
      TEMP_DIR,
      `compact.${hostname().replace(/[^A-Za-z0-9-]/g, '-') || 'host'}.${process.pid}.${randomBytes(6).toString('hex')}`,
    );
    const out = openSync(temp, 'wx', 0o666);
    let newId: string;
    try {
      writeAll(out, compacted.bytes);
      fsyncSync(out);
      newId = fileIdOf(fstatSync(out, { bigint: true }));
    } finally {
      closeSync(out);
    }
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
    fsyncFolder(folder);
    options.after?.('renamed');
    // A writer that opened the old file before the rename may have appended to it since: up to the
    // `moved` line this writes, its lines are copied to the new journal; after it, the writer does.
    const carried = finishMove(hold, file, size);
    options.after?.('moved');
    db.transaction(() => {
      db.run('UPDATE journals SET offset = ?, line = ?, generation = ?, file_id = ? WHERE run_id = ?', [
        compacted.bytes.length,
        compacted.lines + 1,
        generation,
        newId,
        runId,
      ]);
      pointChunksAtJournal(db, runId, compacted.batched);
    });
    // Pushed runs: the server has every line of the new journal's first bytes too. A kill before
    // this leaves states of the old generation, which the next push reads as "send again, leaving
    // out what the server has".
    const told = `${JSON.stringify({ run: runId, offset: compacted.bytes.length, done: true, generation })}\n`;
    for (const state of options.pushedStates ?? []) appendFileSync(state, told);
    return { compacted: true, from: size, to: compacted.bytes.length, points: compacted.points, carried };
  } finally {
    closeSync(fd);
    if (temp !== undefined) rmSync(temp, { force: true });
  }
}

/**
 * The points once on disk: each full chunk of a rewritten key takes its points from its batched line
 * in the new journal (the k-th line holds the k-th chunk's points), and the run's chunk file is
 * written again with only those chunks' block summaries (what a chart reads without the points); a
 * chunk of a key kept as it was keeps its data too. A key whose rows do not line up with its lines
 * (never, unless the rows are not this journal's) keeps its chunks as they are. Inside the
 * transaction that records the new journal.
 */
function pointChunksAtJournal(db: Db, runId: string, batched: CompactedJournal['batched']): void {
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
      `SELECT j.run_id AS run_id FROM journals j
       WHERE j.generation <> '' AND (j.compact_skip IS NULL OR j.compact_skip <> j.offset)
         AND EXISTS (SELECT 1 FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id
                     WHERE s.run_id = j.run_id AND c.file_offset IS NOT NULL AND c.journal_offset IS NULL
                       AND c.count = ${COMPACT_LINE_POINTS})`,
    )
    .map((row) => row.run_id);
}

/**
 * Points the full chunks of a compacted journal's run at the journal's batched lines, as its
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
    const bytes = Buffer.alloc(size);
    for (let done = 0; done < size;) {
      const n = readSync(fd, bytes, done, size - done, done);
      if (n === 0) return false;
      done += n;
    }
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
      const batch = parseMetricBatch(parsed.batched);
      if (!batch.ok) continue;
      const lines = batched.get(batch.points.key) ?? [];
      batched.set(batch.points.key, lines);
      lines.push({ offset: start, length: pos - start, count: batch.points.values.length });
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
