import * as assert from 'node:assert/strict';
import { nanToNull, nullToNan } from '../../../shared/nullableNumber';

describe('NaN as null and back', () => {
  it('turns NaN (and only NaN) into null, and null back into NaN', () => {
    assert.deepEqual([0, -1.5, Number.POSITIVE_INFINITY, Number.NaN, null].map(nanToNull), [
      0,
      -1.5,
      Number.POSITIVE_INFINITY,
      null,
      null,
    ]);
    assert.deepEqual([0, 2, null].map(nullToNan), [0, 2, Number.NaN]);
    assert.ok(Object.is(nanToNull(-0), -0), '-0 stays -0');
  });
});
