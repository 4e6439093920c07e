// The browser half of `bench/charts.bench.ts`: draws synthetic charts the way the panel does
// (plotData + chartOptions + uPlot) and, as the reference, the same lines and bands with bare
// Canvas 2D calls — the floor any canvas chart pays. Times include layout and the first paint.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartData, ChartRun } from '../../shared/chartsProtocol';
import { DEFAULT_LAYOUT } from '../../shared/chartsProtocol';
import { chartOptions } from './chartOptions';
import { plotData } from './plotData';

const WIDTH = 1200;
const HEIGHT = 240;
const THEME = { foreground: '#333', grid: 'rgba(128,128,128,0.25)', font: '11px sans-serif' };

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
    series.push({ runId: `r${r}`, last, min, max, smoothed: null, breaks: new Uint8Array(buckets), points: buckets });
  }
  return { data: { key: 'loss', lo: 0, hi: buckets, buckets, extent: { lo: 0, hi: buckets }, runs: series }, runs };
}

async function drawRunlog(charts: number, runCount: number, buckets: number): Promise<number> {
  const { data, runs } = synthetic(runCount, buckets);
  const host = document.createElement('div');
  document.body.append(host);
  const start = performance.now();
  const drawn: Promise<void>[] = [];
  const plots: uPlot[] = [];
  for (let c = 0; c < charts; c++) {
    const plot = plotData(data, runs, false);
    drawn.push(
      new Promise((resolve) => {
        const options = chartOptions({
          plot,
          layout: DEFAULT_LAYOUT,
          width: WIDTH,
          height: HEIGHT,
          axisWidth: 64,
          theme: THEME,
          hooks: { draw: [() => resolve()] },
        });
        plots.push(new uPlot(options, plot.data, host));
      }),
    );
  }
  await Promise.all(drawn);
  const ms = performance.now() - start;
  for (const p of plots) p.destroy();
  host.remove();
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
  // Reading a pixel waits for the drawing to finish.
  canvases[canvases.length - 1].getContext('2d')?.getImageData(0, 0, 1, 1);
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
