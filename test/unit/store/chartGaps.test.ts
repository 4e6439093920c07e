import * as assert from 'node:assert/strict';
import { GAP_FACTOR, lineBreaks, lineBreaksWithin } from '../../../src/store/chartGaps';
import { BucketAccumulator } from '../../../src/store/bucketGrid';

/** The buckets (`n` across [lo, hi]) where the line breaks, for points [x, value]. */
function breaksOf(points: readonly (readonly [number, number])[], n: number, lo: number, hi: number): number[] {
  const grid = new BucketAccumulator(n, lo, hi);
  for (const [x, v] of points) grid.addPoint(x, v);
  const breaks = lineBreaks(grid.aligned());
  return [...breaks.keys()].filter((i) => breaks[i] === 1);
}

function every(from: number, to: number, step: number, value = (x: number): number => x): [number, number][] {
  const out: [number, number][] = [];
  for (let x = from; x <= to; x += step) out.push([x, value(x)]);
  return out;
}

/** Bucket of x on a grid of 1000 buckets across [0, 3000]. */
const at = (x: number): number => Math.min(999, Math.floor(x / 3));

describe('chart line breaks', () => {
  it('bridges a sparse series across the empty buckets between its points', () => {
    // A validation metric every 50 steps on a grid sized for a per-step loss: 16 empty buckets between points.
    assert.deepEqual(breaksOf(every(0, 2950, 50), 1000, 0, 3000), []);
  });

  it('bridges dense series, single points and pairs of points', () => {
    assert.deepEqual(breaksOf(every(0, 3000, 1), 1000, 0, 3000), []);
    assert.deepEqual(breaksOf([[1500, 1]], 1000, 0, 3000), []);
    assert.deepEqual(
      breaksOf(
        [
          [0, 1],
          [3000, 2],
        ],
        1000,
        0,
        3000,
      ),
      [],
      'two points: no cadence to compare with',
    );
  });

  it('bridges spacing that changes gradually or once: growing epochs, every 2^k steps, dense then sparse', () => {
    const growing: [number, number][] = [];
    for (let x = 0, gap = 10; x < 3000; x += gap, gap = Math.ceil(gap * 1.3)) growing.push([x, 1]);
    assert.deepEqual(breaksOf(growing, 1000, 0, 3000), []);
    const powers = Array.from({ length: 12 }, (_, k): [number, number] => [2 ** k, k]);
    assert.deepEqual(breaksOf(powers, 1000, 0, 2048), []);
    // Every step until 1000, then every 100 steps: the pace after the change is the wider side.
    assert.deepEqual(breaksOf([...every(0, 1000, 1), ...every(1100, 3000, 100)], 1000, 0, 3000), []);
  });

  it(`breaks across a silence more than ${GAP_FACTOR}× the spacing on both sides`, () => {
    // Every step, then nothing from 1000 to 2000 (a run resumed later).
    assert.deepEqual(breaksOf([...every(0, 1000, 1), ...every(2000, 3000, 1)], 1000, 0, 3000), [at(2000)]);
    // Every 50 steps, the same silence: 20× the spacing.
    assert.deepEqual(breaksOf([...every(0, 1000, 50), ...every(2000, 3000, 50)], 1000, 0, 3000), [at(2000)]);
    // Every 50 steps, nothing for 400: 8× the spacing is no gap.
    assert.deepEqual(breaksOf([...every(0, 1000, 50), ...every(1400, 3000, 50)], 1000, 0, 3000), []);
  });

  it('puts the threshold at exactly GAP_FACTOR times the spacing', () => {
    const base = every(0, 100, 10);
    assert.deepEqual(breaksOf([...base, [100 + 10 * GAP_FACTOR, 1]], 1000, 0, 1000), []);
    assert.deepEqual(breaksOf([...base, [101 + 10 * GAP_FACTOR, 1]], 1000, 0, 1000), [101 + 10 * GAP_FACTOR]);
  });

  it('isolates a lone point before or after a dense stretch', () => {
    assert.deepEqual(breaksOf([...every(0, 1000, 1), [2900, 1]], 1000, 0, 3000), [at(2900)]);
    assert.deepEqual(breaksOf([[0, 1], ...every(1000, 3000, 1)], 1000, 0, 3000), [at(1000)]);
  });

  it('breaks after a NaN the run logged, and only there', () => {
    const sparse = every(0, 2950, 50, (x) => (x === 1500 ? Number.NaN : x));
    assert.deepEqual(breaksOf(sparse, 1000, 0, 3000), [at(1550)], 'the NaN point is a gap');
    // Dense: the NaN shares a bucket with drawn values; the line stops at that bucket.
    const dense = every(0, 3000, 1, (x) => (x === 1500 ? Number.NaN : x));
    assert.deepEqual(breaksOf(dense, 1000, 0, 3000), [at(1500) + 1]);
    // NaN to the end (a diverged run): the line simply ends.
    assert.deepEqual(
      breaksOf(
        every(0, 3000, 1, (x) => (x >= 2000 ? Number.NaN : x)),
        1000,
        0,
        3000,
      ),
      [],
    );
  });

  describe('on a zoomed grid', () => {
    const empty = (n: number): BucketAccumulator => new BucketAccumulator(n, 1010, 1040);

    it("goes on to the run's points just outside the grid", () => {
      const shape = lineBreaksWithin(
        empty(30).aligned(),
        { x: 1000, value: 1, beyond: 950 },
        { x: 1050, value: 2, beyond: 1100 },
      );
      assert.deepEqual(shape, { breaks: new Uint8Array(30), joinsBefore: true, joinsAfter: true });
    });

    it('not across a silence, a NaN, or to nothing', () => {
      const silence = lineBreaksWithin(
        empty(30).aligned(),
        { x: 1000, value: 1, beyond: 950 },
        { x: 2000, value: 2, beyond: 2050 },
      );
      assert.equal(silence.joinsBefore || silence.joinsAfter, false, '1000 steps where it logs every 50');
      const nan = lineBreaksWithin(
        empty(30).aligned(),
        { x: 1000, value: Number.NaN, beyond: 950 },
        { x: 1050, value: 2, beyond: 1100 },
      );
      assert.deepEqual([nan.joinsBefore, nan.joinsAfter], [false, false], 'a NaN just before: nothing to join');
      const alone = lineBreaksWithin(empty(30).aligned(), { x: 1000, value: 1, beyond: Number.NaN }, null);
      assert.deepEqual([alone.joinsBefore, alone.joinsAfter], [false, false]);
    });

    it('weighs the outside points by the cadence inside the grid too', () => {
      // Every step inside the grid; the point before it is 500 steps away.
      const dense = new BucketAccumulator(100, 1000, 1100);
      for (let x = 1000; x <= 1100; x++) dense.addPoint(x, 1);
      const far = lineBreaksWithin(
        dense.aligned(),
        { x: 500, value: 1, beyond: 499 },
        { x: 1101, value: 1, beyond: 1102 },
      );
      assert.deepEqual([far.joinsBefore, far.joinsAfter], [false, true]);
    });
  });
});
