import uPlot from 'uplot';
import type { PlotData, PlotEdge, PlotRun } from './plotData';
import { drawable } from './plotData';

/** A line through sparse columns; dense ones are hairlines (see `drawRuns`). */
const LINE_WIDTH = 1.5;
const DENSE_WIDTH = 1;
const RAW_WIDTH = 1;
const MARKER_RADIUS = 2.5;
const BAND_ALPHA = 0.16;
const RAW_ALPHA = 0.3;

/** How a column joins the one before it. */
const START = 0;
/** The next bucket: the column is drawn the M4 way, through its highest, lowest and last value. */
const NEXT = 1;
/** Across empty buckets (another run's cadence): straight to its last value. */
const BRIDGE = 2;

/**
 * A run's buckets merged into canvas-pixel columns (highest max, lowest min, latest last), as
 * canvas y. Scratch arrays grown on demand and shared by every run and chart: drawing a hundred
 * runs allocates nothing.
 */
class Columns {
  n = 0;
  /** How many of the n columns are the run's points outside the grid (a zoomed range's neighbours). */
  outside = 0;
  x = new Float64Array(0);
  top = new Float64Array(0);
  bottom = new Float64Array(0);
  end = new Float64Array(0);
  join = new Uint8Array(0);

  reserve(size: number): void {
    if (this.x.length >= size) return;
    this.x = new Float64Array(size);
    this.top = new Float64Array(size);
    this.bottom = new Float64Array(size);
    this.end = new Float64Array(size);
    this.join = new Uint8Array(size);
  }
}

const columns = new Columns();

/** The chart's scales as canvas-pixel transforms: bucket index → x, value → y. */
interface Frame {
  readonly x0: number;
  readonly dx: number;
  /** Canvas x of an x value (for points off the grid). */
  x(value: number): number;
  y(value: number): number;
  /** Canvas x bounds a line is cut at (points outside the grid may lie very far away). */
  readonly left: number;
  readonly right: number;
}

function frameOf(u: uPlot, plot: PlotData): Frame {
  const x0 = u.valToPos(plot.lo + 0.5 * plot.width, 'x', true);
  const dx = u.valToPos(plot.lo + 1.5 * plot.width, 'x', true) - x0;
  const x = (value: number): number => x0 + dx * ((value - plot.lo) / plot.width - 0.5);
  const left = u.bbox.left - u.bbox.width;
  const right = u.bbox.left + 2 * u.bbox.width;
  const { min, max } = u.scales.y;
  const a = min ?? 0;
  const b = max !== undefined && max !== a ? max : a + 1;
  const ya = u.valToPos(a, 'y', true);
  if (plot.log) {
    const la = Math.log10(a);
    const k = (u.valToPos(b, 'y', true) - ya) / (Math.log10(b) - la);
    return { x0, dx, x, left, right, y: (v) => ya + (Math.log10(v) - la) * k };
  }
  const k = (u.valToPos(b, 'y', true) - ya) / (b - a);
  return { x0, dx, x, left, right, y: (v) => ya + (v - a) * k };
}

/** Moves column `c` along its segment towards column `toward` until it is within [left, right]. */
function cut(cols: Columns, c: number, toward: number, frame: Frame): void {
  const { x, top, bottom, end } = cols;
  const bound = x[c] < frame.left ? frame.left : x[c] > frame.right ? frame.right : x[c];
  if (bound === x[c] || x[toward] === x[c]) return;
  const t = (bound - x[c]) / (x[toward] - x[c]);
  end[c] += t * (end[toward] - end[c]);
  top[c] = bottom[c] = end[c];
  x[c] = bound;
}

/**
 * Fills `columns` with a run's buckets. Empty buckets between two of the run's points are bridged
 * (they are empty because other runs log more often) unless the store marked a break there; on a
 * zoomed grid the line also goes on to the run's points just outside it, when the store sent them.
 */
