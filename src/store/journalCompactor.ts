/**
 * The rewrite of a sealed run's journal (docs/JOURNAL.md, "Compacted journals") in pieces, so a
 * journal of any size is rewritten in bounded memory: the journal is read twice, piece by piece.
 * The first pass (`scan`) gathers each key's points into chunks of COMPACT_LINE_POINTS, appends
 * each full chunk to the points file as it fills (chunkCodec.ts' encoding) and keeps only the line
 * naming it (~190 bytes a chunk); the second (`rewrite`) copies every other line as it is and puts
 * a key's lines where its first point was. Pure: the caller reads the pieces and writes the bytes.
 */
import { encodeChunk } from './chunkCodec';
import { parseEventLine } from './eventParse';
import { batchable, parseMetricBatch } from './metricBatchLine';
import { MetricBatch, scanMetricLine } from './metricScan';
import { inPointsFile, pointsFileName, pointsLine, readBatchedLine } from './pointsFile';

/**
 * Points a line of a compacted journal names at most: a chunk's (CHUNK_POINTS), so that a series'
 * k-th line names exactly its k-th chunk's points and the chunk's row can point at the line instead
 * of keeping them in a chunk file.
 */
export const COMPACT_LINE_POINTS = 2048;
/** What a compacted journal's first line starts with, byte for byte (the writer puts `t` first). */
export const MARKER_PREFIX = '{"t":"compacted",';
const NEWLINE = 0x0a;
const METRIC_FIELDS = new Set(['t', 'ts', 'key', 'value', 'step']);
/** What `visit` says of a line that is not a key's: kept as it is, or dropped (blank, an old marker). */
const KEPT = -1;
const DROPPED = -2;

/** A rewritten key's line in the new journal: where it is (with its `\n`) and its points. */
export interface PointsLinePlace {
  readonly offset: number;
  readonly length: number;
  readonly count: number;
}

/** One key's points as they are gathered: the chunk being filled, and the lines naming those written. */
class Series {
  readonly steps = new Float64Array(COMPACT_LINE_POINTS);
  readonly times = new Float64Array(COMPACT_LINE_POINTS);
  readonly values = new Float64Array(COMPACT_LINE_POINTS);
  /** The values' bytes: a batched line's doubles are copied byte for byte (NaN payloads too). */
  readonly valueBytes = new Uint8Array(this.values.buffer);
  /** Points in the chunk being filled. */
  count = 0;
  /** Points in written chunks. */
  written = 0;
  /** The lines naming its written chunks, and their points. */
  readonly lines: { text: string; count: number }[] = [];
  /** Bytes of its lines in the old journal. */
  oldBytes = 0;
  /** A point no batched line can hold exactly (an int64 step, extra fields): all its lines stay. */
  verbatim = false;
  /** The points files its lines name. */
  readonly files = new Set<string>();

  constructor(
    readonly key: string,
    readonly index: number,
  ) {}
}

export interface CompactSummary {
  /** Lines of the new journal. */
  readonly lines: number;
  /** Its bytes. */
  readonly bytes: number;
  /** Metric points the points file now holds. */
  readonly points: number;
  /** Each rewritten key's lines, in order. */
  readonly batched: ReadonlyMap<string, readonly PointsLinePlace[]>;
  /** Points files that lines kept as they were name (a journal compacted before and copied here). */
  readonly keptFiles: ReadonlySet<string>;
}

/**
 * Rewrites a journal given as pieces of complete lines: `scan` every piece in order, `endScan`, then
 * `rewrite` the same pieces in the same order, then `finish`. Each key's points, from `metric` and
 * `metrics` lines alike, go into the points file `pointsFileName(generation)` in chunks of at most
 * COMPACT_LINE_POINTS points, in journal order, each named by a line where the key's first point
 * was; every other line stays as it was, in its order (a blank line and an earlier compaction's
 * first line go). A key whose points a batched line cannot hold exactly (a step or time beyond
 * 2^53, a `metric` line with more fields than its five), or with points in a points file already,
 * keeps all its lines as they were (the points file may then hold bytes of it that no line names).
 */
