import * as assert from 'node:assert/strict';
import { formatMetricValue, formatRelativeTime } from '../../../src/runs/format';

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
