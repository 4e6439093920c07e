/**
 * Geometry of the Compare panel's plots, as fractions (0 = bottom/left, 1 = top/right) that the
 * webview multiplies by pixels: axes for params and metrics (linear, log when positive values span
 * two decades or more, categories for text), the parallel-coordinates lines and the scatter points.
 */
import type { CompareRun, CompareSnapshot } from './compareProtocol';
import { compareRows, metricValue } from './compareModel';
import { metricGoal } from './metricGoal';
import type { MetricGoal } from './metricGoal';
import { formatMetricValue } from './formatValue';

export type Axis =
  | { readonly kind: 'linear' | 'log'; readonly label: string; readonly min: number; readonly max: number }
  | { readonly kind: 'category'; readonly label: string; readonly categories: readonly string[] };

export interface Tick {
  readonly at: number;
  readonly label: string;
}

/** How wide a range of positive values must be (max / min) before a log axis reads better. */
const LOG_SPAN = 100;

function asNumber(value: string): number {
  return value.trim() === '' ? Number.NaN : Number(value);
}

/** The axis that fits these values; missing values (null) do not shape it. */
export function axisFor(label: string, values: readonly (string | null)[]): Axis {
  const present = values.filter((v): v is string => v !== null);
  const numbers = present.map(asNumber);
  if (present.length === 0 || !numbers.every(Number.isFinite)) {
    return { kind: 'category', label, categories: [...new Set(present)].sort((a, b) => a.localeCompare(b)) };
  }
  const min = Math.min(...numbers);
  const max = Math.max(...numbers);
  return { kind: min > 0 && max / min >= LOG_SPAN ? 'log' : 'linear', label, min, max };
}

/** Where a value sits on an axis, 0…1; null when it is missing or not on the axis. */
export function position(axis: Axis, value: string | null): number | null {
  if (value === null) return null;
  if (axis.kind === 'category') {
    const i = axis.categories.indexOf(value);
    if (i === -1) return null;
    return axis.categories.length === 1 ? 0.5 : i / (axis.categories.length - 1);
  }
  const n = asNumber(value);
  if (!Number.isFinite(n) || (axis.kind === 'log' && n <= 0)) return null;
  const f = axis.kind === 'log' ? Math.log10 : (x: number): number => x;
  const lo = f(axis.min);
  const hi = f(axis.max);
  return hi === lo ? 0.5 : (f(n) - lo) / (hi - lo);
}

/** A few labelled positions along an axis: its ends and middle, decades on a log axis, every category. */
export function ticks(axis: Axis): Tick[] {
  if (axis.kind === 'category') {
    return axis.categories.map((c) => ({ at: position(axis, c) ?? 0.5, label: c }));
  }
  if (axis.min === axis.max) return [{ at: 0.5, label: formatMetricValue(axis.min) }];
  const values: number[] = [];
  if (axis.kind === 'log') {
    for (let e = Math.ceil(Math.log10(axis.min)); e <= Math.floor(Math.log10(axis.max)); e++) values.push(10 ** e);
  }
  if (values.length < 2) values.splice(0, values.length, axis.min, (axis.min + axis.max) / 2, axis.max);
  return values.map((v) => ({ at: position(axis, String(v)) ?? 0, label: formatMetricValue(v) }));
}

export interface PlotLine {
  readonly runId: string;
  readonly name: string;
  /** One position per axis; null where the run has no value. */
  readonly points: readonly (number | null)[];
  /** The metric's position on its axis, for the color; null without a value. */
  readonly shade: number | null;
}

export interface ParallelPlot {
  readonly axes: readonly Axis[];
  readonly lines: readonly PlotLine[];
  readonly goal: MetricGoal;
}

function metricText(run: CompareRun, key: string): string | null {
  const value = metricValue(run, key, 'last', 'min');
  return value === null ? null : String(value);
}

/** The params that differ between the runs, then the metric's last value: one line per run. */
export function parallelPlot(snapshot: CompareSnapshot, metricKey: string): ParallelPlot {
  const { runs } = snapshot;
  const params = compareRows(snapshot).filter((row) => row.section === 'params' && row.differs);
  const metricValues = runs.map((run) => metricText(run, metricKey));
  const metricAxis = axisFor(`${metricKey} (last)`, metricValues);
  const axes = [...params.map((row) => axisFor(row.label, row.values)), metricAxis];
  const lines = runs.map((run, i) => ({
    runId: run.id,
    name: run.name,
    points: [...params.map((row, a) => position(axes[a], row.values[i])), position(metricAxis, metricValues[i])],
    shade: position(metricAxis, metricValues[i]),
  }));
  return { axes, lines, goal: metricGoal(metricKey, snapshot.goals) };
}

export interface ScatterPoint {
  readonly runId: string;
  readonly name: string;
  readonly x: number;
  readonly y: number;
}

export interface ScatterPlot {
  readonly x: Axis;
  readonly y: Axis;
  /** Runs that have both values. */
  readonly points: readonly ScatterPoint[];
}

export function scatterPlot(snapshot: CompareSnapshot, paramKey: string, metricKey: string): ScatterPlot {
  const xs = snapshot.runs.map((run) => run.params[paramKey] ?? null);
  const ys = snapshot.runs.map((run) => metricText(run, metricKey));
  const x = axisFor(paramKey, xs);
  const y = axisFor(`${metricKey} (last)`, ys);
  const points: ScatterPoint[] = [];
  snapshot.runs.forEach((run, i) => {
    const px = position(x, xs[i]);
    const py = position(y, ys[i]);
    if (px !== null && py !== null) points.push({ runId: run.id, name: run.name, x: px, y: py });
  });
  return { x, y, points };
}

/**
 * Purple → blue → teal → green → yellow, like viridis but without its near-black end, so the worst
 * run's line stays visible on a dark theme.
 */
const RAMP: readonly (readonly [number, number, number])[] = [
  [137, 84, 196],
  [59, 130, 200],
  [33, 170, 140],
  [120, 200, 80],
  [240, 215, 40],
];

/** The color for a shade 0…1, where 1 is the better end for the metric's goal. */
export function rampColor(shade: number, goal: MetricGoal): string {
  const t = Math.min(1, Math.max(0, goal === 'min' ? 1 - shade : shade)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(t));
  const f = t - i;
  const [r, g, b] = RAMP[i].map((c, k) => Math.round(c + (RAMP[i + 1][k] - c) * f));
  return `rgb(${r}, ${g}, ${b})`;
}