export class JournalCompactor {
  readonly pointsFile: string;
  private readonly series = new Map<string, Series>();
  private readonly byIndex: Series[] = [];
  /** Points files that lines kept as they are name (known once the first pass has ended). */
  readonly keptFiles = new Set<string>();
  private readonly decoder = new TextDecoder('utf-8');
  private readonly fast = new LastPoint();
  private oldBytes = 0;
  private oldLines = 0;
  /** The ordinal of the line being visited, in the old journal; and how many the second pass has visited. */
  private ordinal = 0;
  private rewritten = 0;
  /** The ordinals of batched lines the first pass refused: the second knows them without reading them again. */
  private readonly refused = new Set<number>();
  private droppedBytes = 0;
  /** Bytes written to the points file. */
  private pointsBytes = 0;
  private moved = 0;
  private scanned = false;
  /** The new journal so far: its bytes, its lines, and the keys whose lines it has. */
  private at = 0;
  private lines = 0;
  private readonly emitted = new Set<number>();
  private readonly places = new Map<string, PointsLinePlace[]>();

  /** The points file of the journal being rewritten, when it was compacted before (read from `folder`). */
  private readonly previousFile: string | undefined;

  constructor(
    private readonly generation: string,
    private readonly ts: number,
    /** The run's folder, where a journal compacted before has its points file. */
    private readonly folder?: string,
    /** The generation of the journal being rewritten ('' or none: never compacted). */
    previous?: string,
  ) {
    this.pointsFile = pointsFileName(generation);
    this.previousFile = previous ? pointsFileName(previous) : undefined;
  }

  /** The first pass over a piece of complete lines: points into chunks, full chunks to `points`. */
  scan(piece: Uint8Array, points: (bytes: Uint8Array) => void): void {
    const buffer = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    this.oldBytes += buffer.length;
    for (let pos = 0; pos < buffer.length;) {
      const end = lineEnd(buffer, pos);
      this.ordinal = this.oldLines;
      const key = this.visit(buffer, pos, end, points);
      this.oldLines++;
      if (key >= 0) this.byIndex[key].oldBytes += end - pos;
      else if (key === DROPPED) this.droppedBytes += end - pos;
      pos = end;
    }
  }

  /**
   * Ends the first pass: the partial chunks to `points`. Returns the new journal's size and the
   * points file's, for the caller to decide whether the rewrite is worth it.
   */
  endScan(points: (bytes: Uint8Array) => void): { journalBytes: number; pointsBytes: number; points: number } {
    for (const series of this.byIndex) if (!series.verbatim && series.count > 0) this.writeChunk(series, points);
    // A key that keeps its lines keeps the points files they name.
    for (const series of this.byIndex) if (series.verbatim) for (const file of series.files) this.keptFiles.add(file);
    this.scanned = true;
    let journalBytes = this.oldBytes - this.droppedBytes;
    for (const series of this.byIndex) {
      if (series.verbatim || series.lines.length === 0) continue;
      this.moved += series.written;
      journalBytes -= series.oldBytes;
      for (const line of series.lines) journalBytes += Buffer.byteLength(line.text);
    }
    journalBytes += this.marker().length;
    return { journalBytes, pointsBytes: this.pointsBytes, points: this.moved };
  }

