import uPlot from 'uplot';
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

interface Stretch {
  readonly x: number[];
  readonly top: number[];
  readonly bottom: number[];
  /** Canvas y of the last value in each column. */
  readonly last: number[];
}

/**
 * A run's buckets merged into pixel columns (highest max, lowest min, latest last), in stretches
 * of non-empty buckets, and whether they are dense (about a column per pixel).
 */
function pixelColumns(
  u: uPlot,
  minIdx: number,
  maxIdx: number,
  lastIdx: number,
  idx0: number,
  idx1: number,
): { stretches: Stretch[]; dense: boolean } {
  const xs = u.data[0];
  const hi = u.data[maxIdx] as (number | null | undefined)[];
  const lo = u.data[minIdx] as (number | null | undefined)[];
  const ends = u.data[lastIdx] as (number | null | undefined)[];
  const stretches: Stretch[] = [];
  let current: Stretch | undefined;
  let columns = 0;
  for (let i = idx0; i <= idx1; i++) {
    const top = hi[i];
    const bottom = lo[i];
    const end = ends[i];
    if (
      top === null ||
      top === undefined ||
      bottom === null ||
      bottom === undefined ||
      end === null ||
      end === undefined
    ) {
      current = undefined;
      continue;
    }
    const x = Math.round(u.valToPos(xs[i], 'x', true));
    const yTop = u.valToPos(top, 'y', true);
    const yBottom = u.valToPos(bottom, 'y', true);
    const yLast = u.valToPos(end, 'y', true);
    if (!current) {
      current = { x: [], top: [], bottom: [], last: [] };
      stretches.push(current);
    }
    const at = current.x.length - 1;
    if (at >= 0 && current.x[at] === x) {
      if (yTop < current.top[at]) current.top[at] = yTop;
      if (yBottom > current.bottom[at]) current.bottom[at] = yBottom;
      current.last[at] = yLast;
    } else {
      current.x.push(x);
      current.top.push(yTop);
      current.bottom.push(yBottom);
      current.last.push(yLast);
      columns++;
    }
  }
  return { stretches, dense: columns >= u.bbox.width / 3 };
}

/** About a bucket per pixel or more: without counting columns, from the visible index range. */
function looksDense(u: uPlot, idx0: number, idx1: number): boolean {
  return idx1 - idx0 + 1 >= u.bbox.width / 3;
}

/**
 * The min–max band. Zoomed in (sparse columns): a polygon between the columns' highs and lows.
 * Dense, the run's line already passes through every column's extremes (see `envelopePaths`), so
 * the band adds nothing and is not drawn: a hundred runs' bands cost more than their lines.
 */
function bandPaths(minIdx: number, lastIdx: number): uPlot.Series.PathBuilder {
  return (u, maxIdx, idx0, idx1) => {
    if (looksDense(u, idx0, idx1)) return null;
    const { stretches, dense } = pixelColumns(u, minIdx, maxIdx, lastIdx, idx0, idx1);
    if (dense) return null;
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

/**
 * The line of a run. Dense, it is drawn the M4 way: in each pixel column through the lowest and
 * highest value the column stands for, then its last, so every extreme of a million points shows
 * as a raw plot of them would. Sparse (zoomed in to single points), a straight line through the
 * buckets' last values.
 */
function envelopePaths(minIdx: number, maxIdx: number): uPlot.Series.PathBuilder {
  const straight = uPlot.paths.linear?.();
  return (u, lastIdx, idx0, idx1) => {
    if (!looksDense(u, idx0, idx1) && straight) return straight(u, lastIdx, idx0, idx1);
    const { stretches } = pixelColumns(u, minIdx, maxIdx, lastIdx, idx0, idx1);
    const stroke = new Path2D();
    for (const s of stretches) {
      stroke.moveTo(s.x[0], s.top[0]);
      for (let j = 0; j < s.x.length; j++) {
        if (j > 0) stroke.lineTo(s.x[j], s.top[j]);
        stroke.lineTo(s.x[j], s.bottom[j]);
        stroke.lineTo(s.x[j], s.last[j]);
      }
    }
    return { stroke, fill: null };
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
      // The raw last values come next: the faint raw line when smoothed, else the line itself.
      paths: bandPaths(min, max + 1),
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
        paths: envelopePaths(min, max),
      });
    }
    const line = columns.push(column(run.smoothed ?? run.last, log, { count: 0 })) - 1;
    series.push({
      label: meta.name,
      stroke: meta.color,
      width: 1.5,
      points: { show: false },
      spanGaps: true,
      ...(run.smoothed ? {} : { paths: envelopePaths(min, max) }),
    });
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