function trace(
  run: PlotRun,
  values: Float64Array,
  pick: (edge: PlotEdge) => number,
  frame: Frame,
  log: boolean,
): Columns {
  const n = values.length;
  columns.reserve(n + 2);
  const { x, top, bottom, end, join } = columns;
  const { min, max, breaks } = run;
  let c = 0;
  let previous = -2;
  const edge = (point: PlotEdge | null): void => {
    if (!point || !drawable(pick(point), log)) return;
    x[c] = frame.x(point.x);
    top[c] = bottom[c] = end[c] = frame.y(pick(point));
    join[c] = c === 0 ? START : BRIDGE;
    c++;
    columns.outside++;
  };
  columns.outside = 0;
  edge(run.before);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const shown = drawable(v, log);
    let hi = max[i];
    let lo = min[i];
    if (!drawable(hi, log)) hi = shown ? v : drawable(lo, log) ? lo : Number.NaN;
    if (!drawable(lo, log)) lo = shown ? v : hi;
    if (Number.isNaN(hi)) continue;
    const px = Math.round(frame.x0 + frame.dx * i);
    const yTop = frame.y(hi);
    const yBottom = frame.y(lo);
    const yEnd = shown ? frame.y(v) : yBottom;
    if (c > 0 && breaks[i] === 0 && x[c - 1] === px) {
      if (yTop < top[c - 1]) top[c - 1] = yTop;
      if (yBottom > bottom[c - 1]) bottom[c - 1] = yBottom;
      end[c - 1] = yEnd;
    } else {
      x[c] = px;
      top[c] = yTop;
      bottom[c] = yBottom;
      end[c] = yEnd;
      join[c] = c === 0 || breaks[i] !== 0 ? START : i - previous === 1 ? NEXT : BRIDGE;
      c++;
    }
    previous = i;
  }
  const last = c;
  edge(run.after);
  columns.n = c;
  if (c > 1 && columns.outside > 0) {
    if (run.before && x[0] < frame.left) cut(columns, 0, 1, frame);
    if (c > last && x[c - 1] > frame.right) cut(columns, c - 1, c - 2, frame);
  }
  return columns;
}

/**
 * Strokes the traced line. `envelope`: dense stretches go through each column's highest and lowest
 * value and then its last (the M4 way: every extreme of a million points shows as a raw plot would
 * show it), bridged columns get their extent as a tick. Otherwise a line through the last values.
 */
function strokeLine(ctx: CanvasRenderingContext2D, cols: Columns, envelope: boolean): void {
  const { n, x, top, bottom, end, join } = cols;
  ctx.beginPath();
  for (let c = 0; c < n; c++) {
    const px = x[c];
    if (!envelope) {
      if (join[c] === START) ctx.moveTo(px, end[c]);
      else ctx.lineTo(px, end[c]);
      continue;
    }
    if (join[c] === BRIDGE) {
      ctx.lineTo(px, end[c]);
      if (bottom[c] - top[c] >= 1) {
        ctx.moveTo(px, top[c]);
        ctx.lineTo(px, bottom[c]);
        ctx.moveTo(px, end[c]);
      }
      continue;
    }
    // A column less than half a pixel tall is a point (a smooth curve: one vertex, not three).
    const flat = bottom[c] - top[c] < 0.5;
    const first = flat ? end[c] : top[c];
    if (join[c] === START) ctx.moveTo(px, first);
    else ctx.lineTo(px, first);
    if (flat) continue;
    ctx.lineTo(px, bottom[c]);
    if (end[c] !== bottom[c]) ctx.lineTo(px, end[c]);
  }
  ctx.stroke();
}

/** Separate pieces of a traced line. */
function pieces(cols: Columns): number {
  let count = 0;
  for (let c = 0; c < cols.n; c++) if (cols.join[c] === START) count++;
  return count;
}

/** The lone points of a traced line (columns that are a stretch of their own): x, y pairs. */
function lonePoints(cols: Columns): number[] {
  const { n, x, end, join } = cols;
  const points: number[] = [];
  for (let c = 0; c < n; c++) {
    if (join[c] === START && (c + 1 === n || join[c + 1] === START)) points.push(x[c], end[c]);
  }
  return points;
}

/**
 * A dot on each lone point. Drawn unclipped, so a lone point on the plot's edge shows whole; points
 * off the plot (zoomed away) are skipped.
 */
