// Browser half of chartLines.test.ts: one ChartCard whose fake host buckets the points a test
// gives it the way the store does (one shared grid, BucketAccumulator, the store's line breaks),
// and reads back, column by column, which pixels of the plot each run's color inked.
import 'uplot/dist/uPlot.min.css';
import '../../webview/charts/charts.css';
import type {
  ChartData,
  ChartLayout,
  ChartsState,
  ChartsViewMessage,
  ChartsViewReplies,
} from '../../shared/chartsProtocol';
import { DEFAULT_LAYOUT } from '../../shared/chartsProtocol';
import { requester } from '../../shared/messaging';
import type { OutsidePoint } from '../../src/store/chartGaps';
import { lineBreaksWithin } from '../../src/store/chartGaps';
import { BucketAccumulator } from '../../src/store/bucketGrid';
import { ChartCard } from '../../webview/charts/chartCard';

export interface RunSpec {
  readonly id: string;
  /** `#rrggbb`: the test finds the run's line by this color. */
  readonly color: string;
  /** [x, value] in any order; value may be NaN. */
  readonly points: readonly (readonly [number, number])[];
}

export interface Scenario {
  readonly runs: readonly RunSpec[];
  readonly layout?: Partial<ChartLayout>;
  /** The card's CSS width (default 800). */
  readonly width?: number;
  /** Zoomed in to this x range, as a drag across the chart would. */
  readonly zoom?: { readonly from: number; readonly to: number };
}

interface Plot {
  axes: { _values?: unknown[] }[];
  valToPos(value: number, scale: string, canvasPixels?: boolean): number;
  bbox: { left: number; top: number; width: number; height: number };
  ctx: CanvasRenderingContext2D;
  over: HTMLElement;
}

let card: ChartCard | undefined;
let drawn = 0;
const sent: ChartsViewMessage[] = [];

function bucketRun(run: RunSpec, lo: number, hi: number, n: number): ChartData['runs'][number] {
  const grid = new BucketAccumulator(n, lo, hi);
  let points = 0;
  // The nearest two points on each side of the grid, as the store finds them.
  const outside = (side: -1 | 1): OutsidePoint | null => {
    const xs = run.points.filter(([x]) => (side < 0 ? x < lo : x > hi)).sort((a, b) => side * (a[0] - b[0]));
    return xs.length === 0 ? null : { x: xs[0][0], value: xs[0][1], beyond: xs[1]?.[0] ?? Number.NaN };
  };
  const before = outside(-1);
  const after = outside(1);
  for (const [x, value] of run.points) {
    if (x < lo || x > hi) continue;
    grid.addPoint(x, value);
    points++;
  }
  const buckets = grid.aligned();
  const shape = lineBreaksWithin(buckets, before, after);
  return {
    runId: run.id,
    last: buckets.last,
    min: buckets.min,
    max: buckets.max,
    smoothed: null,
    points,
    breaks: shape.breaks,
    before: before && shape.joinsBefore ? { x: before.x, last: before.value, smoothed: null } : null,
    after: after && shape.joinsAfter ? { x: after.x, last: after.value, smoothed: null } : null,
  };
}

async function show(scenario: Scenario): Promise<void> {
  card?.destroy();
  const state: ChartsState = {
    runs: scenario.runs.map((r) => ({ id: r.id, name: r.id, status: 'FINISHED', color: r.color, label: '' })),
    keys: ['metric'],
    layout: { ...DEFAULT_LAYOUT, ...scenario.layout },
  };
  let lo = Infinity;
  let hi = -Infinity;
  for (const run of scenario.runs) {
    for (const [x] of run.points) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
  }
  drawn = 0;
  card = new ChartCard('metric', {
    state: () => state,
    request: requester<ChartsViewMessage, ChartsViewReplies>({
      chartData: (message) => {
        const from = message.range?.from ?? lo;
        const to = message.range?.to ?? (hi > lo ? hi : lo + 1);
        const data: ChartData = {
          key: message.key,
          lo: from,
          hi: to,
          buckets: message.buckets,
          extent: { lo, hi },
          runs: scenario.runs.map((run) => bucketRun(run, from, to, message.buckets)),
        };
        return Promise.resolve(data);
      },
      exportPng: () => Promise.resolve(null),
      exportCsv: () => Promise.resolve(null),
    }),
    send: (message) => sent.push(message),
    act: () => undefined,
    drew: () => drawn++,
    error: (message) => {
      throw new Error(message);
    },
  });
  if (scenario.zoom) (card as unknown as { zoom: Scenario['zoom'] }).zoom = scenario.zoom;
  card.element.style.width = `${scenario.width ?? 800}px`;
  document.body.replaceChildren(card.element);
  await card.load();
  // Drawing happens in uPlot's commit, a microtask after the data is set.
  await new Promise((resolve) => requestAnimationFrame(resolve));
}

function plot(): Plot {
  const chart = (card as unknown as { chart: Plot | undefined }).chart;
  if (!chart) throw new Error('no chart drawn');
  return chart;
}

function parse(color: string): [number, number, number] {
  const n = Number.parseInt(color.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * Per canvas-pixel column of the plot area, how many pixels are (nearly opaque) `color`: a run's
 * line and markers, not its faint band or raw line.
 */
function ink(color: string): number[] {
  const u = plot();
  const { left, top, width, height } = u.bbox;
  const pixels = u.ctx.getImageData(left, top, width, height).data;
  const [r, g, b] = parse(color);
  const columns = new Array<number>(width).fill(0);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      const near = Math.abs(pixels[at] - r) + Math.abs(pixels[at + 1] - g) + Math.abs(pixels[at + 2] - b) < 90;
      if (near && pixels[at + 3] >= 110) columns[x]++;
    }
  }
  return columns;
}

(globalThis as Record<string, unknown>)['harness'] = {
  show,
  ink,
  drawn: () => drawn,
  /** The canvas-pixel column of the plot area (as `ink` counts them) where `x` is drawn. */
  column: (x: number) => Math.round(plot().valToPos(x, 'x', true) - plot().bbox.left),
  /** Pixels of `color` on the whole canvas (the plot and its margins) within 4 px of (x, value). */
  inkAround: (color: string, x: number, value: number) => {
    const u = plot();
    const cx = Math.round(u.valToPos(x, 'x', true));
    const cy = Math.round(u.valToPos(value, 'y', true));
    const pixels = u.ctx.getImageData(cx - 4, cy - 4, 9, 9).data;
    const [r, g, b] = parse(color);
    let count = 0;
    for (let at = 0; at < pixels.length; at += 4) {
      const near = Math.abs(pixels[at] - r) + Math.abs(pixels[at + 1] - g) + Math.abs(pixels[at + 2] - b) < 90;
      if (near && pixels[at + 3] >= 110) count++;
    }
    return count;
  },
  /** Messages the card sent the host (a click's revealRun). */
  sent: () => sent,
  /** Page coordinates of (x, value) on the chart, for the mouse. */
  pagePoint: (x: number, value: number) => {
    const box = plot().over.getBoundingClientRect();
    return { x: box.left + plot().valToPos(x, 'x'), y: box.top + plot().valToPos(value, 'y') };
  },
  /** The y axis' tick labels as drawn. */
  yLabels: () => plot().axes[1]._values ?? [],
  note: () => card?.element.querySelector('.note')?.textContent ?? '',
};
