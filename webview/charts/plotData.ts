import uPlot from 'uplot';
import type { ChartData, ChartRun, EdgePoint } from '../../shared/chartsProtocol';

/** A run's point just outside a zoomed grid, which its line goes on to. */
export interface PlotEdge {
  readonly x: number;
  /** The value the run's line goes through there (smoothed, else raw). */
  readonly line: number;
  /** The raw value, for the faint raw line under a smoothed one; null without smoothing. */
  readonly raw: number | null;
}

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
  readonly before: PlotEdge | null;
  readonly after: PlotEdge | null;
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

function edgeOf(point: EdgePoint | null): PlotEdge | null {
  if (!point) return null;
  return point.smoothed === null
    ? { x: point.x, line: point.last, raw: null }
    : { x: point.x, line: point.smoothed, raw: point.last };
}

/** One chart's runs, ready to draw: the runs that logged the key, the y extent over all of them. */
export function plotData(chart: ChartData, runs: readonly ChartRun[], log: boolean): PlotData {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const plotted: PlotRun[] = [];
  const width = (chart.hi - chart.lo) / chart.buckets;
  let hiddenByLog = 0;
  let min = Infinity;
  let max = -Infinity;
  const include = (v: number): void => {
    if (!drawable(v, log)) return;
    if (v < min) min = v;
    if (v > max) max = v;
  };
  for (const run of chart.runs) {
    const meta = byId.get(run.runId);
    const before = edgeOf(run.before);
    const after = edgeOf(run.after);
    // A run that never logged this key has nothing to draw (it joins when its first point arrives);
    // zoomed in between two of its points, its line still crosses the chart.
    if (!meta || (run.points === 0 && !before && !after)) continue;
    const line = run.smoothed ?? run.last;
    let first = -1;
    let last = -1;
    for (let i = 0; i < line.length; i++) {
      const lo = run.min[i];
      const hi = run.max[i];
      const v = line[i];
      if (log) {
        if (lo <= 0) hiddenByLog++;
        if (hi <= 0) hiddenByLog++;
      }
      include(lo);
      include(hi);
      include(v);
      if (drawable(v, log)) {
        if (first < 0) first = i;
        last = i;
      }
    }
    // Where a line from a point outside the grid enters and leaves it.
    const centre = (i: number): number => chart.lo + (i + 0.5) * width;
    if (before) {
      const [x, v] =
        first >= 0 ? [centre(first), line[first]] : after ? [after.x, after.line] : [before.x, before.line];
      include(interpolate(before.x, before.line, x, v, chart.lo, log));
    }
    if (after) {
      const [x, v] = last >= 0 ? [centre(last), line[last]] : before ? [before.x, before.line] : [after.x, after.line];
      include(interpolate(x, v, after.x, after.line, chart.hi, log));
    }
    plotted.push({
      runId: run.runId,
      color: meta.color,
      line,
      raw: run.smoothed ? run.last : null,
      min: run.min,
      max: run.max,
      breaks: run.breaks,
      before,
      after,
    });
  }
  return {
    data: [gridX(chart)],
    lo: chart.lo,
    width,
    runs: plotted,
    log,
    extent: min <= max ? { min, max } : null,
    hiddenByLog,
    lines: plotted.reduce((n, r) => n + (r.raw ? 2 : 1), 0),
  };
}

/** The value at `x` on the straight line (straight on the chart: in log space on a log scale) through two points. */
function interpolate(x0: number, v0: number, x1: number, v1: number, x: number, log: boolean): number {
  if (x1 === x0) return v1;
  const t = (x - x0) / (x1 - x0);
  if (!log) return v0 + t * (v1 - v0);
  return 10 ** (Math.log10(v0) + t * (Math.log10(v1) - Math.log10(v0)));
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

/**
 * Where the run's line is drawn at bucket `idx`: its value there, or between two of its points the
 * straight line through them; null where no line is drawn. For telling which line a click hit.
 */
export function lineAt(plot: PlotData, run: PlotRun, idx: number): number | null {
  const values = run.line;
  const shown = (i: number): boolean => drawable(values[i], plot.log);
  if (idx >= 0 && idx < values.length && shown(idx)) return values[idx];
  let p = Math.min(idx, values.length) - 1;
  while (p >= 0 && !shown(p)) p--;
  let q = Math.max(idx, -1) + 1;
  while (q < values.length && !shown(q)) q++;
  if (p < 0 || q >= values.length || run.breaks[q] !== 0) return null;
  return interpolate(p, values[p], q, values[q], idx, plot.log);
}