  /** The second pass over the same piece: the new journal's bytes to `out` (its first line with the first piece). */
  rewrite(piece: Uint8Array, out: (bytes: Uint8Array) => void): void {
    if (!this.scanned) throw new Error('rewrite before endScan');
    const buffer = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    if (this.lines === 0) this.emit(Buffer.from(this.marker()), out);
    let keptFrom = -1;
    const flushKept = (to: number): void => {
      if (keptFrom === -1) return;
      this.emit(buffer.subarray(keptFrom, to), out, countLines(buffer, keptFrom, to));
      keptFrom = -1;
      // Every line of the new journal ends, also a last one the caller passed without its `\n`.
      if (buffer[to - 1] !== NEWLINE) this.emit(Buffer.from('\n'), out, 0);
    };
    for (let pos = 0; pos < buffer.length;) {
      const end = lineEnd(buffer, pos);
      this.ordinal = this.rewritten++;
      const key = this.visit(buffer, pos, end);
      const series = key >= 0 ? this.byIndex[key] : undefined;
      if (key === KEPT || series?.verbatim || series?.lines.length === 0) {
        // Kept lines are copied in runs, not one by one.
        if (keptFrom === -1) keptFrom = pos;
      } else {
        flushKept(pos);
        if (series && !this.emitted.has(key)) {
          this.emitted.add(key);
          const place: PointsLinePlace[] = [];
          for (const line of series.lines) {
            const bytes = Buffer.from(line.text, 'utf8');
            place.push({ offset: this.at, length: bytes.length, count: line.count });
            this.emit(bytes, out, 1);
          }
          this.places.set(series.key, place);
        }
      }
      pos = end;
    }
    flushKept(buffer.length);
  }

  /** Ends the second pass. */
  finish(out: (bytes: Uint8Array) => void): CompactSummary {
    if (this.lines === 0) this.emit(Buffer.from(this.marker()), out);
    return {
      lines: this.lines,
      bytes: this.at,
      points: this.moved,
      batched: this.places,
      keptFiles: this.keptFiles,
    };
  }

  private emit(bytes: Uint8Array, out: (bytes: Uint8Array) => void, lines = 1): void {
    out(bytes);
    this.at += bytes.length;
    this.lines += lines;
  }

  private marker(): string {
    return markerLine(this.generation, this.ts, { bytes: this.oldBytes, lines: this.oldLines }, this.moved);
  }

  private seriesOf(key: string): Series {
    let series = this.series.get(key);
    if (!series) {
      series = new Series(key, this.byIndex.length);
      this.series.set(key, series);
      this.byIndex.push(series);
    }
    return series;
  }

  /**
   * What the line [start, end) is: a key's (its index), KEPT or DROPPED. With `points` (the first
   * pass), its points are taken, and full chunks written there.
   */
  private visit(buffer: Buffer, start: number, end: number, points?: (bytes: Uint8Array) => void): number {
    // The producers' exact shape, read from the bytes as the store's ingest reads it.
    if (scanMetricLine(buffer, start, buffer.length, this.fast) !== -1) {
      const series = this.seriesOf(this.fast.key);
      if (points && !series.verbatim) {
        series.values[series.count] = this.fast.value;
        this.take(series, this.fast.step, this.fast.time, points);
      }
      return series.index;
    }
    const last = buffer[end - 1] === NEWLINE ? end - 1 : end;
    const text = this.decoder.decode(buffer.subarray(start, last));
    if (text.trim() === '' || text.startsWith(MARKER_PREFIX)) return DROPPED;
    const parsed = parseEventLine(text);
    if (parsed.ok && parsed.event.t === 'metric') {
      const series = this.seriesOf(parsed.event.key);
      if (points && !series.verbatim) {
        const exact = exactMetric(text);
        if (!exact) series.verbatim = true;
        else {
          series.values[series.count] = parsed.event.value;
          this.take(series, exact.step, exact.ts, points);
        }
      }
      return series.index;
    }
    if (parsed.ok || !parsed.batched) return KEPT;
    if (inPointsFile(parsed.batched)) {
      const key = parsed.batched['key'];
      if (typeof key !== 'string' || key === '') return KEPT;
      const series = this.seriesOf(key);
      if (!points) return series.index;
      const file = parsed.batched['file'];
      if (typeof file === 'string') series.files.add(file);
      // The journal's own points file (a run compacted again): its points are read, checked, and
      // written again with the key's new ones. Another file's, or one that does not check: its key
      // keeps its lines as they are, and the files they name stay (endScan).
      const read =
        file === this.previousFile && !series.verbatim ? readBatchedLine(parsed.batched, this.folder, true) : undefined;
      if (!read?.ok) {
        series.verbatim = true;
        return series.index;
      }
      const { steps, times, values } = read.points;
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      for (let i = 0; i < steps.length && !series.verbatim; i++) {
        series.valueBytes.set(bytes.subarray(i * 8, i * 8 + 8), series.count * 8);
        this.take(series, steps[i], times[i], points);
      }
      return series.index;
    }
    // The second pass: the first read the line whole and said whether it is a key's.
    if (!points) return this.refused.has(this.ordinal) ? KEPT : this.seriesOf(parsed.batched['key'] as string).index;
    const batch = parseMetricBatch(parsed.batched, true);
    if (!batch.ok) {
      // Refused by every reader: kept as it is, so the journal still says what was written.
      this.refused.add(this.ordinal);
      return KEPT;
    }
    const series = this.seriesOf(batch.points.key);
    if (!series.verbatim) {
      // The doubles' own bytes, not numbers read back: every bit of every value stays.
      const value = parsed.batched['value'] as string;
      if (valueScratch.length < value.length) valueScratch = Buffer.alloc(value.length * 2);
      const bytes = valueScratch.subarray(0, valueScratch.write(value, 'base64'));
      const { steps, times } = batch.points;
      for (let i = 0; i < steps.length && !series.verbatim; i++) {
        series.valueBytes.set(bytes.subarray(i * 8, i * 8 + 8), series.count * 8);
        this.take(series, steps[i], times[i], points);
      }
    }
    return series.index;
  }

