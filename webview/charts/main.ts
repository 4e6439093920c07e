import { provideVSCodeDesignSystem, vsCodeCheckbox, vsCodeDropdown, vsCodeOption } from '@vscode/webview-ui-toolkit';
import 'uplot/dist/uPlot.min.css';
import './charts.css';
import type {
  ChartLayout,
  ChartsHostMessage,
  ChartsHostReplies,
  ChartsState,
  ChartsViewMessage,
  ChartsViewReplies,
  DrawnLine,
} from '../../shared/chartsProtocol';
import { isChartX, isChartsHostMessage } from '../../shared/chartsProtocol';
import { answering } from '../../shared/messaging';
import { isSystemMetric } from '../../shared/systemMetrics';
import { connectToHost, el, setWebviewState } from '../common/host';
import { ChartCard } from './chartCard';
import { X_LABELS } from './format';

provideVSCodeDesignSystem().register(vsCodeCheckbox(), vsCodeDropdown(), vsCodeOption());

let state: ChartsState | undefined;
const cards = new Map<string, ChartCard>();
/** Cards still drawing since the last change: when they are all done the host gets a report. */
let pending: { started: number; left: Set<string> } | undefined;
/** What each card drew last: the report sums them over the cards on the page. */
const drawnBy = new Map<string, { series: number; points: number; lines: readonly DrawnLine[] }>();

const channel = connectToHost<ChartsViewMessage, ChartsHostMessage, ChartsViewReplies>({
  isMessage: isChartsHostMessage,
  onEvent: (message) => {
    if (message.type === 'state') applyState(message.state);
    else if (message.type === 'runsChanged') refreshRuns(message.runIds);
  },
  onRequest: answering<ChartsHostMessage, ChartsHostReplies>({
    pngOf: (message) => Promise.resolve(cards.get(message.key)?.png() ?? null),
  }),
  onInvalid: (reason) => showError(`dropped a message from the extension (${reason})`),
});

// ---- page ----------------------------------------------------------------------------------------
const app = document.getElementById('app') ?? document.body;
const xSelect = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
for (const x of ['step', 'time', 'relative'] as const) {
  const option = el('vscode-option' as 'option', { text: X_LABELS[x] });
  option.setAttribute('value', x);
  xSelect.append(option);
}
const logBox = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
logBox.textContent = 'Log scale';
const smoothing = el('input', { className: 'smoothing', title: 'EMA smoothing, computed on every point' });
smoothing.type = 'range';
smoothing.min = '0';
smoothing.max = '0.99';
smoothing.step = '0.01';
const smoothingValue = el('span', { className: 'smoothing-value', text: '0' });
const hiddenSelect = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
const mediaButton = el('button', {
  className: 'toolbar-button',
  text: 'Images',
  title: 'The images these runs logged, step by step (Runlog: Open Media)',
});
mediaButton.type = 'button';
mediaButton.addEventListener('click', () => channel.send({ type: 'openMedia' }));
const summary = el('span', { className: 'summary' });
const errorLine = el('div', { className: 'error' });
errorLine.hidden = true;
const legend = el('div', { className: 'legend', title: 'Click a run to show it in the Runs view' });
const grid = el('div', { className: 'grid' });
// The system metrics (CPU, memory, disk, network, GPUs) in a section of their own, closed until
// opened: a closed section's charts are not made, so they fetch nothing.
const systemToggle = el('button', { className: 'section-toggle' });
systemToggle.type = 'button';
const systemGrid = el('div', { className: 'grid' });
const systemSection = el(
  'section',
  { className: 'system-section' },
  el('h2', { className: 'section-title' }, systemToggle),
  systemGrid,
);
app.append(
  el(
    'div',
    { className: 'toolbar' },
    el('label', { className: 'field', text: 'X axis ' }, xSelect),
    logBox,
    el('label', { className: 'field', text: 'Smoothing ' }, smoothing, smoothingValue),
    hiddenSelect,
    mediaButton,
    summary,
  ),
  errorLine,
  legend,
  grid,
  systemSection,
);

function showError(message: string): void {
  errorLine.textContent = message;
  errorLine.hidden = false;
}

function setLayout(change: Partial<ChartLayout>): void {
  if (!state) return;
  channel.send({ type: 'layout', layout: { ...state.layout, ...change } });
}

xSelect.addEventListener('change', () => {
  if (isChartX(xSelect.value) && xSelect.value !== state?.layout.x) setLayout({ x: xSelect.value });
});
logBox.addEventListener('change', () => {
  if (state && logBox.checked !== state.layout.yLog) setLayout({ yLog: logBox.checked });
});
let smoothingTimer: ReturnType<typeof setTimeout> | undefined;
smoothing.addEventListener('input', () => {
  smoothingValue.textContent = smoothing.value;
  clearTimeout(smoothingTimer);
  smoothingTimer = setTimeout(() => setLayout({ smoothing: Number(smoothing.value) }), 250);
});
systemToggle.addEventListener('click', () => {
  if (state) setLayout({ systemOpen: !(state.layout.systemOpen ?? false) });
});
hiddenSelect.addEventListener('change', () => {
  if (!state || !hiddenSelect.value) return;
  setLayout({ hidden: state.layout.hidden.filter((k) => k !== hiddenSelect.value) });
});

