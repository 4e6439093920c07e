/**
 * Columnar encoding of a chunk of metric points, stored as one blob per chunk.
 *
 * Layout: a flags byte; the byte length of the steps section (uint32, little-endian); `count`
 * float64 values (little-endian); the steps; the wall times. Steps and times are zigzag varints of
 * the difference from the previous point (the first from 0): steps usually go up by one and times
 * by a few milliseconds, so a point costs 8 bytes for its value and 2–4 for its step and time. The
 * length prefix lets a reader decode only the x column it needs. A column whose differences would
 * leave the safe-integer range (steps near ±2^53) is stored as raw float64 instead, flagged in the
 * first byte, so every safe integer survives exactly.
 */

export interface PointColumns {
  readonly steps: Float64Array;
  readonly times: Float64Array;
  readonly values: Float64Array;
}

const RAW_STEPS = 1;
const RAW_TIMES = 2;
const HEADER = 5;
const MAX_DELTA = Number.MAX_SAFE_INTEGER / 2;

function fitsVarints(column: Float64Array, from: number, to: number): boolean {
  let previous = 0;
  for (let i = from; i < to; i++) {
    const value = column[i];
    if (!(Math.abs(value - previous) <= MAX_DELTA)) return false;
    previous = value;
  }
  return true;
}

