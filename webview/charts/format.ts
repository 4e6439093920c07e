import type { ChartX } from '../../shared/chartsProtocol';

/** Metric values as people read them: up to 4 significant digits. */
export function formatValue(value: number | null): string {
  if (value === null || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/** A duration in ms as `45 s`, `12 min`, `1.5 h`. */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (Math.abs(s) < 60) return `${Number(s.toPrecision(3))} s`;
  if (Math.abs(s) < 3600) return `${Number((s / 60).toPrecision(3))} min`;
  return `${Number((s / 3600).toPrecision(3))} h`;
}

/** An x value on the chosen axis. */
export function formatX(x: ChartX, value: number): string {
  if (x === 'step') return String(Math.round(value));
  if (x === 'relative') return formatDuration(value);
  return new Date(value).toLocaleString();
}

export const X_LABELS: Record<ChartX, string> = { step: 'Step', time: 'Wall time', relative: 'Relative time' };