// ---- cards ---------------------------------------------------------------------------------------
function act(key: string, action: 'pin' | 'hide' | 'earlier' | 'later'): void {
  if (!state) return;
  const { layout } = state;
  if (action === 'hide') return setLayout({ hidden: [...layout.hidden, key] });
  if (action === 'pin') {
    const pinned = layout.pinned.includes(key) ? layout.pinned.filter((k) => k !== key) : [...layout.pinned, key];
    return setLayout({ pinned });
  }
  // A card moves past its neighbour in its own section (a run's metrics, or the system's).
  const order = shownKeys();
  const section = order.filter((k) => isSystemMetric(k) === isSystemMetric(key));
  const at = section.indexOf(key);
  const to = action === 'earlier' ? at - 1 : at + 1;
  const other = section[to];
  if (at < 0 || other === undefined) return;
  const [i, j] = [order.indexOf(key), order.indexOf(other)];
  [order[i], order[j]] = [other, key];
  // Moving a card past a pinned one would fight the pin order: moves happen among equals.
  setLayout({
    order,
    pinned: layout.pinned.filter((k) => order.includes(k)).sort((a, b) => order.indexOf(a) - order.indexOf(b)),
  });
}

/** Keys whose charts are not hidden, in display order (the System section's too, open or not). */
function shownKeys(): string[] {
  if (!state) return [];
  const hidden = new Set(state.layout.hidden);
  return state.keys.filter((k) => !hidden.has(k));
}

/** Keys whose charts are on the page: shown, and not in a closed System section. */
function visibleKeys(): string[] {
  const open = state?.layout.systemOpen ?? false;
  return shownKeys().filter((k) => open || !isSystemMetric(k));
}

const context = {
  state: (): ChartsState => {
    if (!state) throw new Error('no state yet');
    return state;
  },
  request: channel.request.bind(channel),
  send: (message: ChartsViewMessage) => channel.send(message),
  act,
  drew: (key: string, series: number, points: number, lines: readonly DrawnLine[]) => {
    drawnBy.set(key, { series, points, lines });
    // A card that draws again after the report (a running run's late reply) is reported too, so
    // the summary and the host's view of the page stay current.
    if (!pending) return startReport([]);
    if (!pending.left.delete(key)) return;
    if (pending.left.size === 0) report();
  },
  error: showError,
};

function report(): void {
  if (!pending) return;
  const ms = performance.now() - pending.started;
  let series = 0;
  let points = 0;
  const lines: DrawnLine[] = [];
  for (const key of cards.keys()) {
    series += drawnBy.get(key)?.series ?? 0;
    points += drawnBy.get(key)?.points ?? 0;
    lines.push(...(drawnBy.get(key)?.lines ?? []));
  }
  const count = (n: number, word: string): string => `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`;
  summary.textContent = [
    count(state?.runs.length ?? 0, 'run'),
    count(cards.size, 'chart'),
    count(points, 'point'),
  ].join(' · ');
  channel.send({
    type: 'rendered',
    report: {
      charts: cards.size,
      series,
      points,
      ms,
      legend: [...legend.querySelectorAll('.legend-name')].map((n) => n.textContent ?? ''),
      foreignElements: app.querySelectorAll('img, script, iframe, object, embed, a').length,
      lines,
      system: { charts: shownKeys().filter(isSystemMetric).length, open: state?.layout.systemOpen ?? false },
    },
  });
  pending = undefined;
}

function startReport(keys: Iterable<string>): void {
  pending = { started: performance.now(), left: new Set(keys) };
  if (pending.left.size === 0) report();
}

function load(card: ChartCard, reload: () => Promise<void>): void {
  reload().catch((error: unknown) => {
    showError(`${card.key}: ${error instanceof Error ? error.message : String(error)}`);
    context.drew(card.key, 0, 0, []);
  });
}

/** Cards on screen or near it. The others fetch and draw when they scroll into view. */
const onScreen = new Set<string>();
/** Off-screen cards whose data changed: they load when they come into view. */
const stale = new Set<string>();

function schedule(list: readonly ChartCard[], how: (card: ChartCard) => () => Promise<void>): void {
  const now = list.filter((card) => onScreen.has(card.key));
  for (const card of list) if (!onScreen.has(card.key)) stale.add(card.key);
  startReport(now.map((card) => card.key));
  for (const card of now) {
    stale.delete(card.key);
    load(card, how(card));
  }
}

