import * as assert from 'node:assert/strict';
import { formatDuration, formatMetricValue, formatRelativeTime } from '../../../shared/formatValue';

describe('formatting', () => {
  it('shows metric values compactly', () => {
    assert.equal(formatMetricValue(3), '3');
    assert.equal(formatMetricValue(0.123456), '0.1235');
    assert.equal(formatMetricValue(12345.678), '12350');
    assert.equal(formatMetricValue(1234567.8), '1.235e+6');
    assert.equal(formatMetricValue(0.0000123), '1.230e-5');
    assert.equal(formatMetricValue(0), '0');
    assert.equal(formatMetricValue(Number.NaN), 'NaN');
    assert.equal(formatMetricValue(Number.NEGATIVE_INFINITY), '-∞');
  });

  it('shows durations in whole units, the two largest, and short ones to two digits', () => {
    const table: [number, string][] = [
      [0, '0 s'],
      [250, '0.25 s'],
      [1_500, '1.5 s'],
      [9_940, '9.9 s'],
      [9_960, '10 s'],
      [42_300, '42 s'],
      [59_600, '1 min'],
      [60_000, '1 min'],
      [90_000, '1 min 30 s'],
      [185_000, '3 min 5 s'],
      [3_600_000, '1 h'],
      [5_400_000, '1 h 30 min'],
      [5_459_000, '1 h 30 min'],
      [7_800_000, '2 h 10 min'],
      [180_000_000, '50 h'],
      [-90_000, '-1 min 30 s'],
      [Number.NaN, '—'],
    ];
    assert.deepEqual(
      table.map(([ms]) => formatDuration(ms)),
      table.map(([, text]) => text),
    );
  });

  it('shows times relative to now', () => {
    const now = 10_000_000_000;
    assert.equal(formatRelativeTime(now - 2_000, now), 'just now');
    assert.equal(formatRelativeTime(now - 42_000, now), '42 s ago');
    assert.equal(formatRelativeTime(now - 5 * 60_000, now), '5 min ago');
    assert.equal(formatRelativeTime(now - 3 * 3_600_000, now), '3 h ago');
    assert.equal(formatRelativeTime(now - 2 * 86_400_000, now), '2 d ago');
    assert.equal(formatRelativeTime(now - 21 * 86_400_000, now), '3 w ago');
    assert.equal(formatRelativeTime(Number.NaN, now), 'unknown time');
  });
});
