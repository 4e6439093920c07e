// The runs table's bench page, first module: a VS Code webview API whose host answers at once
// from synthetic rows (10,000 runs × 100 params × 100 metrics), and a frame clock the bench drives.
// It must run before main.ts, which connects to the host as it loads.
import type { TableEntry, TableLayout, TableRun } from '../../../shared/runsTable';
import { DEFAULT_TABLE_LAYOUT } from '../../../shared/runsTable';
import type { TableState, TableViewMessage } from '../../../shared/runsTableProtocol';

const RUNS = 10_000;
const PARAMS = Array.from({ length: 100 }, (_, i) => `param_${String(i).padStart(3, '0')}`);
const METRICS = Array.from({ length: 100 }, (_, i) => `metric_${String(i).padStart(3, '0')}`);

function run(i: number): TableRun {
  return {
    id: `run${String(i).padStart(6, '0')}`,
    name: `run-${i}`,
    experiment: 'sweep',
    status: i % 17 === 0 ? 'FAILED' : 'FINISHED',
    startTime: 1_732_600_000_000 + i * 60_000,
    endTime: 1_732_600_000_000 + i * 60_000 + 50_000,
    git: { commit: '0123456789abcdef0123456789abcdef01234567', branch: 'main', dirty: i % 3 === 0 },
    pinned: false,
    deleted: false,
    parentRunId: null,
    params: Object.fromEntries(PARAMS.map((key, k) => [key, String(((i + 1) * (k + 3)) % 997)])),
    metrics: Object.fromEntries(
      METRICS.map((key, k) => {
        const v = 1 / (1 + ((i * (k + 1)) % 101));
        return [key, { last: v, min: v / 2, max: v * 2 }];
      }),
    ),
    tags: {},
    note: null,
    sparks: {},
    children: 0,
    childMetrics: {},
  };
}

export const benchState = {
  layout: { ...DEFAULT_TABLE_LAYOUT, sorts: [] } as TableLayout,
  /** Set by the bench: called with each render report's time since the state arrived. */
  onRendered: undefined as ((ms: number, rows: number, cells: number) => void) | undefined,
  frames: [] as FrameRequestCallback[],
  version: 1,
};

function post(body: unknown): void {
  window.postMessage(body, '*');
}

function reply(id: number, body: unknown): void {
  post({ kind: 'reply', id, ok: true, body });
}

export function sendState(): void {
  benchState.version++;
  const state: TableState = {
    version: benchState.version,
    layout: benchState.layout,
    keys: { params: PARAMS, metrics: METRICS, tags: [] },
    filter: '',
    filterError: null,
    goals: {},
    keyMetric: '',
    folder: null,
  };
  post({ kind: 'event', body: { type: 'state', state } });
}

function handle(envelope: { kind: string; id?: number; body: TableViewMessage }): void {
  const message = envelope.body;
  if (message.type === 'ready') sendState();
  if (message.type === 'rendered') {
    benchState.onRendered?.(message.report.ms, message.report.rowElements, message.report.cellElements);
  }
  if (envelope.kind !== 'request' || envelope.id === undefined) return;
  if (message.type === 'rows') {
    const end = Math.min(RUNS, message.offset + message.limit);
    const entries: TableEntry[] = [];
    for (let i = message.offset; i < end; i++) entries.push({ kind: 'run', depth: 0, expanded: false, run: run(i) });
    reply(envelope.id, { total: RUNS, runs: RUNS, offset: message.offset, entries, version: message.version });
  } else if (message.type === 'bests') {
    reply(envelope.id, []);
  } else {
    reply(envelope.id, null);
  }
}

// The panel's page has this element (src/panels/webviewHtml.ts); the table fills it.
const app = document.createElement('div');
app.id = 'app';
document.body.append(app);

(globalThis as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
  postMessage: (envelope: { kind: string; id?: number; body: TableViewMessage }) =>
    queueMicrotask(() => handle(envelope)),
  getState: () => undefined,
  setState: () => undefined,
});
// Frames run when the bench says, so it can time each one (the page's work and the layout it forces).
window.requestAnimationFrame = (callback) => {
  benchState.frames.push(callback);
  return benchState.frames.length;
};

export const benchData = { RUNS, PARAMS, METRICS, run };
