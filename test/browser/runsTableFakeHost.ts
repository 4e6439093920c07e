// The fake host of runsTableTestPage.ts: a VS Code webview API whose host owns the state as the
// panel does — it takes each layout the page sends, sorts its 1,000 runs by it and pushes the state
// again — and records what the page asks of it. Run 3 has a hostile name.
import type { TableEntry, TableLayout, TableRun } from '../../shared/runsTable';
import { DEFAULT_TABLE_LAYOUT } from '../../shared/runsTable';
import type { TableReport, TableState, TableViewMessage } from '../../shared/runsTableProtocol';

const RUNS = 1_000;
/** Enough params after `lr` that the table scrolls across, in blocks of columns. */
const EXTRA = Array.from({ length: 40 }, (_, k) => `x${String(k).padStart(2, '0')}`);
const HOSTILE_NAME = '<img src=x onerror="window.injected=1">';

function run(i: number): TableRun {
  return {
    id: `run${String(i).padStart(4, '0')}`,
    name: i === 3 ? HOSTILE_NAME : `run-${i}`,
    experiment: 'sweep',
    status: 'FINISHED',
    startTime: 1_732_600_000_000 + i * 60_000,
    endTime: 1_732_600_000_000 + i * 60_000 + 50_000,
    git: null,
    pinned: false,
    deleted: false,
    parentRunId: null,
    params: { lr: String((i % 7) / 100), ...Object.fromEntries(EXTRA.map((key, k) => [key, String(i * 100 + k)])) },
    metrics: { loss: { last: ((i * 37) % 1000) / 1000, min: 0, max: 1 } },
    tags: {},
    note: null,
    sparks: {},
    children: 0,
    childMetrics: {},
  };
}
const all = Array.from({ length: RUNS }, (_, i) => run(i));

let layout: TableLayout = { ...DEFAULT_TABLE_LAYOUT, pinned: ['run.name'], sorts: [] };
let version = 1;
let order: TableRun[] = all;
const sent: TableViewMessage[] = [];
const reports: TableReport[] = [];

/** The host's sort: by each sort column in turn (name, lr or loss), ties by id. */
function sortRuns(): void {
  const value = (r: TableRun, column: string): string | number =>
    column === 'run.name'
      ? r.name
      : column === 'params.lr'
        ? Number(r.params['lr'])
        : column === 'metrics.loss'
          ? (r.metrics['loss']?.last ?? 0)
          : r.startTime;
  order = [...all].sort((a, b) => {
    for (const sort of layout.sorts) {
      const x = value(a, sort.column);
      const y = value(b, sort.column);
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      if (c !== 0) return sort.descending ? -c : c;
    }
    return a.id.localeCompare(b.id);
  });
}

function post(body: unknown): void {
  window.postMessage(body, '*');
}

function sendState(): void {
  version++;
  sortRuns();
  const state: TableState = {
    version,
    layout,
    keys: { params: ['lr', ...EXTRA], metrics: ['loss'], tags: [] },
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
  if (message.type === 'rendered') reports.push(message.report);
  else sent.push(message);
  if (message.type === 'ready') sendState();
  if (message.type === 'layout') {
    layout = message.layout;
    sendState();
  }
  if (envelope.kind !== 'request' || envelope.id === undefined) return;
  const reply = (body: unknown): void => post({ kind: 'reply', id: envelope.id, ok: true, body });
  if (message.type === 'rows') {
    const entries: TableEntry[] = order
      .slice(message.offset, message.offset + message.limit)
      .map((r) => ({ kind: 'run', depth: 0, expanded: false, run: r }));
    reply({ total: RUNS, runs: RUNS, offset: message.offset, entries, version: message.version });
  } else if (message.type === 'ids') {
    reply(order.slice(message.from, message.to).map((r) => r.id));
  } else if (message.type === 'bests') {
    reply([]);
  } else {
    reply(null);
  }
}

const app = document.createElement('div');
app.id = 'app';
document.body.append(app);
(globalThis as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
  postMessage: (envelope: { kind: string; id?: number; body: TableViewMessage }) =>
    queueMicrotask(() => handle(envelope)),
  getState: () => undefined,
  setState: () => undefined,
});

(globalThis as Record<string, unknown>)['harness'] = {
  /** The last report drawn, or null before the first. */
  report: (): TableReport | null => reports.at(-1) ?? null,
  reports: (): number => reports.length,
  /** The messages of these types the page sent, oldest first. */
  sent: (...types: string[]): TableViewMessage[] => sent.filter((m) => types.includes(m.type)),
  layout: (): TableLayout => layout,
  injected: (): unknown => (globalThis as Record<string, unknown>)['injected'],
};