const visibility = new IntersectionObserver(
  (entries) => {
    const woke: ChartCard[] = [];
    for (const entry of entries) {
      const key = (entry.target as HTMLElement).dataset['key'];
      if (key === undefined) continue;
      if (!entry.isIntersecting) {
        onScreen.delete(key);
        continue;
      }
      onScreen.add(key);
      const card = cards.get(key);
      if (card && stale.has(key)) woke.push(card);
    }
    if (woke.length > 0) schedule(woke, (card) => () => card.load());
  },
  { rootMargin: '300px' },
);

function refreshRuns(runIds: readonly string[]): void {
  schedule([...cards.values()], (card) => () => card.refreshRuns(runIds));
}

/** What forces every chart to fetch again: other runs, another axis, scale or smoothing. */
function dataShape(s: ChartsState): string {
  return JSON.stringify([s.runs.map((r) => r.id), s.layout.x, s.layout.yLog, s.layout.smoothing]);
}

function renderLegend(s: ChartsState): void {
  legend.replaceChildren(
    ...s.runs.map((run) => {
      const swatch = el('span', { className: 'swatch' });
      swatch.style.backgroundColor = run.color;
      const chip = el(
        'button',
        {
          className: `legend-item status-${run.status.toLowerCase()}`,
          title: `${run.name} (${run.status})${run.remote ? `, pulled from ${run.remote}` : ''}`,
        },
        swatch,
        el('span', { className: 'legend-name', text: run.name }),
        el('span', { className: 'legend-label', text: run.label }),
        ...(run.remote ? [el('span', { className: 'legend-remote', text: `from ${run.remote}` })] : []),
      );
      chip.type = 'button';
      chip.addEventListener('click', () => channel.send({ type: 'revealRun', runId: run.id }));
      return chip;
    }),
  );
}

function applyState(next: ChartsState): void {
  const previous = state;
  state = next;
  setWebviewState({ runIds: next.runs.map((r) => r.id), layout: next.layout });
  errorLine.hidden = true;
  xSelect.value = next.layout.x;
  logBox.checked = next.layout.yLog;
  smoothing.value = String(next.layout.smoothing);
  smoothingValue.textContent = String(next.layout.smoothing);
  hiddenSelect.replaceChildren();
  const placeholder = el('vscode-option' as 'option', { text: `Hidden charts (${next.layout.hidden.length})` });
  placeholder.setAttribute('value', '');
  hiddenSelect.append(placeholder);
  for (const key of next.layout.hidden.filter((k) => next.keys.includes(k))) {
    const option = el('vscode-option' as 'option', { text: `Show ${key}` });
    option.setAttribute('value', key);
    hiddenSelect.append(option);
  }
  hiddenSelect.hidden = next.layout.hidden.length === 0;
  renderLegend(next);

  const keys = visibleKeys();
  for (const [key, card] of cards) {
    if (!keys.includes(key)) {
      visibility.unobserve(card.element);
      card.destroy();
      cards.delete(key);
      onScreen.delete(key);
      stale.delete(key);
      drawnBy.delete(key);
    }
  }
  const reloadAll = !previous || dataShape(previous) !== dataShape(next);
  const fresh: ChartCard[] = [];
  for (const key of keys) {
    let card = cards.get(key);
    if (!card) {
      card = new ChartCard(key, context);
      cards.set(key, card);
      visibility.observe(card.element);
      fresh.push(card);
    }
    card.setPinned(next.layout.pinned.includes(key));
    (isSystemMetric(key) ? systemGrid : grid).append(card.element);
  }
  const systemCount = shownKeys().filter(isSystemMetric).length;
  const open = next.layout.systemOpen ?? false;
  systemSection.hidden = systemCount === 0;
  systemToggle.textContent = `${open ? '▾' : '▸'} System metrics (${systemCount})`;
  systemToggle.title = open
    ? 'Hide the CPU, memory, disk, network and GPU charts'
    : 'Show the CPU, memory, disk, network and GPU use the runs sampled';
  systemToggle.setAttribute('aria-expanded', String(open));
  systemGrid.hidden = !open;
  if (!keys.some((k) => !isSystemMetric(k))) {
    const text =
      next.runs.length === 0
        ? 'No runs to chart.'
        : systemCount > 0
          ? 'These runs logged no metrics of their own yet, only system metrics (below).'
          : 'These runs logged no metrics yet.';
    grid.replaceChildren(el('p', { className: 'empty', text }));
  } else grid.querySelector('.empty')?.remove();
  if (previous && previous.layout.x !== next.layout.x) for (const card of cards.values()) card.resetZoom();
  schedule(reloadAll ? [...cards.values()] : fresh, (card) => () => card.load());
}

const resized = new ResizeObserver(() => {
  for (const card of cards.values()) card.resize();
});
resized.observe(grid);
resized.observe(systemGrid);

// Theme changes (light, dark, high contrast) restyle the canvas: draw everything again.
new MutationObserver(() => {
  if (state) schedule([...cards.values()], (card) => () => card.load());
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

channel.send({ type: 'ready' });