/** Writes a column at `pos`; returns the position after it. */
function writeColumn(
  out: Uint8Array,
  pos: number,
  column: Float64Array,
  from: number,
  to: number,
  raw: boolean,
): number {
  if (raw) {
    out.set(floatBytes(column, from, to), pos);
    return pos + (to - from) * 8;
  }
  let previous = 0;
  for (let i = from; i < to; i++) {
    const value = column[i];
    const delta = value - previous;
    previous = value;
    let v = delta >= 0 ? delta * 2 : -delta * 2 - 1;
    while (v >= 0x80) {
      out[pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    out[pos++] = v;
  }
  return pos;
}

/**
 * Encodes points `from` (inclusive) to `to` (exclusive) of the columns. With `reuse`, the bytes are
 * a view of a buffer that the next call overwrites: for a caller that writes them at once.
 */
export function encodeChunk(columns: PointColumns, from = 0, to = columns.values.length, reuse = false): Uint8Array {
  const count = to - from;
  const rawSteps = !fitsVarints(columns.steps, from, to);
  const rawTimes = !fitsVarints(columns.times, from, to);
  // Worst case: 8 bytes per varint (a zigzagged safe integer has at most 8 groups of 7 bits). The
  // chunk is built in a buffer every call reuses (a series' partial chunk is encoded at every append).
  if (scratch.length < HEADER + count * 24) scratch = new Uint8Array(HEADER + count * 24);
  const out = scratch;
  out.set(floatBytes(columns.values, from, to), HEADER);
  const stepsAt = HEADER + count * 8;
  const timesAt = writeColumn(out, stepsAt, columns.steps, from, to, rawSteps);
  const end = writeColumn(out, timesAt, columns.times, from, to, rawTimes);
  out[0] = (rawSteps ? RAW_STEPS : 0) | (rawTimes ? RAW_TIMES : 0);
  new DataView(out.buffer).setUint32(1, timesAt - stepsAt, true);
  return reuse ? out.subarray(0, end) : out.slice(0, end);
}

let scratch = new Uint8Array(HEADER + 2048 * 24);

/** The bytes of doubles [from, to) of a column, without copying them. */
function floatBytes(column: Float64Array, from: number, to: number): Uint8Array {
  return new Uint8Array(column.buffer, column.byteOffset + from * 8, (to - from) * 8);
}

function copyFloats(blob: Uint8Array, at: number, count: number, into: Float64Array, offset: number): void {
  new Uint8Array(into.buffer, into.byteOffset + offset * 8, count * 8).set(blob.subarray(at, at + count * 8));
}

function readColumn(
  blob: Uint8Array,
  at: number,
  count: number,
  raw: boolean,
  into: Float64Array,
  offset: number,
): void {
  if (raw) {
    copyFloats(blob, at, count, into, offset);
    return;
  }
  let pos = at;
  let previous = 0;
  for (let i = 0; i < count; i++) {
    let byte = blob[pos++];
    if (byte < 0x80) {
      // One byte (the usual case: a step of +1, a few ms): small enough for bit operations.
      previous += byte & 1 ? -((byte + 1) >> 1) : byte >> 1;
    } else {
      let zigzagged = byte & 0x7f;
      let scale = 0x80;
      do {
        byte = blob[pos++];
        zigzagged += (byte & 0x7f) * scale;
        scale *= 0x80;
      } while (byte >= 0x80);
      previous += zigzagged % 2 === 0 ? zigzagged / 2 : -(zigzagged + 1) / 2;
    }
    into[offset + i] = previous;
  }
}

/** Which columns to decode; a reader that bucketes by step never pays for the times. */
export interface ColumnSelection {
  readonly steps: boolean;
  readonly times: boolean;
}

const ALL: ColumnSelection = { steps: true, times: true };

/**
 * Decodes a chunk of `count` points into the columns at `offset` (the columns must have room).
 * The blob may sit at any offset of its buffer: bytes are copied, not viewed.
 */
export function decodeChunkInto(
  blob: Uint8Array,
  count: number,
  into: PointColumns,
  offset: number,
  select: ColumnSelection = ALL,
): void {
  const flags = blob[0];
  const stepsLength = blob[1] | (blob[2] << 8) | (blob[3] << 16) | (blob[4] * 0x1000000);
  copyFloats(blob, HEADER, count, into.values, offset);
  const stepsAt = HEADER + count * 8;
  if (select.steps) readColumn(blob, stepsAt, count, (flags & RAW_STEPS) !== 0, into.steps, offset);
  if (select.times) readColumn(blob, stepsAt + stepsLength, count, (flags & RAW_TIMES) !== 0, into.times, offset);
}

/**
 * Block summaries: the level of detail that lets a zoomed-out chart skip the points. Each block of
 * BLOCK_POINTS consecutive points keeps its first and last step, first and last time, min and max
 * (NaN when every value is NaN) and last value, as float64s.
 */
export const BLOCK_POINTS = 32;
export const BLOCK_FIELDS = 7;
/**
 * Coarse blocks: the same summaries of 1024 points, two a full chunk, kept in the database beside
 * the chunk's row while its 32-point blocks are in its chunk file, so a chart of a series of many
 * millions of points reads no file.
 */
export const COARSE_POINTS = 1024;

/**
 * The block summaries of the first `count` points. With `into` (room for them), they are written
 * there and the bytes returned are a view of it.
 */
export function encodeBlocks(
  columns: PointColumns,
  count: number,
  size = BLOCK_POINTS,
  into?: Float64Array,
): Uint8Array {
  const blocks = Math.ceil(count / size);
  const out = into ? into.subarray(0, blocks * BLOCK_FIELDS) : new Float64Array(blocks * BLOCK_FIELDS);
  for (let b = 0; b < blocks; b++) {
    const from = b * size;
    const to = Math.min(count, from + size);
    let min = Number.NaN;
    let max = Number.NaN;
    for (let i = from; i < to; i++) {
      const value = columns.values[i];
      if (!(value >= min) && !Number.isNaN(value)) min = value;
      if (!(value <= max) && !Number.isNaN(value)) max = value;
    }
    const at = b * BLOCK_FIELDS;
    out[at] = columns.steps[from];
    out[at + 1] = columns.steps[to - 1];
    out[at + 2] = columns.times[from];
    out[at + 3] = columns.times[to - 1];
    out[at + 4] = min;
    out[at + 5] = max;
    out[at + 6] = columns.values[to - 1];
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export function decodeBlocks(blob: Uint8Array): Float64Array {
  const out = new Float64Array(blob.length / 8);
  new Uint8Array(out.buffer).set(blob);
  return out;
}
