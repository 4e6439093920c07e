import * as assert from 'node:assert/strict';
import { nanToNull } from '../../../shared/nullableNumber';

describe('NaN as null', () => {
  it('turns NaN (and a missing value) into null, and keeps every other number', () => {
    assert.deepEqual([0, -1.5, Number.POSITIVE_INFINITY, Number.NaN, null].map(nanToNull), [
      0,
      -1.5,
      Number.POSITIVE_INFINITY,
      null,
      null,
    ]);
    assert.ok(Object.is(nanToNull(-0), -0), '-0 stays -0');
  });
});
