import * as assert from 'node:assert/strict';
import type { PointColumns } from '../../../src/store/chunkCodec';
import {
  BLOCK_FIELDS,
  BLOCK_POINTS,
  decodeBlocks,
  decodeChunkInto,
  encodeBlocks,
  encodeChunk,
} from '../../../src/store/chunkCodec';

/** A chunk's points in fresh columns (the store decodes into columns it allocated for a whole series). */
function decodeChunk(blob: Uint8Array, count: number): PointColumns {
  const columns = { steps: new Float64Array(count), times: new Float64Array(count), values: new Float64Array(count) };
  decodeChunkInto(blob, count, columns, 0);
  return columns;
}

function columns(steps: number[], times: number[], values: number[]) {
  return { steps: Float64Array.from(steps), times: Float64Array.from(times), values: Float64Array.from(values) };
}

describe('metric chunk codec', () => {
  it('round-trips values exactly, NaN and infinities included', () => {
    const input = columns(
      [0, 1, 2, 3, 4],
      [1_732_600_000_000, 1_732_600_000_004, 1_732_600_000_009, 1_732_600_000_009, 1_732_600_000_100],
      [0.1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0],
    );
    const output = decodeChunk(encodeChunk(input), 5);
    assert.deepEqual([...output.steps], [...input.steps]);
    assert.deepEqual([...output.times], [...input.times]);
    for (let i = 0; i < 5; i++) assert.ok(Object.is(output.values[i], input.values[i]), `value ${i}`);
  });

  it('keeps steps that go backwards, repeat or are huge', () => {
    const steps = [5, 3, 3, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0];
    const times = [0, -5, 2 ** 40, 7, 7, 1];
    const input = columns(steps, times, [1, 2, 3, 4, 5, 6]);
    const output = decodeChunk(encodeChunk(input), steps.length);
    assert.deepEqual([...output.steps], steps);
    assert.deepEqual([...output.times], times);
  });

  it('encodes a slice of the columns', () => {
    const input = columns([0, 1, 2, 3], [10, 20, 30, 40], [1, 2, 3, 4]);
    const output = decodeChunk(encodeChunk(input, 1, 3), 2);
    assert.deepEqual([...output.values], [2, 3]);
    assert.deepEqual([...output.steps], [1, 2]);
  });

  it('costs about 10 bytes per point for steady training logs', () => {
    const n = 4096;
    const input = columns(
      Array.from({ length: n }, (_, i) => i),
      Array.from({ length: n }, (_, i) => 1_732_600_000_000 + i * 37),
      Array.from({ length: n }, (_, i) => 1 / (i + 1)),
    );
    const bytes = encodeChunk(input).length;
    assert.ok(bytes / n <= 10.3, `${bytes / n} bytes per point`);
  });

  it('decodes from an unaligned buffer', () => {
    const input = columns([1, 2], [3, 4], [0.5, 0.25]);
    const blob = encodeChunk(input);
    const padded = new Uint8Array(blob.length + 3);
    padded.set(blob, 3);
    assert.deepEqual([...decodeChunk(padded.subarray(3), 2).values], [0.5, 0.25]);
  });

  it('encodes into a reused buffer the same bytes as into a fresh one', () => {
    const a = columns([0, 1, 2], [10, 20, 35], [0.5, Number.NaN, 3]);
    const b = columns([5, 9], [1, 2], [-1, -2]);
    const fresh = encodeChunk(a);
    assert.deepEqual(encodeChunk(a, 0, 3, true), fresh);
    const view = encodeChunk(b, 0, 2, true);
    assert.deepEqual(view, encodeChunk(b));
    assert.deepEqual([...decodeChunk(view, 2).steps], [5, 9]);
    assert.deepEqual([...decodeChunk(fresh, 3).times], [10, 20, 35], 'a fresh encoding is not overwritten');
  });

  it('writes block summaries into a given buffer', () => {
    const n = 100;
    const input = columns(
      Array.from({ length: n }, (_, i) => i),
      Array.from({ length: n }, (_, i) => 1000 + i),
      Array.from({ length: n }, (_, i) => Math.sin(i)),
    );
    const into = new Float64Array(64 * BLOCK_FIELDS);
    const view = encodeBlocks(input, n, BLOCK_POINTS, into);
    assert.equal(view.buffer, into.buffer);
    assert.deepEqual(view, encodeBlocks(input, n));
    assert.deepEqual(decodeBlocks(view), decodeBlocks(encodeBlocks(input, n)));
  });
});
