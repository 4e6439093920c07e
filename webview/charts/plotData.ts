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

/**
 * The min–max band as plain polygons (max forward, min back), one per stretch of non-empty
 * buckets, with at most one vertex pair per pixel column (the column's highest max and lowest min).
 * uPlot's own bands clip the canvas per band, which with a hundred runs on a software canvas costs
 * more than the lines; a filled polygon paints the same pixels.
 */
function bandPaths(minIdx: number): uPlot.Series.PathBuilder {
  return (u, maxIdx, idx0, idx1) => {
    const xs = u.data[0];
    const hi = u.data[maxIdx] as (number | null | undefined)[];
    const lo = u.data[minIdx] as (number | null | undefined)[];
    // Pixel columns of the current stretch: x, top (smallest canvas y), bottom (largest).
    const colX: number[] = [];
    const colTop: number[] = [];
    const colBottom: number[] = [];
    const stretches: { x: number[]; top: number[]; bottom: number[] }[] = [];
    let columns = 0;
    const flush = (): void => {
      if (colX.length > 0) stretches.push({ x: colX.splice(0), top: colTop.splice(0), bottom: colBottom.splice(0) });
    };
    for (let i = idx0; i <= idx1; i++) {
      const top = hi[i];
      const bottom = lo[i];
      if (top === null || top === undefined || bottom === null || bottom === undefined) {
        flush();
        continue;
      }
      const x = Math.round(u.valToPos(xs[i], 'x', true));
      const yTop = u.valToPos(top, 'y', true);
      const yBottom = u.valToPos(bottom, 'y', true);
      const last = colX.length - 1;
      if (last >= 0 && colX[last] === x) {
        if (yTop < colTop[last]) colTop[last] = yTop;
        if (yBottom > colBottom[last]) colBottom[last] = yBottom;
      } else {
        colX.push(x);
        colTop.push(yTop);
        colBottom.push(yBottom);
      }
    }
    flush();
    for (const s of stretches) columns += s.x.length;
    // Dense (about a column per pixel): a 1-px vertical stroke per column paints the band far
    // cheaper than filling a polygon. Sparse (zoomed in): a polygon between the columns.
    if (columns >= u.bbox.width / 2) {
      const stroke = new Path2D();
      for (const s of stretches) {
        for (let j = 0; j < s.x.length; j++) {
          stroke.moveTo(s.x[j] + 0.5, s.top[j]);
          stroke.lineTo(s.x[j] + 0.5, Math.max(s.bottom[j], s.top[j] + 1));
        }
      }
      return { stroke, fill: null };
    }
    const fill = new Path2D();
    for (const s of stretches) {
      fill.moveTo(s.x[0], s.top[0]);
      for (let j = 1; j < s.x.length; j++) fill.lineTo(s.x[j], s.top[j]);
      for (let j = s.x.length - 1; j >= 0; j--) fill.lineTo(s.x[j], s.bottom[j]);
      fill.closePath();
    }
    return { fill, stroke: null };
  };
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
  const index: RunSeriesIndex[] = [];
  const byId = new Map(runs.map((r) => [r.id, r]));
  for (const run of chart.runs) {
    const meta = byId.get(run.runId);
    // A run that never logged this key has nothing to draw (it joins when its first point arrives).
    if (!meta || run.points === 0) continue;
    // The min series draws nothing (it still counts for the y range); the max series fills the band.
    const min = columns.push(column(run.min, log, hidden)) - 1;
    series.push({ label: `${meta.name} min`, width: 0, points: { show: false }, paths: () => null });
    const max = columns.push(column(run.max, log, hidden)) - 1;
    series.push({
      label: `${meta.name} max`,
      width: 1,
      stroke: withAlpha(meta.color, 0.2),
      fill: withAlpha(meta.color, 0.16),
      points: { show: false },
      paths: bandPaths(min),
    });
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
  return { data: columns as uPlot.AlignedData, series, index, hiddenByLog: hidden.count };
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
