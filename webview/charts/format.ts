import type { ChartX } from '../../shared/chartsProtocol';
import { formatDuration, formatMetricValue } from '../../shared/formatValue';

/** A value on a chart (an axis tick, the tooltip): as everywhere else, and a dash where a run has none. */
export function formatValue(value: number | null): string {
  return value === null || Number.isNaN(value) ? '—' : formatMetricValue(value);
}

/** An x value on the chosen axis. */
export function formatX(x: ChartX, value: number): string {
  if (x === 'step') return String(Math.round(value));
  if (x === 'relative') return formatDuration(value);
  return new Date(value).toLocaleString();
}

export const X_LABELS: Record<ChartX, string> = { step: 'Step', time: 'Wall time', relative: 'Relative time' };
