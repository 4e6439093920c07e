// Browser half of chartCardLive.test.ts: one ChartCard against a fake host whose run keeps
// growing and whose replies the test releases one at a time, in the order it chooses.
import 'uplot/dist/uPlot.min.css';
import '../../webview/charts/charts.css';
import type { ChartData, ChartsState, ChartsViewMessage, ChartsViewReplies } from '../../shared/chartsProtocol';
import { DEFAULT_LAYOUT } from '../../shared/chartsProtocol';
import type { MessageOf } from '../../shared/messaging';
import { requester } from '../../shared/messaging';
import { ChartCard } from '../../webview/charts/chartCard';

const state: ChartsState = {
  runs: [{ id: 'live', name: 'busy-bee', status: 'RUNNING', color: '#4e79a7', label: '' }],
  keys: ['loss'],
  layout: DEFAULT_LAYOUT,
};
/** Steps the run has logged so far: 0 … steps - 1. */
let steps = 100;

/** The store's answer now: the run's points in [lo, hi] on `n` equal buckets. */
function answer(message: MessageOf<ChartsViewMessage, 'chartData'>): ChartData {
  const hi = message.range?.to ?? steps - 1;
  const lo = message.range?.from ?? 0;
  const n = message.buckets;
  const last = new Float64Array(n).fill(Number.NaN);
  let points = 0;
  for (let step = Math.ceil(lo); step <= Math.min(steps - 1, hi); step++) {
    last[Math.min(n - 1, Math.floor(((step - lo) / Math.max(1, hi - lo)) * n))] = 1 / (step + 1);
    points++;
  }
  return {
    key: message.key,
    lo,
    hi,
    buckets: n,
    extent: { lo: 0, hi: steps - 1 },
    runs: [
      {
        runId: 'live',
        last,
        min: last,
        max: last,
        smoothed: null,
        points,
        breaks: new Uint8Array(n),
        before: null,
        after: null,
      },
    ],
  };
}

/** Requests waiting for the test to release them; each is answered with the store as it is then. */
const held: (() => void)[] = [];
const drawn: number[] = [];
const card = new ChartCard('loss', {
  state: () => state,
  request: requester<ChartsViewMessage, ChartsViewReplies>({
    chartData: (message) =>
      new Promise((resolve) => {
        // The host reads the store when it gets the request, not when the reply arrives.
        const reply = answer(message);
        held.push(() => resolve(reply));
      }),
    exportPng: () => Promise.resolve(null),
    exportCsv: () => Promise.resolve(null),
  }),
  send: () => undefined,
  act: () => undefined,
  drew: (_key, _series, points) => drawn.push(points),
  error: (message) => {
    throw new Error(message);
  },
});
card.element.style.width = '800px';
document.body.append(card.element);

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

(globalThis as Record<string, unknown>)['harness'] = {
  drawn,
  held: () => held.length,
  grow: (to: number) => {
    steps = to;
  },
  load: () => void card.load(),
  refresh: () => void card.refreshRuns(['live']),
  /** Releases the held request at `index` (0: the oldest) and lets the card handle the reply. */
  release: async (index: number) => {
    const [next] = held.splice(index, 1);
    next?.();
    await settle();
  },
};
