import uPlot from 'uplot';
import type { ChartData, ChartRun } from '../../shared/chartsProtocol';

/** One run as a chart draws it: the host's typed arrays, one value per bucket of the grid. */
export interface PlotRun {
  readonly runId: string;
  readonly color: string;
  /** What the run's line goes through: its smoothed values, else each bucket's last value. */
  readonly line: Float64Array;
  /** Each bucket's last raw value, drawn faint under a smoothed line; null without smoothing. */
  readonly raw: Float64Array | null;
  /** Each bucket's lowest and highest value: the band, and the extremes a dense line passes through. */
  readonly min: Float64Array;
  readonly max: Float64Array;
  /** 1 where the line must not join a bucket to the run's previous drawn one (a NaN, a long silence). */
  readonly breaks: Uint8Array;
}

export interface PlotData {
  /** uPlot's data: only x, the centre of each bucket. The runs are drawn by `drawRuns`, not as uPlot series. */
  readonly data: uPlot.AlignedData;
  /** The grid: bucket i is centred on lo + (i + 0.5) × width. */
  readonly lo: number;
  readonly width: number;
  readonly runs: readonly PlotRun[];
  readonly log: boolean;
  /** The lowest and highest value drawn (null when nothing is). */
  readonly extent: { readonly min: number; readonly max: number } | null;
  /** Values hidden because the log scale cannot show them (≤ 0). */
  readonly hiddenByLog: number;
  /** Lines drawn: a line per run, and a faint raw one under each smoothed line. */
  readonly lines: number;
}

/** Whether a value can be drawn: finite, and positive on a log scale. */
export function drawable(value: number, log: boolean): boolean {
  return value - value === 0 && (!log || value > 0);
}

/** The x of each grid bucket: its centre. */
export function gridX(data: Pick<ChartData, 'lo' | 'hi' | 'buckets'>): number[] {
  const width = (data.hi - data.lo) / data.buckets;
  return Array.from({ length: data.buckets }, (_, i) => data.lo + (i + 0.5) * width);
}

/** One chart's runs, ready to draw: the runs that logged the key, the y extent over all of them. */
export function plotData(chart: ChartData, runs: readonly ChartRun[], log: boolean): PlotData {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const plotted: PlotRun[] = [];
  let hiddenByLog = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const run of chart.runs) {
    const meta = byId.get(run.runId);
    // A run that never logged this key has nothing to draw (it joins when its first point arrives).
    if (!meta || run.points === 0) continue;
    const line = run.smoothed ?? run.last;
    for (let i = 0; i < line.length; i++) {
      const lo = run.min[i];
      const hi = run.max[i];
      const v = line[i];
      if (log) {
        if (lo <= 0) hiddenByLog++;
        if (hi <= 0) hiddenByLog++;
      }
      if (drawable(lo, log) && lo < min) min = lo;
      if (drawable(hi, log) && hi > max) max = hi;
      if (drawable(v, log)) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    plotted.push({
      runId: run.runId,
      color: meta.color,
      line,
      raw: run.smoothed ? run.last : null,
      min: run.min,
      max: run.max,
      breaks: run.breaks,
    });
  }
  return {
    data: [gridX(chart)],
    lo: chart.lo,
    width: (chart.hi - chart.lo) / chart.buckets,
    runs: plotted,
    log,
    extent: min <= max ? { min, max } : null,
    hiddenByLog,
    lines: plotted.reduce((n, r) => n + (r.raw ? 2 : 1), 0),
  };
}

/** The y scale's range: the drawn values' extent padded the way uPlot pads its own. */
export function yRange(plot: PlotData | undefined): uPlot.Range.MinMax {
  const extent = plot?.extent;
  if (!extent) return plot?.log ? [1, 10] : [0, 1];
  return plot.log
    ? uPlot.rangeLog(extent.min, extent.max, 10, false)
    : uPlot.rangeNum(extent.min, extent.max, 0.1, true);
}

/**
 * The run's value at bucket `idx`: its own, or the last one before it when its line passes
 * through `idx` (bridging empty buckets); null where the line is not drawn (before the run's first
 * point, after its last, in a gap).
 */
export function valueAt(plot: PlotData, run: PlotRun, idx: number): number | null {
  const values = run.line;
  const shown = (i: number): boolean => drawable(values[i], plot.log);
  let p = Math.min(idx, values.length - 1);
  while (p >= 0 && !shown(p)) p--;
  if (p < 0) return null;
  if (p === idx) return values[p];
  let q = idx + 1;
  while (q < values.length && !shown(q)) q++;
  return q < values.length && run.breaks[q] === 0 ? values[p] : null;
}
