/**
 * Columnar encoding of a chunk of metric points, stored as one blob per chunk.
 *
 * Layout: one flags byte, `count` little-endian float64 values, then the steps and then the wall
 * times, each as zigzag varints of the difference from the previous point (the first from 0).
 * Steps usually go up by one and times by a few milliseconds, so a point costs 8 bytes for its
 * value and 2–4 for its step and time. Varints use arithmetic rather than 32-bit bit operations;
 * a column whose differences would leave the safe-integer range (steps near ±2^53) is stored as
 * raw float64 instead, flagged in the first byte, so every safe integer survives exactly.
 */

const RAW_STEPS = 1;
const RAW_TIMES = 2;
const MAX_DELTA = Number.MAX_SAFE_INTEGER / 2;

export interface PointColumns {
  readonly steps: Float64Array;
  readonly times: Float64Array;
  readonly values: Float64Array;
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

function writeVarint(out: Uint8Array, pos: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    out[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[pos++] = v;
  return pos;
}

function fitsVarints(column: Float64Array, from: number, to: number): boolean {
  let previous = 0;
  for (let i = from; i < to; i++) {
    const value = column[i];
    if (!(Math.abs(value - previous) <= MAX_DELTA)) return false;
    previous = value;
  }
  return true;
}

/** Encodes points `from` (inclusive) to `to` (exclusive) of the columns. */
export function encodeChunk(columns: PointColumns, from = 0, to = columns.values.length): Uint8Array {
  const count = to - from;
  // Worst case: 8 bytes per varint (a zigzagged safe integer has at most 8 groups of 7 bits).
  const out = new Uint8Array(1 + count * 24);
  const values = new Float64Array(count);
  values.set(columns.values.subarray(from, to));
  out.set(new Uint8Array(values.buffer), 1);
  let pos = 1 + count * 8;
  let flags = 0;
  for (const [column, rawFlag] of [
    [columns.steps, RAW_STEPS],
    [columns.times, RAW_TIMES],
  ] as const) {
    if (!fitsVarints(column, from, to)) {
      flags |= rawFlag;
      const raw = new Float64Array(column.subarray(from, to));
      out.set(new Uint8Array(raw.buffer), pos);
      pos += count * 8;
      continue;
    }
    let previous = 0;
    for (let i = from; i < to; i++) {
      const value = column[i];
      pos = writeVarint(out, pos, zigzag(value - previous));
      previous = value;
    }
  }
  out[0] = flags;
  return out.slice(0, pos);
}

/** Decodes a chunk of `count` points into the columns at `offset` (the columns must have room). */
export function decodeChunkInto(blob: Uint8Array, count: number, into: PointColumns, offset: number): void {
  const flags = blob[0];
  // Float64 data sits at odd offsets in the blob: copy the bytes, not a view.
  copyFloats(blob, 1, count, into.values, offset);
  let pos = 1 + count * 8;
  for (const [column, rawFlag] of [
    [into.steps, RAW_STEPS],
    [into.times, RAW_TIMES],
  ] as const) {
    if (flags & rawFlag) {
      copyFloats(blob, pos, count, column, offset);
      pos += count * 8;
      continue;
    }
    let previous = 0;
    for (let i = 0; i < count; i++) {
      let result = 0;
      let scale = 1;
      let byte: number;
      do {
        byte = blob[pos++];
        result += (byte & 0x7f) * scale;
        scale *= 0x80;
      } while (byte >= 0x80);
      previous += unzigzag(result);
      column[offset + i] = previous;
    }
  }
}

function copyFloats(blob: Uint8Array, at: number, count: number, into: Float64Array, offset: number): void {
  new Uint8Array(into.buffer, into.byteOffset + offset * 8, count * 8).set(blob.subarray(at, at + count * 8));
}

export function decodeChunk(blob: Uint8Array, count: number): PointColumns {
  const columns = { steps: new Float64Array(count), times: new Float64Array(count), values: new Float64Array(count) };
  decodeChunkInto(blob, count, columns, 0);
  return columns;
}