function fillMarkers(
  ctx: CanvasRenderingContext2D,
  points: readonly number[],
  radius: number,
  left: number,
  right: number,
): void {
  ctx.beginPath();
  for (let i = 0; i < points.length; i += 2) {
    const x = points[i];
    const y = points[i + 1];
    if (x < left - 0.5 || x > right + 0.5) continue;
    ctx.moveTo(x + radius, y);
    ctx.arc(x, y, radius, 0, 2 * Math.PI);
  }
  ctx.fill();
}

/** The min–max band between the columns of each stretch. */
function fillBand(ctx: CanvasRenderingContext2D, cols: Columns): void {
  const { n, x, top, bottom, join } = cols;
  ctx.beginPath();
  for (let start = 0; start < n;) {
    let stop = start + 1;
    while (stop < n && join[stop] !== START) stop++;
    if (stop - start > 1) {
      ctx.moveTo(x[start], top[start]);
      for (let c = start + 1; c < stop; c++) ctx.lineTo(x[c], top[c]);
      for (let c = stop - 1; c >= start; c--) ctx.lineTo(x[c], bottom[c]);
      ctx.closePath();
    }
    start = stop;
  }
  ctx.fill();
}

function withAlpha(color: string, alpha: number): string {
  const a = Math.round(alpha * 255)
    .toString(16)
    .padStart(2, '0');
  return /^#[0-9a-f]{6}$/i.test(color) ? `${color}${a}` : color;
}

/** How a run's line was drawn: pixel columns, separate pieces, pieces of one column (markers). */
export interface RunDrawing {
  readonly runId: string;
  readonly columns: number;
  readonly pieces: number;
  readonly markers: number;
}

/**
 * Draws every run of a chart on uPlot's canvas (its `draw` hook, after the axes): per run the
 * min–max band where its columns are sparse (dense, the M4 line already shows every extreme and a
 * hundred bands would cost more than their lines), the faint raw line under a smoothed one, the
 * line, and a marker on every isolated point. Straight Canvas 2D calls on typed arrays: uPlot lays
 * out the axes and handles the cursor; a series per run would cost more than its line.
 *
 * Dense lines are 1 px wide: a column's extent already gives them weight, and a 1-px stroke is a
 * hairline to the rasterizer, which Chromium's software canvas fills 30 times faster than a
 * 1.5-px one (a hundred dense runs: 20 ms against 650 ms).
 */
export function drawRuns(u: uPlot, plot: PlotData): RunDrawing[] {
  if (plot.runs.length === 0) return [];
  const ctx = u.ctx;
  const ratio = uPlot.pxRatio;
  const { left, top, width, height } = u.bbox;
  const frame = frameOf(u, plot);
  const drawn: RunDrawing[] = [];
  const lone: { color: string; points: number[] }[] = [];
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.lineJoin = 'round';
  for (const run of plot.runs) {
    const raw = trace(run, run.raw ?? run.line, (e) => e.raw ?? e.line, frame, plot.log);
    const dense = raw.n >= width / ratio / 3;
    if (!dense) {
      ctx.fillStyle = withAlpha(run.color, BAND_ALPHA);
      fillBand(ctx, raw);
    }
    if (run.raw) {
      ctx.strokeStyle = withAlpha(run.color, RAW_ALPHA);
      ctx.lineWidth = RAW_WIDTH * ratio;
      strokeLine(ctx, raw, true);
    }
    const line = run.raw ? trace(run, run.line, (e) => e.line, frame, plot.log) : raw;
    ctx.strokeStyle = run.color;
    ctx.lineWidth = (dense ? DENSE_WIDTH : LINE_WIDTH) * ratio;
    strokeLine(ctx, line, !run.raw);
    const points = lonePoints(line);
    if (points.length > 0) lone.push({ color: run.color, points });
    drawn.push({
      runId: run.runId,
      columns: line.n - line.outside,
      pieces: pieces(line),
      markers: points.length / 2,
    });
  }
  ctx.restore();
  for (const { color, points } of lone) {
    ctx.fillStyle = color;
    fillMarkers(ctx, points, MARKER_RADIUS * ratio, left, left + width);
  }
  return drawn;
}
