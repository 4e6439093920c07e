import './compare.css';
import type {
  CompareHostMessage,
  ComparePanelState,
  CompareSnapshot,
  CompareWebviewMessage,
  CompareWebviewReplies,
  ExportDestination,
  ExportFormat,
} from '../../shared/compareProtocol';
import { isCompareHostMessage, isComparePanelState } from '../../shared/compareProtocol';
import { compareRows, metricKeys, paramKeys } from '../../shared/compareModel';
import { parallelPlot, scatterPlot } from '../../shared/comparePlot';
import { metricGoal } from '../../shared/metricGoal';
import { connectToHost, el, getWebviewState, setWebviewState } from '../common/host';
import { button, checkbox, dropdown, setChoices } from './controls';
import { drawParallel, drawScatter } from './plots';
import { renderTable } from './table';

const saved = getWebviewState();
let state: ComparePanelState = isComparePanelState(saved) ? saved : { runIds: [] };
let snapshot: CompareSnapshot | undefined;

function update(change: Partial<ComparePanelState>): void {
  state = { ...state, ...change };
  setWebviewState(state);
  render();
}

const channel = connectToHost<CompareWebviewMessage, CompareHostMessage, CompareWebviewReplies>({
  onEvent: (message) => {
    switch (message.type) {
      case 'snapshot':
        snapshot = message.snapshot;
        update({ runIds: [...snapshot.runs.map((r) => r.id), ...snapshot.missing] });
        break;
    }
  },
  onRequest: () => Promise.reject(new Error('the compare panel answers no requests')),
  isMessage: isCompareHostMessage,
  onInvalid: (reason) => console.warn(`runlog compare: dropped a message (${reason})`),
});

function exportAs(format: ExportFormat, destination: ExportDestination): void {
  channel.send({ type: 'export', format, destination, onlyDifferences: state.onlyDifferences ?? false });
}

const app = document.getElementById('app') ?? document.body;
const toolbar = el(
  'div',
  { className: 'toolbar' },
  checkbox('Only differences', state.onlyDifferences ?? false, (checked) => update({ onlyDifferences: checked })),
  el('span', { className: 'spacer' }),
  button('Open as Markdown', () => exportAs('markdown', 'document')),
  button('Copy Markdown', () => exportAs('markdown', 'clipboard')),
  button('Save Markdown…', () => exportAs('markdown', 'save')),
  button('Save CSV…', () => exportAs('csv', 'save')),
);
const notice = el('p', { className: 'notice' });
const tableHost = el('div', { className: 'table-host' });

const diffLeft = dropdown('First run', () => undefined);
const diffRight = dropdown('Second run', () => undefined);
const diffBar = el(
  'div',
  { className: 'toolbar' },
  el('span', { text: 'Diff the code of' }),
  diffLeft,
  el('span', { text: 'and' }),
  diffRight,
  button('Diff Code', () => channel.send({ type: 'diffCode', left: diffLeft.value, right: diffRight.value })),
);

const plotMetric = dropdown('Metric of the parallel coordinates', (value) => update({ plotMetric: value }));
const parallelHost = el('div', { className: 'plot-host' });
const legend = el('p', { className: 'legend' });
const scatterParam = dropdown('Param across', (value) => update({ scatterParam: value }));
const scatterMetric = dropdown('Metric up', (value) => update({ scatterMetric: value }));
const scatterHost = el('div', { className: 'plot-host' });
const plots = el(
  'section',
  { className: 'plots' },
  el('h2', { text: 'Parallel coordinates' }),
  el('div', { className: 'toolbar' }, el('span', { text: 'Params that differ, then' }), plotMetric),
  parallelHost,
  legend,
  el('h2', { text: 'Scatter' }),
  el('div', { className: 'toolbar' }, scatterParam, el('span', { text: 'against' }), scatterMetric),
  scatterHost,
);
app.append(toolbar, notice, tableHost, diffBar, plots);

/** The stored choice while it still exists, else the first available. */
function pick(choice: string | undefined, available: readonly string[]): string {
  return choice !== undefined && available.includes(choice) ? choice : (available[0] ?? '');
}

function renderPlots(current: CompareSnapshot): void {
  const metrics = metricKeys(current.runs);
  const params = paramKeys(current.runs);
  const width = Math.max(480, Math.min(1200, tableHost.clientWidth || 800));
  plots.hidden = metrics.length === 0 || current.runs.length === 0;
  if (plots.hidden) return;
  const metric = pick(state.plotMetric, metrics);
  setChoices(
    plotMetric,
    metrics.map((k) => ({ value: k, label: k })),
    metric,
  );
  const parallel = parallelPlot(current, metric);
  parallelHost.replaceChildren(drawParallel(parallel, width));
  legend.textContent =
    `Lines are colored by ${metric} (last), from purple (worst) to yellow (best, ${parallel.goal === 'min' ? 'lowest' : 'highest'}); ` +
    'gray lines have no value. Hover a line for its run.';
  const across = pick(state.scatterParam, params);
  const up = pick(state.scatterMetric, metrics);
  setChoices(
    scatterParam,
    params.map((k) => ({ value: k, label: k })),
    across,
  );
  setChoices(
    scatterMetric,
    metrics.map((k) => ({ value: k, label: k })),
    up,
  );
  scatterHost.replaceChildren(
    params.length === 0
      ? el('p', { className: 'notice', text: 'These runs logged no params.' })
      : drawScatter(scatterPlot(current, across, up), metricGoal(up, current.goals), width),
  );
}

function render(): void {
  if (!snapshot) return;
  const current = snapshot;
  const rows = compareRows(current, { onlyDifferences: state.onlyDifferences ?? false });
  const missing = current.missing.length;
  notice.textContent =
    current.runs.length === 0
      ? 'No runs to compare: select runs in the Runs view and choose Compare Runs.'
      : missing > 0
        ? `${missing} run${missing === 1 ? ' is' : 's are'} no longer in the store.`
        : '';
  notice.hidden = notice.textContent === '';
  tableHost.replaceChildren(renderTable(current.runs, rows, (runId) => channel.send({ type: 'removeRun', runId })));
  const runChoices = current.runs.map((r) => ({ value: r.id, label: r.name }));
  diffBar.hidden = current.runs.filter((r) => r.git !== null).length < 2;
  setChoices(
    diffLeft,
    runChoices,
    pick(
      diffLeft.value || undefined,
      runChoices.map((c) => c.value),
    ),
  );
  const others = runChoices.filter((c) => c.value !== diffLeft.value).map((c) => c.value);
  setChoices(diffRight, runChoices, pick(diffRight.value || undefined, others));
  renderPlots(current);
  channel.send({
    type: 'rendered',
    report: {
      runIds: current.runs.map((r) => r.id),
      differing: [...tableHost.querySelectorAll<HTMLElement>('tr.differs')].map((tr) => tr.dataset['key'] ?? ''),
      rows: tableHost.querySelectorAll('tr.row').length,
      bestCells: tableHost.querySelectorAll('td.best').length,
      elements: app.querySelectorAll('*').length,
      images: document.querySelectorAll('img').length,
      notes: current.runs.map((_, i) => {
        const cell = tableHost.querySelector(`tr[data-key="run.note"] > td:nth-of-type(${i + 1})`);
        return cell?.querySelector('.note')?.outerHTML ?? '';
      }),
    },
  });
}

// The plots are as wide as the panel: draw them again when it is resized (or split).
let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (snapshot) renderPlots(snapshot);
  }, 150);
});

channel.send({ type: 'ready' });
