/**
 * The rewrite of a sealed run's journal (docs/JOURNAL.md, "Compacted journals"), pure: its metric
 * points into a points file of chunks of 2048 points (journal format 5, pointsFile.ts), each named
 * by a `metrics` line, every other line byte for byte, behind a first line `{"t":"compacted",…}`
 * naming the rewrite's generation; and how a reader tells which generation of a journal it has.
 * compaction.ts does the rewrite in the store.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { encodeChunk } from './chunkCodec';
import { parseEventLine } from './eventParse';
import { batchable, parseMetricBatch } from './metricBatchLine';
import { MetricBatch, scanMetricLine } from './metricScan';
import { inPointsFile, pointsFileName, pointsLine } from './pointsFile';

/** The type of a compacted journal's first line. */
export const COMPACTED = 'compacted';
/** What a compacted journal starts with, byte for byte (the writer puts `t` first). */
const MARKER_PREFIX = `{"t":"${COMPACTED}",`;
/**
 * Points a line of a compacted journal names at most: a chunk's (CHUNK_POINTS), so that a series'
 * k-th line names exactly its k-th chunk's points and the chunk's row can point at the line instead
 * of keeping them in a chunk file.
 */
export const COMPACT_LINE_POINTS = 2048;
const NEWLINE = 0x0a;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

export interface CompactedJournal {
  /** The new journal, every line ended by `\n`. */
  readonly bytes: Buffer;
  /** How many lines it has. */
  readonly lines: number;
  /** Metric points moved into the points file. */
  readonly points: number;
  /** The points file the new lines name (`pointsFileName(generation)`): empty when no key moved. */
  readonly pointsFile: Buffer;
  /** Each rewritten key's lines, in order: where each is in `bytes` (with its `\n`) and its points. */
  readonly batched: ReadonlyMap<string, readonly { offset: number; length: number; count: number }[]>;
  /** Points files that lines kept as they were name (a journal compacted before and copied here). */
  readonly keptFiles: ReadonlySet<string>;
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

/**
 * The series' lines, COMPACT_LINE_POINTS points each at most, their chunks appended to `file`;
 * undefined when one chunk's steps or times could not be a batched line's.
 */
function pointsLines(
  key: string,
  series: Series,
  name: string,
  file: Buffer[],
  at: { bytes: number },
): string[] | undefined {
  for (let from = 0; from < series.count; from += COMPACT_LINE_POINTS) {
    const to = Math.min(series.count, from + COMPACT_LINE_POINTS);
    if (!batchable(series.steps.subarray(from, to), series.times.subarray(from, to))) return undefined;
  }
  const columns = {
    steps: series.steps,
    times: series.times,
    values: new Float64Array(series.values.buffer, series.values.byteOffset, series.count),
  };
  const lines: string[] = [];
  for (let from = 0; from < series.count; from += COMPACT_LINE_POINTS) {
    const to = Math.min(series.count, from + COMPACT_LINE_POINTS);
    const chunk = encodeChunk(columns, from, to);
    lines.push(pointsLine(key, name, at.bytes, chunk, to - from));
    file.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    at.bytes += chunk.length;
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
 * `metric` and `metrics` lines alike, go into the points file `pointsFileName(generation)` in
 * chunks of at most COMPACT_LINE_POINTS points, in their journal order, each named by a line where
 * the key's first point was; every other line stays as it was, in its order (a blank line and an
 * earlier compaction's first line go). A key whose points a batched line cannot hold exactly (a
 * step or time beyond 2^53, a `metric` line with more fields than its five), or with points in a
 * points file already, keeps all its lines as they were, so its points keep their order. Values
 * keep their bits.
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
  const keptFiles = new Set<string>();
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
    } else if (!parsed.ok && parsed.batched && inPointsFile(parsed.batched)) {
      // Points in another points file (never in a journal compacted only once): its key stays as it is.
      const file = parsed.batched['file'];
      if (typeof file === 'string') keptFiles.add(file);
      const key = parsed.batched['key'];
      if (typeof key === 'string' && key !== '') {
        const s = seriesOf(key);
        s.verbatim = true;
        addLine(start, pos, s.index);
      } else addLine(start, pos, -1);
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
  const name = pointsFileName(generation);
  const file: Buffer[] = [];
  const fileEnd = { bytes: 0 };
  for (const [key, s] of series) {
    if (s.verbatim || s.count === 0) continue;
    const out = pointsLines(key, s, name, file, fileEnd);
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
  return {
    bytes: Buffer.concat(parts),
    lines: count,
    points,
    pointsFile: Buffer.concat(file),
    batched: places,
    keptFiles,
  };
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

/** How much of a journal's start holds its compacted first line's generation. */
const HEAD_BYTES = 512;

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
  const head = Buffer.alloc(HEAD_BYTES);
  const n = readSync(fd, head, 0, head.length, 0);
  return head.subarray(0, n);
}

/** `readGenerationSync` for an open journal, without blocking its thread. */
export async function readGenerationOf(handle: FileHandle): Promise<string> {
  const head = Buffer.alloc(HEAD_BYTES);
  const { bytesRead } = await handle.read(head, 0, head.length, 0);
  return generationOf(head.subarray(0, bytesRead));
}

/** The generation a journal's first line names ('' for one never compacted), read without blocking. */
export async function readGeneration(file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | O_NOFOLLOW);
  try {
    return await readGenerationOf(handle);
  } finally {
    await handle.close();
  }
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
