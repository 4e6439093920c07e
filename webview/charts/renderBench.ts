// The browser half of `bench/charts.bench.ts`: draws synthetic charts with the panel's own chart
// cards (ChartCard: plotData, uPlot's axes, drawRuns) against a host that answers at once, and,
// as the reference, the same lines and bands with bare Canvas 2D calls — the floor any canvas chart
// pays. Both clocks run until every chart is rasterized: a canvas records drawing calls and fills
// its pixels later; reading one pixel back from each makes that happen inside the measurement.
import 'uplot/dist/uPlot.min.css';
import './charts.css';
import type {
  ChartData,
  ChartRun,
  ChartsState,
  ChartsViewMessage,
  ChartsViewReplies,
} from '../../shared/chartsProtocol';
import { DEFAULT_LAYOUT } from '../../shared/chartsProtocol';
import { requester } from '../../shared/messaging';
import { ChartCard } from './chartCard';

const WIDTH = 1200;
const HEIGHT = 240;

function synthetic(runCount: number, buckets: number): { data: ChartData; runs: ChartRun[] } {
  const runs: ChartRun[] = [];
  const series = [];
  for (let r = 0; r < runCount; r++) {
    const last = new Float64Array(buckets);
    const min = new Float64Array(buckets);
    const max = new Float64Array(buckets);
    for (let i = 0; i < buckets; i++) {
      const v = (1 + r / runCount) / (1 + i / 100) + 0.05 * Math.sin(i * 0.7 + r);
      last[i] = v;
      min[i] = v - 0.02;
      max[i] = v + 0.02;
    }
    runs.push({
      id: `r${r}`,
      name: `run-${r}`,
      status: 'FINISHED',
      color: `hsl(${(r * 37) % 360} 60% 50%)`,
      label: '',
    });
    series.push({
      runId: `r${r}`,
      last,
      min,
      max,
      smoothed: null,
      breaks: new Uint8Array(buckets),
      before: null,
      after: null,
      points: buckets,
    });
  }
  return { data: { key: 'loss', lo: 0, hi: buckets, buckets, extent: { lo: 0, hi: buckets }, runs: series }, runs };
}

async function drawRunlog(charts: number, runCount: number, buckets: number): Promise<number> {
  const { data, runs } = synthetic(runCount, buckets);
  const state: ChartsState = { runs, keys: ['loss'], layout: DEFAULT_LAYOUT };
  const grid = document.createElement('div');
  document.body.append(grid);
  const start = performance.now();
  const cards: ChartCard[] = [];
  let left = charts;
  let done: () => void = () => undefined;
  const drawn = new Promise<void>((resolve) => (done = resolve));
  for (let c = 0; c < charts; c++) {
    const card = new ChartCard(`loss${c}`, {
      state: () => state,
      request: requester<ChartsViewMessage, ChartsViewReplies>({
        chartData: () => Promise.resolve({ ...data, key: `loss${c}` }),
        exportPng: () => Promise.resolve(null),
        exportCsv: () => Promise.resolve(null),
      }),
      send: () => undefined,
      act: () => undefined,
      drew: () => {
        if (--left === 0) done();
      },
      error: (message) => console.error(message),
    });
    // Its padding comes on top (charts.css): the chart inside is WIDTH px wide.
    card.element.style.width = `${WIDTH}px`;
    grid.append(card.element);
    cards.push(card);
  }
  await Promise.all(cards.map((card) => card.load()));
  await drawn;
  for (const card of cards) card.element.querySelector('canvas')?.getContext('2d')?.getImageData(0, 0, 1, 1);
  const ms = performance.now() - start;
  for (const card of cards) card.destroy();
  grid.remove();
  return ms;
}

function drawReference(charts: number, runCount: number, buckets: number): number {
  const { data } = synthetic(runCount, buckets);
  const start = performance.now();
  const canvases: HTMLCanvasElement[] = [];
  for (let c = 0; c < charts; c++) {
    const canvas = document.createElement('canvas');
    canvas.width = WIDTH;
    canvas.height = HEIGHT;
    document.body.append(canvas);
    canvases.push(canvas);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2d context');
    const x = (i: number): number => (i / buckets) * WIDTH;
    const y = (v: number): number => HEIGHT - (v / 2.2) * HEIGHT;
    for (const run of data.runs) {
      ctx.beginPath();
      for (let i = 0; i < buckets; i++) ctx.lineTo(x(i), y(run.max[i]));
      for (let i = buckets - 1; i >= 0; i--) ctx.lineTo(x(i), y(run.min[i]));
      ctx.closePath();
      ctx.fillStyle = 'rgba(78,121,167,0.16)';
      ctx.fill();
      ctx.beginPath();
      for (let i = 0; i < buckets; i++) ctx.lineTo(x(i), y(run.last[i]));
      ctx.strokeStyle = '#4e79a7';
      ctx.stroke();
    }
  }
  for (const canvas of canvases) canvas.getContext('2d')?.getImageData(0, 0, 1, 1);
  const ms = performance.now() - start;
  for (const c of canvases) c.remove();
  return ms;
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median of `repeat` timed runs after one warm-up, for Runlog's charts and the reference. */
async function measure(
  charts: number,
  runs: number,
  buckets: number,
  repeat: number,
): Promise<{ runlog: number; reference: number }> {
  await drawRunlog(charts, runs, buckets);
  drawReference(charts, runs, buckets);
  const ours: number[] = [];
  const reference: number[] = [];
  for (let i = 0; i < repeat; i++) {
    ours.push(await drawRunlog(charts, runs, buckets));
    reference.push(drawReference(charts, runs, buckets));
  }
  return { runlog: median(ours), reference: median(reference) };
}

(window as unknown as { runlogBench: typeof measure }).runlogBench = measure;
