import type uPlot from 'uplot';
import type { ChartData, ChartRun } from '../../shared/chartsProtocol';

/** Where each run's series sit in the uPlot data: its line, the band's edges, and the faint raw line. */
export interface RunSeriesIndex {
  readonly runId: string;
  readonly line: number;
  readonly min: number;
  readonly max: number;
  /** The raw line drawn faint under a smoothed one; -1 without smoothing. */
  readonly raw: number;
}

export interface PlotData {
  readonly data: uPlot.AlignedData;
  readonly series: uPlot.Series[];
  readonly bands: uPlot.Band[];
  readonly index: RunSeriesIndex[];
  /** Values hidden because the log scale cannot show them (≤ 0). */
  readonly hiddenByLog: number;
}

function withAlpha(color: string, alpha: number): string {
  const a = Math.round(alpha * 255)
    .toString(16)
    .padStart(2, '0');
  return /^#[0-9a-f]{6}$/i.test(color) ? `${color}${a}` : color;
}

/** NaN (an empty bucket) and, on a log scale, values ≤ 0 become gaps. */
function column(values: Float64Array, log: boolean, hidden: { count: number }): (number | null)[] {
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v) || !Number.isFinite(v)) out[i] = null;
    else if (log && v <= 0) {
      out[i] = null;
      hidden.count++;
    } else out[i] = v;
  }
  return out;
}

/** The x of each grid bucket: its centre. */
export function gridX(data: Pick<ChartData, 'lo' | 'hi' | 'buckets'>): number[] {
  const width = (data.hi - data.lo) / data.buckets;
  return Array.from({ length: data.buckets }, (_, i) => data.lo + (i + 0.5) * width);
}

/**
 * uPlot's columns for one chart: per run a min–max band (the extremes of every point the bucket
 * stands for), the line through each bucket's last value (or the smoothed value, with the raw line
 * kept faint), all against the grid's shared x.
 */
export function plotData(chart: ChartData, runs: readonly ChartRun[], log: boolean): PlotData {
  const hidden = { count: 0 };
  const columns: uPlot.AlignedData[number][] = [gridX(chart)];
  const series: uPlot.Series[] = [{}];
  const bands: uPlot.Band[] = [];
  const index: RunSeriesIndex[] = [];
  const byId = new Map(runs.map((r) => [r.id, r]));
  for (const run of chart.runs) {
    const meta = byId.get(run.runId);
    // A run that never logged this key has nothing to draw (it joins when its first point arrives).
    if (!meta || run.points === 0) continue;
    const min = columns.push(column(run.min, log, hidden)) - 1;
    series.push({
      label: `${meta.name} min`,
      stroke: 'transparent',
      width: 0,
      points: { show: false },
      spanGaps: true,
    });
    const max = columns.push(column(run.max, log, hidden)) - 1;
    series.push({
      label: `${meta.name} max`,
      stroke: 'transparent',
      width: 0,
      points: { show: false },
      spanGaps: true,
    });
    bands.push({ series: [max, min], fill: withAlpha(meta.color, 0.16) });
    let raw = -1;
    if (run.smoothed) {
      raw = columns.push(column(run.last, log, hidden)) - 1;
      series.push({
        label: `${meta.name} raw`,
        stroke: withAlpha(meta.color, 0.3),
        width: 1,
        points: { show: false },
        spanGaps: true,
      });
    }
    const line = columns.push(column(run.smoothed ?? run.last, log, { count: 0 })) - 1;
    series.push({ label: meta.name, stroke: meta.color, width: 1.5, points: { show: false }, spanGaps: true });
    index.push({ runId: run.runId, line, min, max, raw });
  }
  return { data: columns as uPlot.AlignedData, series, bands, index, hiddenByLog: hidden.count };
}

/** The run's value at bucket `idx`, or the nearest drawn value before it (a line passes through it). */
export function valueAt(data: uPlot.AlignedData, seriesIdx: number, idx: number): number | null {
  const values = data[seriesIdx] as (number | null | undefined)[];
  for (let i = Math.min(idx, values.length - 1); i >= 0; i--) {
    const v = values[i];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}
