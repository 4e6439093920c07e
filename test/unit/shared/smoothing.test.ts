import * as assert from 'node:assert/strict';
import { smoothEma } from '../../../shared/smoothing';

describe('EMA smoothing', () => {
  it('is the identity at weight 0 and debiases the start', () => {
    assert.deepEqual([...smoothEma([1, 2, 3], 0)], [1, 2, 3]);
    // Debiased, a constant series stays constant from its first point on.
    assert.deepEqual(
      [...smoothEma([5, 5, 5, 5], 0.9)].map((v) => Number(v.toFixed(12))),
      [5, 5, 5, 5],
    );
  });

  it('follows the textbook recurrence', () => {
    const w = 0.5;
    const out = smoothEma([0, 10], w);
    // average: 0 then 0.5*0 + 0.5*10 = 5; debiased by 1 - 0.5^2 = 0.75.
    assert.equal(out[0], 0);
    assert.equal(out[1], 5 / 0.75);
  });

  it('passes NaN and infinities through without disturbing the average', () => {
    const out = smoothEma([2, Number.NaN, Number.POSITIVE_INFINITY, 2], 0.6);
    assert.ok(Number.isNaN(out[1]));
    assert.equal(out[2], Number.POSITIVE_INFINITY);
    assert.equal(Number(out[3].toFixed(12)), 2);
  });

  it('clamps the weight into [0, 0.999]', () => {
    assert.deepEqual([...smoothEma([1, 3], -1)], [1, 3]);
    // At 0.999, debiasing makes the first points nearly their mean; at 1 it would divide 0 by 0.
    const out = smoothEma([1, 3], 5);
    assert.ok(out[1] > 2 && out[1] < 2.001, String(out[1]));
  });
});
