// Moved to shared/ so webviews format numbers the same way; re-exported for the host's callers.
export { formatMetricValue } from '../../shared/formatValue';

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
