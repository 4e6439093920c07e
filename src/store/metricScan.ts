/**
 * The fast path of journal reading. Metric points are nearly all of a journal, and producers write
 * them in one exact shape: `{"t":"metric","ts":<int>,"key":"<key>","value":<number|"NaN"|…>,"step":<int>}`.
 * `scanMetricLine` reads that shape straight from the journal's bytes — no decoding, no line string,
 * no JSON.parse, no event object, usually no allocation at all — and appends the point to a
 * `MetricBatch`. Anything else (escapes in the key, other field order, spaces, a non-integer ts)
 * returns false and the line takes the general path (`parseEventLine`), which gives the same
 * result or names the problem.
 */

import type { MetricBatchPoints } from './metricBatchLine';

/** Columns handed back by `MetricBatch.release`, for the next read's batches to fill (largest last). */
const spare: { steps: Float64Array; times: Float64Array; values: Float64Array }[] = [];
let spareBytes = 0;
/**
 * At most this many bytes of spare columns are kept: a store's journal pieces (a megabyte, about
 * 100k points) need 1–4 MB of columns, which would otherwise be new for every piece and garbage
 * the collector frees only in large steps (issue 20's peak RSS).
 */
const SPARE_LIMIT = 8 * 1024 * 1024;
const FIRST_CAPACITY = 64;

/** Growable columns of one series' points, in arrival order. */
export class SeriesColumns {
  steps: Float64Array;
  times: Float64Array;
  values: Float64Array;
  length = 0;

  constructor() {
    const reused = spare.pop();
    if (reused) {
      spareBytes -= reused.values.byteLength * 3;
      ({ steps: this.steps, times: this.times, values: this.values } = reused);
    } else {
      this.steps = new Float64Array(FIRST_CAPACITY);
      this.times = new Float64Array(FIRST_CAPACITY);
      this.values = new Float64Array(FIRST_CAPACITY);
    }
  }

  push(step: number, time: number, value: number): void {
    if (this.length === this.values.length) {
      const grow = (a: Float64Array): Float64Array => {
        const bigger = new Float64Array(a.length * 2);
        bigger.set(a);
        return bigger;
      };
      this.steps = grow(this.steps);
      this.times = grow(this.times);
      this.values = grow(this.values);
    }
    this.steps[this.length] = step;
    this.times[this.length] = time;
    this.values[this.length] = value;
    this.length++;
  }

  /** The points as exact-length views. */
  view(): { steps: Float64Array; times: Float64Array; values: Float64Array } {
    return {
      steps: this.steps.subarray(0, this.length),
      times: this.times.subarray(0, this.length),
      values: this.values.subarray(0, this.length),
    };
  }

  /** Hands the columns to the next SeriesColumns made; this one (and every view of it) is not used again. */
  release(): void {
    const bytes = this.values.byteLength * 3;
    if (this.values.length > FIRST_CAPACITY && spareBytes + bytes <= SPARE_LIMIT) {
      const at = spare.findIndex((s) => s.values.length > this.values.length);
      spare.splice(at === -1 ? spare.length : at, 0, { steps: this.steps, times: this.times, values: this.values });
      spareBytes += bytes;
    }
    this.length = 0;
    this.steps = this.times = this.values = EMPTY;
  }
}

const EMPTY = new Float64Array(0);

/** Metric points of one journal read, grouped by key. */
export class MetricBatch {
  readonly series = new Map<string, SeriesColumns>();
  count = 0;
  /** Keys seen so far with their UTF-8 bytes, so a repeated key costs no decoding. */
  private readonly recent: { key: string; bytes: Uint8Array }[] = [];

  add(key: string, step: number, time: number, value: number): void {
    let columns = this.series.get(key);
    if (!columns) {
      columns = new SeriesColumns();
      this.series.set(key, columns);
    }
    columns.push(step, time, value);
    this.count++;
  }