  /** Adds the point whose value is already in place at `series.count`; a full chunk is written. */
  private take(series: Series, step: number, time: number, points: (bytes: Uint8Array) => void): void {
    series.steps[series.count] = step;
    series.times[series.count] = time;
    series.count++;
    if (series.count === COMPACT_LINE_POINTS) this.writeChunk(series, points);
  }

  private writeChunk(series: Series, points: (bytes: Uint8Array) => void): void {
    const n = series.count;
    series.count = 0;
    if (!batchable(series.steps.subarray(0, n), series.times.subarray(0, n))) {
      series.verbatim = true;
      return;
    }
    const chunk = encodeChunk(series, 0, n);
    series.lines.push({ text: pointsLine(series.key, this.pointsFile, this.pointsBytes, chunk, n), count: n });
    series.written += n;
    points(chunk);
    this.pointsBytes += chunk.length;
  }
}

/** Where a batched line's base64 values are decoded (reused: a journal has ~100k such lines a GB). */
let valueScratch = Buffer.alloc(0);

/** A compacted journal's first line. */
export function markerLine(
  generation: string,
  ts: number,
  from: { bytes: number; lines: number },
  points: number,
): string {
  return `${MARKER_PREFIX}"ts":${ts},"generation":"${generation}","from_bytes":${from.bytes},"from_lines":${from.lines},"points":${points}}\n`;
}

/** Where the line at `pos` ends: after its `\n`, or at the end of the piece. */
function lineEnd(buffer: Buffer, pos: number): number {
  const newline = buffer.indexOf(NEWLINE, pos);
  return newline === -1 ? buffer.length : newline + 1;
}

function countLines(buffer: Buffer, from: number, to: number): number {
  let lines = 0;
  for (let at = buffer.indexOf(NEWLINE, from); at !== -1 && at < to; at = buffer.indexOf(NEWLINE, at + 1)) lines++;
  // A last line without its `\n` (a caller's piece that lacks one) still counts.
  return buffer[to - 1] === NEWLINE || to === from ? lines : lines + 1;
}

/** A `metric` line a batched line holds exactly: only its five fields, integer step and time a double keeps. */
function exactMetric(text: string): { step: number; ts: number } | undefined {
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
  return { step: step as number, ts: ts as number };
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
