/** Metric values as people read them: up to 4 significant digits, NaN and infinities by name. */
export function formatMetricValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '∞';
  if (value === Number.NEGATIVE_INFINITY) return '-∞';
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

const UNITS: readonly [number, string][] = [
  [60, 's'],
  [60, 'min'],
  [24, 'h'],
  [7, 'd'],
  [Number.POSITIVE_INFINITY, 'w'],
];

/** "just now", "5 min ago", "3 h ago", "2 d ago". */
export function formatRelativeTime(then: number, now: number): string {
  if (!Number.isFinite(then)) return 'unknown time';
  let amount = Math.max(0, (now - then) / 1000);
  if (amount < 10) return 'just now';
  for (const [size, unit] of UNITS) {
    if (amount < size) return `${Math.floor(amount)} ${unit} ago`;
    amount /= size;
  }
  return 'long ago';
}
