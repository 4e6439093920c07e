/**
 * Numbers as people read them, the same on the host (tree, hovers, exports) and in webviews (the
 * Compare table, the Charts axes and tooltips). No `vscode`, no DOM, no Node.
 */

/** Metric values: up to 4 significant digits, NaN and infinities by name. */
export function formatMetricValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '∞';
  if (value === Number.NEGATIVE_INFINITY) return '-∞';
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/**
 * A duration in ms: "0.25 s", "42 s", "3 min 5 s", "5 min", "2 h 10 min", "2 h". Whole units, the
 * two largest, a zero second part left out; under 10 s two significant digits, so a chart's axis
 * zoomed in to a few seconds still labels its ticks apart.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 9_950) return `${Number((ms / 1000).toPrecision(2))} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  const minutes = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${minutes === 0 ? '' : ` ${minutes} min`}`;
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