  /** Adds the points of a batched line (metricBatchLine.ts). */
  addPoints(points: MetricBatchPoints): void {
    const { key, steps, times, values } = points;
    let columns = this.series.get(key);
    if (!columns) {
      columns = new SeriesColumns();
      this.series.set(key, columns);
    }
    for (let i = 0; i < values.length; i++) columns.push(steps[i], times[i], values[i]);
    this.count += values.length;
  }

  /**
   * Done with the points: their columns go to the next batches read (journalSync.ts reads a store's
   * journals in a piece at a time). Neither the batch nor any view of its columns is used after.
   */
  release(): void {
    for (const columns of this.series.values()) columns.release();
    this.series.clear();
    this.count = 0;
  }

  /** The key whose UTF-8 bytes are `bytes[start, end)`, decoded once per distinct key. */
  keyAt(bytes: Uint8Array, start: number, end: number): string {
    const length = end - start;
    for (const entry of this.recent) {
      if (entry.bytes.length !== length) continue;
      let same = true;
      for (let i = 0; i < length; i++) {
        if (entry.bytes[i] !== bytes[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return entry.key;
    }
    const key = utf8.decode(bytes.subarray(start, end));
    if (this.recent.length < 32) this.recent.push({ key, bytes: bytes.slice(start, end) });
    return key;
  }
}

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const PREFIX = encode('{"t":"metric","ts":');
const KEY = encode(',"key":"');
const VALUE = encode(',"value":');
const STEP = encode(',"step":');
const NAN = encode('"NaN"');
const INFINITY = encode('"Infinity"');
const MINUS_INFINITY = encode('"-Infinity"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const CLOSE = 0x7d;
const NEWLINE = 0x0a;
const POWERS = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
];

// Scanner results, kept in module state so that scanning allocates nothing.
let scanned = 0;
let scanEnd = 0;

function matches(bytes: Uint8Array, at: number, literal: Uint8Array): boolean {
  for (let i = 0; i < literal.length; i++) {
    if (bytes[at + i] !== literal[i]) return false;
  }
  return true;
}

/** Scans a JSON integer at `at` (no fraction, no exponent); false if there is none. */
function scanInteger(bytes: Uint8Array, at: number, limit: number): boolean {
  let i = at;
  const negative = bytes[i] === MINUS;
  if (negative) i++;
  const first = i;
  let value = 0;
  while (i < limit) {
    const c = bytes[i];
    if (c < ZERO || c > NINE) break;
    value = value * 10 + (c - ZERO);
    i++;
  }
  const digits = i - first;
  if (digits === 0 || (digits > 1 && bytes[first] === ZERO) || value > Number.MAX_SAFE_INTEGER) return false;
  scanned = negative ? -value : value;
  scanEnd = i;
  return true;
}

/**
 * Scans a JSON number. Exact by construction: when the digits fit in 15 and the power of ten is
 * at most 22, one multiplication or division of exact doubles is correctly rounded (Clinger's fast
 * path); otherwise the text goes to Number(), the engine's correctly rounded conversion.
 */
function scanNumber(bytes: Uint8Array, at: number, limit: number): boolean {
  let i = at;
  if (bytes[i] === MINUS) i++;
  const intStart = i;
  let mantissa = 0;
  while (i < limit) {
    const c = bytes[i];
    if (c < ZERO || c > NINE) break;
    mantissa = mantissa * 10 + (c - ZERO);
    i++;
  }
  if (i === intStart || (i - intStart > 1 && bytes[intStart] === ZERO)) return false;
  let scale = 0;
  let simple = true;
  if (bytes[i] === DOT) {
    i++;
    const fractionStart = i;
    while (i < limit) {
      const c = bytes[i];
      if (c < ZERO || c > NINE) break;
      mantissa = mantissa * 10 + (c - ZERO);
      scale--;
      i++;
    }
    if (i === fractionStart) return false;
  }
  const e = bytes[i];
  if (e === 0x65 || e === 0x45) {
    simple = false;
    i++;
    if (bytes[i] === PLUS || bytes[i] === MINUS) i++;
    const expStart = i;
    while (i < limit && bytes[i] >= ZERO && bytes[i] <= NINE) i++;
    if (i === expStart) return false;
  }
  scanEnd = i;
  // Accumulating digits in a double stays exact while the mantissa is at most 2^53.
  if (simple && mantissa <= 2 ** 53 && -scale <= 22) {
    const magnitude = scale === 0 ? mantissa : mantissa / POWERS[-scale];
    scanned = bytes[at] === MINUS ? -magnitude : magnitude;
  } else {
    scanned = Number(ascii(bytes, at, i));
  }
  return true;
}

/** The double of a JSON number token at bytes [from, to), by scanNumber's rules; NaN when there is none. */
export function jsonNumberAt(bytes: Uint8Array, from: number, to: number): number {
  return scanNumber(bytes, from, to) && scanEnd === to ? scanned : Number.NaN;
}

/**
 * The ASCII text of bytes [from, to): for number lengths, one fromCharCode call with the bytes as
 * arguments, which is several times cheaper than a TextDecoder call or a Buffer slice.
 */
function ascii(b: Uint8Array, from: number, to: number): string {
  const n = to - from;
  if (n > 24) return latin1.decode(b.subarray(from, to));
  const a = from;
  // Bytes past `to` (or past the end, read as undefined → U+0000) are cut off by the slice.
  return String.fromCharCode(
    b[a],
    b[a + 1],
    b[a + 2],
    b[a + 3],
    b[a + 4],
    b[a + 5],
    b[a + 6],
    b[a + 7],
    b[a + 8],
    b[a + 9],
    b[a + 10],
    b[a + 11],
    b[a + 12],
    b[a + 13],
    b[a + 14],
    b[a + 15],
    b[a + 16],
    b[a + 17],
    b[a + 18],
    b[a + 19],
    b[a + 20],
    b[a + 21],
    b[a + 22],
    b[a + 23],
  ).slice(0, n);
}

/**
 * Reads the metric line starting at `start` into `batch` and returns the index of its newline; or
 * returns -1, having added nothing, when the line is not in the exact producer shape. `limit` is
 * the end of the bytes.
 */
export function scanMetricLine(bytes: Uint8Array, start: number, limit: number, batch: MetricBatch): number {
  // Every field has a fixed minimum length, so reading up to `limit` never runs past the line.
  const end = limit;
  if (!matches(bytes, start, PREFIX)) return -1;
  if (!scanInteger(bytes, start + PREFIX.length, end)) return -1;
  const ts = scanned;
  if (!matches(bytes, scanEnd, KEY)) return -1;
  const keyStart = scanEnd + KEY.length;
  let keyEnd = keyStart;
  for (; keyEnd < end; keyEnd++) {
    const c = bytes[keyEnd];
    if (c === QUOTE) break;
    if (c === BACKSLASH || c < 0x20) return -1;
  }
  if (keyEnd === keyStart || keyEnd >= end || !matches(bytes, keyEnd + 1, VALUE)) return -1;
  let at = keyEnd + 1 + VALUE.length;
  let value: number;
  if (bytes[at] === QUOTE) {
    if (matches(bytes, at, NAN)) {
      value = Number.NaN;
      at += NAN.length;
    } else if (matches(bytes, at, INFINITY)) {
      value = Number.POSITIVE_INFINITY;
      at += INFINITY.length;
    } else if (matches(bytes, at, MINUS_INFINITY)) {
      value = Number.NEGATIVE_INFINITY;
      at += MINUS_INFINITY.length;
    } else {
      return -1;
    }
  } else {
    if (!scanNumber(bytes, at, end)) return -1;
    value = scanned;
    at = scanEnd;
  }
  if (!matches(bytes, at, STEP)) return -1;
  if (!scanInteger(bytes, at + STEP.length, end)) return -1;
  const step = scanned;
  if (bytes[scanEnd] !== CLOSE || bytes[scanEnd + 1] !== NEWLINE) return -1;
  batch.add(batch.keyAt(bytes, keyStart, keyEnd), step, ts, value);
  return scanEnd + 1;
}
