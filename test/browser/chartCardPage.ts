// Browser half of chartCard.test.ts: one ChartCard against a fake host whose "store" holds two
// runs of 10,000 steps and buckets them as the real one does (last, min, max per equal bucket).
import 'uplot/dist/uPlot.min.css';
import '../../webview/charts/charts.css';
import type { ChartData, ChartsState, ChartsViewMessage, ChartsViewReplies } from '../../shared/chartsProtocol';
import { DEFAULT_LAYOUT } from '../../shared/chartsProtocol';
import { requester } from '../../shared/messaging';
import { ChartCard } from '../../webview/charts/chartCard';

const STEPS = 10_000;
export const HOSTILE = '<img src=x onerror="window.injected=1">';
const state: ChartsState = {
  runs: [
    { id: 'a', name: 'calm-fox', status: 'FINISHED', color: '#4e79a7', label: 'lr=0.1' },
    { id: 'b', name: HOSTILE, status: 'FINISHED', color: '#e15759', label: 'lr=0.01' },
  ],
  keys: ['loss'],
  layout: DEFAULT_LAYOUT,
};
const value = (run: string, step: number): number => (run === 'a' ? 1 : 3) / (1 + step / 1000);

function bucket(run: string, lo: number, hi: number, n: number): ChartData['runs'][number] {
  const last = new Float64Array(n).fill(Number.NaN);
  const min = new Float64Array(n).fill(Number.NaN);
  const max = new Float64Array(n).fill(Number.NaN);
  const width = (hi - lo) / n;
  let points = 0;
  for (let step = Math.max(0, Math.ceil(lo)); step <= Math.min(STEPS - 1, hi); step++) {
    const b = Math.min(n - 1, Math.floor((step - lo) / width));
    const v = value(run, step);
    last[b] = v;
    if (!(v >= min[b])) min[b] = v;
    if (!(v <= max[b])) max[b] = v;
    points++;
  }
  // Every step logged: the line never breaks.
  return { runId: run, last, min, max, smoothed: null, breaks: new Uint8Array(n), before: null, after: null, points };
}

const requests: ChartsViewMessage[] = [];
const sent: ChartsViewMessage[] = [];
const drawn: { series: number; points: number }[] = [];
const card = new ChartCard('loss', {
  state: () => state,
  request: requester<ChartsViewMessage, ChartsViewReplies>({
    chartData: (message) => {
      requests.push(message);
      const lo = message.range?.from ?? 0;
      const hi = message.range?.to ?? STEPS - 1;
      const n = message.buckets;
      const data: ChartData = {
        key: message.key,
        lo,
        hi,
        buckets: n,
        extent: { lo: 0, hi: STEPS - 1 },
        runs: (message.runIds ?? ['a', 'b']).map((run) => bucket(run, lo, hi, n)),
      };
      return Promise.resolve(data);
    },
    exportPng: (message) => {
      requests.push(message);
      return Promise.resolve(null);
    },
    exportCsv: (message) => {
      requests.push(message);
      return Promise.resolve(null);
    },
  }),
  send: (message) => sent.push(message),
  act: () => undefined,
  drew: (_key, series, points) => drawn.push({ series, points }),
  error: (message) => {
    throw new Error(message);
  },
});
card.element.style.width = '800px';
document.body.append(card.element);

interface Plot {
  valToPos(value: number, scale: string): number;
  over: HTMLElement;
}

(globalThis as Record<string, unknown>)['harness'] = {
  requests,
  sent,
  drawn,
  load: () => card.load(),
  zoomedTo: () => card.zoomedTo,
  /** Page coordinates of run `run`'s line at `step` (for clicks). */
  pointOf: (run: string, step: number) => {
    const plot = (card as unknown as { chart: Plot }).chart;
    const box = plot.over.getBoundingClientRect();
    return { x: box.left + plot.valToPos(step, 'x'), y: box.top + plot.valToPos(value(run, step), 'y') };
  },
  overBox: () => {
    const box = (card as unknown as { chart: Plot }).chart.over.getBoundingClientRect();
    return { left: box.left, top: box.top, width: box.width, height: box.height };
  },
  png: () => card.png(),
};
