// The fake VS Code of chartsPage.test.ts, imported before the Charts panel's page
// (webview/charts/main.ts) so that its `acquireVsCodeApi()` finds it: what the page posts is kept,
// its chart data requests are answered with a short line per run, and the test pushes state as
// the host would.
import type { ChartData, ChartsState, ChartsViewMessage } from '../../shared/chartsProtocol';
import type { Envelope } from '../../shared/messaging';

const posted: ChartsViewMessage[] = [];
let saved: unknown;

function data(message: Extract<ChartsViewMessage, { type: 'chartData' }>, runIds: readonly string[]): ChartData {
  const n = message.buckets;
  const line = (scale: number): Float64Array => Float64Array.from({ length: n }, (_, i) => scale / (1 + i));
  return {
    key: message.key,
    lo: 0,
    hi: n - 1,
    buckets: n,
    extent: { lo: 0, hi: n - 1 },
    runs: runIds.map((runId, r) => {
      const last = line(r + 1);
      return {
        runId,
        last,
        min: last,
        max: last,
        smoothed: null,
        breaks: new Uint8Array(n),
        before: null,
        after: null,
        points: n,
      };
    }),
  };
}

let shownRuns: readonly string[] = [];
const toPage = (envelope: Envelope<never> | { kind: string; [k: string]: unknown }): void =>
  window.postMessage(envelope, '*');

(globalThis as Record<string, unknown>)['acquireVsCodeApi'] = () => ({
  postMessage(envelope: Envelope<ChartsViewMessage>): void {
    if (envelope.kind === 'reply') return;
    posted.push(envelope.body);
    if (envelope.kind === 'request' && envelope.body.type === 'chartData') {
      toPage({
        kind: 'reply',
        id: envelope.id,
        ok: true,
        body: data(envelope.body, envelope.body.runIds ?? shownRuns),
      });
    } else if (envelope.kind === 'request') {
      toPage({ kind: 'reply', id: envelope.id, ok: true, body: null });
    }
  },
  getState: () => saved,
  setState: (state: unknown) => {
    saved = state;
  },
});

(globalThis as Record<string, unknown>)['harness'] = {
  /** What the page posted so far (events and requests), oldest first. */
  posted: (): ChartsViewMessage[] => posted,
  /** The host's state message. */
  state(state: ChartsState): void {
    shownRuns = state.runs.map((r) => r.id);
    toPage({ kind: 'event', body: { type: 'state', state } });
  },
};
