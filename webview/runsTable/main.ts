// The runs table's page: a toolbar (the shared filter, grouping, columns, actions on the selected
// runs, CSV) and a grid that holds only the rows and columns on screen plus a margin. Rows come
// from the host in pages sized to the viewport (rowSource.ts); the store sorts, filters and groups
// them. Every piece of user text is set with textContent (cells.ts).
import './runsTable.css';
import { formatMetricValue } from '../../shared/formatValue';
import { answering } from '../../shared/messaging';
import type { ColumnId, MetricSpread, TableEntry, TableLayout, TableSort } from '../../shared/runsTable';
import {
  METRIC_STATS,
  columnKey,
  columnKind,
  columnTitle,
  isTableGrouping,
  visibleColumns,
} from '../../shared/runsTable';
import type {
  ReportRow,
  TableCommand,
  TableHostMessage,
  TableHostReplies,
  TableState,
  TableViewMessage,
  TableViewReplies,
} from '../../shared/runsTableProtocol';
import { isTableHostMessage, isTableViewState } from '../../shared/runsTableProtocol';
import { metricGoal } from '../../shared/metricGoal';
import { connectToHost, el, getWebviewState, setWebviewState } from '../common/host';
import { renderNote } from '../common/noteView';
import type { CellContext } from './cells';
import { cellContent, sparkline } from './cells';
import type { ColumnGeometry } from './geometry';
import { columnGeometry, dropIndex, movedColumn, visibleColumnRange, visibleRowRange } from './geometry';
import { RowSource } from './rowSource';
import { Selection } from './selection';

const ROW_HEIGHT = 24;
const HEADER_HEIGHT = 28;
const COLUMN_BLOCK = 6;

let state: TableState | undefined;
let columns: ColumnId[] = [];
let geometry: ColumnGeometry = columnGeometry([], { pinned: [] } as unknown as TableLayout);
/** Changes with the columns, their order or widths: rows drawn before are drawn again. */
let geometryVersion = 0;
let bests = new Map<string, MetricSpread>();
let focused = -1;
let stateArrived = 0;
const selection = new Selection();

const channel = connectToHost<TableViewMessage, TableHostMessage, TableViewReplies>({
  isMessage: isTableHostMessage,
  onEvent: (message) => {
    if (message.type === 'state') applyState(message.state);
    else if (message.type === 'changed') changed(message.version);
    else selectFromView(message.runIds, message.reveal);
  },
  onRequest: answering<TableHostMessage, TableHostReplies>({}),
  onInvalid: (reason) => showError(`dropped a message from the extension (${reason})`),
});

const source = new RowSource(
  (offset, limit) =>
    state
      ? channel.request({ type: 'rows', version: state.version, offset, limit, columns: pageColumns() })
      : Promise.resolve(null),
  () => render(),
  (message) => showError(message),
);

// ---- page ----------------------------------------------------------------------------------------
const app = document.getElementById('app') ?? document.body;
const filterInput = el('input', { className: 'filter', title: 'The Runs view’s filter: MLflow’s search syntax' });
filterInput.placeholder = 'Filter, e.g. metrics.val_loss < 0.3 AND params.lr < 0.01 (Enter)';
filterInput.setAttribute('aria-label', 'Filter runs');
const groupSelect = el('select', { className: 'group', title: 'Group rows' });
groupSelect.setAttribute('aria-label', 'Group by');
const summary = el('span', { className: 'summary' });
summary.setAttribute('role', 'status');
const errorLine = el('div', { className: 'error' });
errorLine.setAttribute('role', 'alert');
errorLine.hidden = true;

const button = (text: string, title: string, onClick: () => void): HTMLButtonElement => {
  const b = el('button', { text, title });
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
};
/** A command on the selected runs; `null`: the host offers every command the Runs view has. */
const onSelected = (command: TableCommand | null) => (): void => {
  const runIds = selection.list();
  if (runIds.length === 0) showError('Select runs first (click a row; Shift or Ctrl for several).');
  else channel.send({ type: 'command', command, runIds });
};
const actions = el(
  'div',
  { className: 'actions' },
  button('Open Charts', 'Chart the selected runs (Enter)', onSelected('runlog.openCharts')),
  button('Compare', 'Compare the selected runs', onSelected('runlog.compareRuns')),
  button('Edit Note…', 'Edit the note of the selected run', onSelected('runlog.editNote')),
  button('More…', 'Rerun, Reproduce, Tag, Pin, Rename, Delete, Register Model, Export…', onSelected(null)),
);
app.append(
  el(
    'div',
    { className: 'toolbar' },
    filterInput,
    el('label', { className: 'field', text: 'Group ' }, groupSelect),
    button('Columns…', 'Show, hide, search and pin columns', () => channel.send({ type: 'pickColumns' })),
    button('Export CSV…', 'The rows and columns shown, at full precision', () => {
      void channel.request({ type: 'exportCsv' });
    }),
    actions,
    summary,
  ),
  errorLine,
);

const viewport = el('div', { className: 'viewport' });
viewport.tabIndex = 0;
viewport.setAttribute('role', 'grid');
viewport.setAttribute('aria-multiselectable', 'true');
viewport.setAttribute('aria-label', 'Runs');
const header = el('div', { className: 'header' });
header.setAttribute('role', 'row');
header.setAttribute('aria-rowindex', '1');
const body = el('div', { className: 'body' });
body.setAttribute('role', 'rowgroup');
viewport.append(header, body);
/** The focused run's note, rendered from its Markdown (noteView.ts: no HTML, links only to the web). */
const notePane = el('div', { className: 'note-pane' });
notePane.setAttribute('aria-label', 'Note of the focused run');
notePane.hidden = true;
app.append(viewport, notePane);

function showError(message: string): void {
  errorLine.textContent = message;
  errorLine.hidden = false;
}

// ---- state ---------------------------------------------------------------------------------------
function layout(): TableLayout {
  return (state as TableState).layout;
}

/** The question the rows answer: a change of it starts the rows afresh. */
let question = '';

function applyState(next: TableState): void {
  const before = question;
  state = next;
  stateArrived = performance.now();
  question = JSON.stringify([
    next.layout.sorts,
    next.layout.group,
    next.layout.collapsed,
    next.layout.expanded,
    next.layout.trash,
    next.filter,
    next.layout.stats,
  ]);
  columns = visibleColumns(next.keys, next.layout);
  geometry = columnGeometry(columns, next.layout);
  geometryVersion++;
  if (document.activeElement !== filterInput) filterInput.value = next.filter;
  if (next.filterError) showError(`Filter: ${next.filterError.message}`);
  else errorLine.hidden = true;
  fillGroups(next);
  source.resize(pageSize());
  source.reset(next.version, before === question);
  requestBests();
  render();
}

function changed(version: number): void {
  if (!state) return;
  state = { ...state, version };
  stateArrived = performance.now();
  source.reset(version, true);
  requestBests();
  render();
}

function requestBests(): void {
  if (!state) return;
  const version = state.version;
  const metrics = columns.filter((c) => columnKind(c) === 'metric').map(columnKey);
  if (metrics.length === 0) {
    bests = new Map();
    return;
  }
  void channel.request({ type: 'bests', version, metrics }).then((found) => {
    if (state?.version !== version) return;
    bests = new Map(found.map(([key, spread]) => [key, spread]));
    render();
  });
}

function fillGroups(next: TableState): void {
  const options: [string, string][] = [
    ['', 'None'],
    ['experiment', 'Experiment'],
    ['branch', 'Git branch'],
    ['commit', 'Git commit'],
    ['status', 'Status'],
    ...next.keys.params.slice(0, 500).map((key): [string, string] => [`params.${key}`, `params.${key}`]),
  ];
  groupSelect.replaceChildren(
    ...options.map(([value, text]) => {
      const option = el('option', { text });
      option.value = value;
      return option;
    }),
  );
  groupSelect.value = next.layout.group ?? '';
}

function pageColumns(): { params: string[]; metrics: string[]; sparks: string[] } {
  const of = (kind: string): string[] => columns.filter((c) => columnKind(c) === kind).map(columnKey);
  return { params: of('param'), metrics: of('metric'), sparks: of('spark') };
}

function pageSize(): number {
  return Math.max(20, Math.ceil((viewport.clientHeight || 600) / ROW_HEIGHT) + 10);
}

function setLayout(change: Partial<TableLayout>): void {
  if (!state) return;
  channel.send({ type: 'layout', layout: { ...state.layout, ...change } });
}

// ---- drawing -------------------------------------------------------------------------------------
function cellContext(): CellContext {
  const goals = (state as TableState).goals;
  return { layout: layout(), goalOf: (key) => metricGoal(key, goals), bests, now: Date.now() };
}

/** A cell's place; a pinned one follows the horizontal scroll through `--scroll-left`, so scrolling across redraws no row. */
function place(node: HTMLElement, index: number): void {
  const pinned = index < geometry.pinned;
  const left = geometry.offsets[index] ?? 0;
  node.style.left = pinned ? `calc(var(--scroll-left) + ${left}px)` : `${left}px`;
  node.style.width = `${geometry.widths[index] ?? 0}px`;
  if (pinned) node.classList.add('pinned');
}

function columnIndexes(): number[] {
  const range = visibleColumnRange(geometry, viewport.scrollLeft, viewport.clientWidth);
  // Snapped to blocks of columns: scrolling across redraws the rows only when a block comes in.
  const first = Math.max(geometry.pinned, Math.floor(range.first / COLUMN_BLOCK) * COLUMN_BLOCK);
  const end = Math.min(columns.length, Math.ceil(range.end / COLUMN_BLOCK) * COLUMN_BLOCK);
  const pinned = Array.from({ length: geometry.pinned }, (_, i) => i);
  return [...pinned, ...Array.from({ length: Math.max(0, end - first) }, (_, i) => first + i)];
}

function renderHeader(indexes: readonly number[]): void {
  const sorts = layout().sorts;
  header.style.width = `${geometry.totalWidth}px`;
  header.replaceChildren(
    ...indexes.map((i) => {
      const column = columns[i];
      const at = sorts.findIndex((s) => s.column === column);
      const sort = sorts[at];
      const mark = sort ? `${sort.descending ? ' ↓' : ' ↑'}${sorts.length > 1 ? at + 1 : ''}` : '';
      const stat = layout().stats[column];
      const cell = el('div', {
        className: 'hcell',
        text: `${columnTitle(column)}${stat && stat !== 'last' ? ` (${stat})` : ''}${mark}`,
        title: `${column} — click to sort, Shift-click to add a sort; drag to move, drag the edge to resize${
          columnKind(column) === 'metric' ? '; right-click: last, min, max or best value' : ''
        }`,
      });
      cell.setAttribute('role', 'columnheader');
      cell.setAttribute('aria-colindex', String(i + 1));
      cell.setAttribute('aria-sort', sort ? (sort.descending ? 'descending' : 'ascending') : 'none');
      cell.dataset['column'] = column;
      place(cell, i);
      const kind = columnKind(column);
      if (kind === 'param' || kind === 'metric') {
        // Its glyph is drawn by CSS, so the header's text stays the column's.
        const filter = el('span', {
          className: 'qf',
          title: kind === 'param' ? 'Keep runs with values…' : 'Keep runs in a range…',
        });
        filter.setAttribute('role', 'button');
        filter.setAttribute('aria-label', `Quick filter on ${columnTitle(column)}`);
        filter.dataset['column'] = column;
        cell.append(filter);
      }
      const grip = el('div', { className: 'grip' });
      grip.dataset['column'] = column;
      cell.append(grip);
      return cell;
    }),
  );
}

function render(): void {
  if (!state) return;
  const context = cellContext();
  const indexes = columnIndexes();
  renderHeader(indexes);
  const total = source.ready ? source.total : 0;
  body.style.height = `${total * ROW_HEIGHT}px`;
  body.style.width = `${geometry.totalWidth}px`;
  viewport.setAttribute('aria-rowcount', String(total + 1));
  viewport.setAttribute('aria-colcount', String(columns.length));
  const { first, end } = visibleRowRange(viewport.scrollTop, viewport.clientHeight, ROW_HEIGHT, total);
  source.ensure(first, end);
  // A row drawn for the same entry, columns and scroll offset is kept: scrolling down draws only
  // the rows that come into view.
  viewport.style.setProperty('--scroll-left', `${viewport.scrollLeft}px`);
  const drawnWith = `${focused}|${geometryVersion}`;
  const drawnColumns = indexes.join();
  const kept = new Map<number, DrawnRow>();
  const rows: HTMLElement[] = [];
  for (let index = first; index < end; index++) {
    const entry = source.entry(index);
    const old = drawn.get(index);
    const selected = entry?.kind === 'run' && selection.has(entry.run.id);
    const same =
      old && entry && old.entry === entry && old.with === drawnWith && old.selected === selected && old.bests === bests;
    // Scrolling across brings in a block of columns: a kept run row gets only that block's cells.
    if (same && old.columns !== drawnColumns && entry.kind === 'run') {
      updateRowColumns(old.element, entry, indexes, context);
    }
    const row = same
      ? { ...old, columns: drawnColumns }
      : {
          entry,
          with: drawnWith,
          columns: drawnColumns,
          selected,
          bests,
          element: renderRow(index, entry, indexes, context),
        };
    kept.set(index, row);
    rows.push(row.element);
  }
  // Rows are placed absolutely (and numbered by aria-rowindex), so only the rows that changed move
  // in the DOM: putting every row back would restyle them all on every frame.
  const keptElements = new Set(rows);
  for (const child of [...body.children]) if (!keptElements.has(child as HTMLElement)) child.remove();
  for (const row of rows) if (row.parentElement !== body) body.append(row);
  drawn = kept;
  const runs = source.runs;
  summary.textContent = source.ready
    ? `${runs} run${runs === 1 ? '' : 's'}${selection.size > 0 ? ` · ${selection.size} selected` : ''}${state.folder ? ` · ${state.folder}` : ''}`
    : 'Loading…';
  const active = focused >= first && focused < end ? `row-${focused}` : '';
  if (active) viewport.setAttribute('aria-activedescendant', active);
  else viewport.removeAttribute('aria-activedescendant');
  showNote(source.entry(focused));
  if (source.ready) reportSoon(first, end, indexes);
}

/** The report waits for the drawing to settle (a scroll draws every frame; the report is for after). */
let reportTimer: ReturnType<typeof setTimeout> | undefined;
function reportSoon(first: number, end: number, indexes: readonly number[]): void {
  clearTimeout(reportTimer);
  const drawnAt = performance.now();
  reportTimer = setTimeout(() => report(first, end, indexes, drawnAt), 50);
}

let noteShown: string | null = null;

function showNote(entry: TableEntry | undefined): void {
  const note = entry?.kind === 'run' ? entry.run.note : null;
  if (note === noteShown) return;
  noteShown = note;
  notePane.hidden = note === null;
  notePane.replaceChildren(...(note === null ? [] : [renderNote(note)]));
}

interface DrawnRow {
  readonly entry: TableEntry | undefined;
  readonly with: string;
  /** The columns its cells are of (a run row's; other rows span them all). */
  readonly columns: string;
  readonly selected: boolean;
  readonly bests: ReadonlyMap<string, MetricSpread>;
  readonly element: HTMLElement;
}
let drawn = new Map<number, DrawnRow>();

function renderRow(
  index: number,
  entry: TableEntry | undefined,
  indexes: readonly number[],
  context: CellContext,
): HTMLElement {
  const row = el('div', { className: 'row' });
  row.id = `row-${index}`;
  row.setAttribute('role', 'row');
  row.setAttribute('aria-rowindex', String(index + 2));
  row.style.top = `${index * ROW_HEIGHT}px`;
  row.dataset['index'] = String(index);
  if (index === focused) row.classList.add('focused');
  if (!entry) {
    row.classList.add('loading');
    const cell = el('div', { className: 'cell empty', text: '…' });
    cell.setAttribute('role', 'gridcell');
    row.append(cell);
    return row;
  }
  if (entry.kind === 'group') {
    row.classList.add('group');
    const best =
      entry.best === null || !state?.keyMetric ? '' : ` · best ${state.keyMetric} ${formatMetricValue(entry.best)}`;
    const cell = el('div', {
      className: 'cell group-cell',
      text: `${entry.collapsed ? '▸' : '▾'} ${groupLabel(entry.value)} · ${entry.runs} run${entry.runs === 1 ? '' : 's'}${best}`,
    });
    cell.setAttribute('role', 'gridcell');
    cell.setAttribute('aria-colspan', String(columns.length));
    cell.style.left = 'var(--scroll-left)';
    row.setAttribute('aria-expanded', String(!entry.collapsed));
    row.dataset['group'] = entry.key;
    row.append(cell);
    return row;
  }
  const { run } = entry;
  row.dataset['run'] = run.id;
  const selected = selection.has(run.id);
  row.setAttribute('aria-selected', String(selected));
  if (selected) row.classList.add('selected');
  if (run.children > 0) row.setAttribute('aria-expanded', String(entry.expanded));
  if (entry.depth > 0) row.setAttribute('aria-level', String(entry.depth + 1));
  for (const i of indexes) row.append(renderCell(i, entry, context));
  return row;
}

/**
 * A row kept while scrolling across: the cells of columns that left the view go, those of columns
 * that came in are drawn, in column order; the others stay as they are.
 */
function updateRowColumns(
  row: HTMLElement,
  entry: Extract<TableEntry, { kind: 'run' }>,
  indexes: readonly number[],
  context: CellContext,
): void {
  const wanted = new Set(indexes);
  const have = new Map<number, Element>();
  for (const cell of [...row.children]) {
    const i = Number(cell.getAttribute('aria-colindex')) - 1;
    if (wanted.has(i)) have.set(i, cell);
    else cell.remove();
  }
  let next: Element | null = row.firstElementChild;
  for (const i of indexes) {
    const cell = have.get(i);
    if (cell) {
      next = cell.nextElementSibling;
      continue;
    }
    row.insertBefore(renderCell(i, entry, context), next);
  }
}

function renderCell(i: number, entry: Extract<TableEntry, { kind: 'run' }>, context: CellContext): HTMLElement {
  const { run } = entry;
  const column = columns[i];
  const content = cellContent(column, run, context);
  const cell = el('div', { className: content.className, text: content.text });
  if (content.title) cell.title = content.title;
  if (content.label) cell.setAttribute('aria-label', content.label);
  cell.setAttribute('role', column === 'run.name' ? 'rowheader' : 'gridcell');
  cell.setAttribute('aria-colindex', String(i + 1));
  if (content.best) cell.dataset['best'] = '1';
  if (content.spark)
    cell.append(sparkline(content.spark, (geometry.widths[i] ?? 100) - 12, ROW_HEIGHT - 6, content.label ?? ''));
  if (column === 'run.name') {
    cell.style.paddingLeft = `${6 + entry.depth * 14}px`;
    if (run.children > 0) {
      const twisty = el('span', { className: 'twisty', text: entry.expanded ? '▾ ' : '▸ ' });
      twisty.dataset['expand'] = run.id;
      cell.prepend(twisty);
    }
  }
  place(cell, i);
  return cell;
}

function groupLabel(value: string | null): string {
  if (value === null) return '(none)';
  return layout().group === 'commit' ? value.slice(0, 12) : value;
}

/** What was drawn, for the host's log and the integration tests. */
function report(first: number, end: number, indexes: readonly number[], drawnAt: number): void {
  if (!state) return;
  const rows: ReportRow[] = [];
  for (let i = first; i < end; i++) {
    const entry = source.entry(i);
    const node = body.querySelector<HTMLElement>(`#row-${i}`);
    if (!entry || !node) {
      rows.push({ key: String(i), kind: 'loading', depth: 0, cells: [], selected: false, best: [] });
      continue;
    }
    const cells = [...node.children].map((c) => c.textContent ?? '');
    if (entry.kind === 'group') {
      rows.push({ key: entry.key, kind: 'group', depth: 0, cells, selected: false, best: [] });
      continue;
    }
    const best = [...node.children].flatMap((c, n) =>
      (c as HTMLElement).dataset['best'] ? [columns[indexes[n] ?? 0] as string] : [],
    );
    rows.push({
      key: entry.run.id,
      kind: 'run',
      depth: entry.depth,
      cells,
      selected: selection.has(entry.run.id),
      best,
    });
  }
  const ours = new Set(['DIV', 'SPAN', 'svg', 'polyline']);
  const foreign = [...body.querySelectorAll('*')].filter((n) => !ours.has(n.tagName)).length;
  const focusEntry = source.entry(focused);
  channel.send({
    type: 'rendered',
    report: {
      version: state.version,
      total: source.total,
      runs: source.runs,
      columns: indexes.map((i) => columns[i] as string),
      headers: [...header.children].map((h) => h.textContent ?? ''),
      rows,
      rowElements: body.children.length,
      cellElements: body.querySelectorAll('.cell').length,
      foreignElements: foreign,
      selected: selection.list(),
      focused: focusEntry?.kind === 'run' ? focusEntry.run.id : null,
      filterError: state.filterError?.message ?? null,
      ms: drawnAt - stateArrived,
    },
  });
}

// ---- input ---------------------------------------------------------------------------------------
let frame = 0;
viewport.addEventListener('scroll', () => {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    render();
    setWebviewState({ scrollTop: viewport.scrollTop, scrollLeft: viewport.scrollLeft });
  });
});
new ResizeObserver(() => {
  source.resize(pageSize());
  render();
}).observe(viewport);

filterInput.addEventListener('keydown', (event) => {
  if (event.key === 'Enter') channel.send({ type: 'filter', text: filterInput.value });
  if (event.key === 'Escape') filterInput.value = state?.filter ?? '';
});
groupSelect.addEventListener('change', () => {
  const value = groupSelect.value;
  setLayout({ group: isTableGrouping(value) ? value : null, collapsed: [] });
});

// Reordering: drag a header cell (not its edge) to where the column should go; the order is the
// layout's, which the host keeps per workspace. A press that moves less than a few pixels is a click.
let dragged = false;
header.addEventListener('pointerdown', (event) => {
  const cell = event.target as HTMLElement;
  const column = cell.dataset['column'] as ColumnId | undefined;
  if (event.button !== 0 || !column || !cell.classList.contains('hcell') || !state) return;
  const from = columns.indexOf(column);
  const startX = event.clientX;
  const marker = el('div', { className: 'drop-marker' });
  let to = from;
  dragged = false;
  const rowX = (clientX: number): number =>
    clientX - viewport.getBoundingClientRect().left + (from < geometry.pinned ? 0 : viewport.scrollLeft);
  const move = (e: PointerEvent): void => {
    if (!dragged && Math.abs(e.clientX - startX) < 5) return;
    if (!dragged) {
      dragged = true;
      cell.classList.add('dragging');
    }
    // The header is drawn again when rows change: the marker goes back in.
    if (!marker.isConnected) header.append(marker);
    to = dropIndex(geometry, from, rowX(e.clientX));
    // The marker sits where the column will go: before the column it lands on, or after it when moving right.
    const left = (geometry.offsets[to] ?? 0) + (to > from ? (geometry.widths[to] ?? 0) : 0);
    marker.style.left = from < geometry.pinned ? `calc(var(--scroll-left) + ${left}px)` : `${left}px`;
  };
  const up = (): void => {
    window.removeEventListener('pointermove', move);
    window.removeEventListener('pointerup', up);
    marker.remove();
    cell.classList.remove('dragging');
    if (!dragged || to === from) return;
    const next = movedColumn(columns, from, to);
    const pinned = next.slice(0, geometry.pinned);
    setLayout({
      pinned: [...pinned, ...layout().pinned.filter((c) => !pinned.includes(c))],
      order: next.slice(geometry.pinned),
    });
  };
  window.addEventListener('pointermove', move);
  window.addEventListener('pointerup', up);
});

header.addEventListener('click', (event) => {
  const target = event.target as HTMLElement;
  const column = target.dataset['column'] as ColumnId | undefined;
  if (dragged) {
    dragged = false;
    return;
  }
  if (column && target.classList.contains('qf')) {
    channel.send({ type: 'quickFilter', column });
    return;
  }
  if (!column || target.classList.contains('grip') || !state) return;
  const sorts = layout().sorts;
  const at = sorts.find((s) => s.column === column);
  const next: TableSort = {
    column,
    descending: at ? !at.descending : columnKind(column) !== 'attribute' || column === 'run.start',
  };
  const kept = event.shiftKey ? sorts.filter((s) => s.column !== column) : [];
  setLayout({ sorts: event.shiftKey && at ? sorts.map((s) => (s.column === column ? next : s)) : [...kept, next] });
});

// Which value a metric column shows: right-click its header for the next of last, min, max, best.
header.addEventListener('contextmenu', (event) => {
  const column = (event.target as HTMLElement).dataset['column'] as ColumnId | undefined;
  if (!column || columnKind(column) !== 'metric' || !state) return;
  event.preventDefault();
  const stats = layout().stats;
  const next = METRIC_STATS[(METRIC_STATS.indexOf(stats[column] ?? 'last') + 1) % METRIC_STATS.length] ?? 'last';
  setLayout({ stats: { ...stats, [column]: next } });
});

// Resizing: drag a header cell's right edge.
header.addEventListener('pointerdown', (event) => {
  const grip = event.target as HTMLElement;
  const column = grip.dataset['column'];
  if (!grip.classList.contains('grip') || !column || !state) return;
  event.preventDefault();
  const startX = event.clientX;
  const index = columns.indexOf(column as ColumnId);
  const startWidth = geometry.widths[index] ?? 100;
  const move = (e: PointerEvent): void => {
    const width = Math.max(40, Math.min(2000, startWidth + e.clientX - startX));
    geometry = columnGeometry(columns, { ...layout(), widths: { ...layout().widths, [column]: width } });
    geometryVersion++;
    render();
  };
  const up = (e: PointerEvent): void => {
    window.removeEventListener('pointermove', move);
    window.removeEventListener('pointerup', up);
    const width = Math.max(40, Math.min(2000, startWidth + e.clientX - startX));
    setLayout({ widths: { ...layout().widths, [column]: Math.round(width) } });
  };
  window.addEventListener('pointermove', move);
  window.addEventListener('pointerup', up);
});

body.addEventListener('click', (event) => {
  const target = event.target as HTMLElement;
  const row = target.closest<HTMLElement>('.row');
  if (!row) return;
  const index = Number(row.dataset['index']);
  const expand = target.dataset['expand'];
  if (expand) {
    toggleExpanded(expand);
    return;
  }
  if (row.dataset['group']) {
    toggleGroup(row.dataset['group']);
    return;
  }
  const runId = row.dataset['run'];
  if (!runId) return;
  focused = index;
  if (event.shiftKey) void selectRange(index, event.ctrlKey || event.metaKey);
  else if (event.ctrlKey || event.metaKey) selection.toggle(runId, index);
  else selection.only(runId, index);
  selectionChanged();
});
body.addEventListener('dblclick', (event) => {
  const runId = (event.target as HTMLElement).closest<HTMLElement>('.row')?.dataset['run'];
  if (runId) channel.send({ type: 'open', runId });
});

function toggleExpanded(runId: string): void {
  const expanded = layout().expanded;
  setLayout({ expanded: expanded.includes(runId) ? expanded.filter((id) => id !== runId) : [...expanded, runId] });
}

function toggleGroup(key: string): void {
  const collapsed = layout().collapsed;
  setLayout({ collapsed: collapsed.includes(key) ? collapsed.filter((k) => k !== key) : [...collapsed, key] });
}

/** Shift-click or Shift+arrow: the runs from the anchor to `index`, asking the host for rows not held. */
async function selectRange(index: number, keep: boolean): Promise<void> {
  const anchor = selection.anchor < 0 ? index : selection.anchor;
  const from = Math.min(anchor, index);
  const to = Math.max(anchor, index) + 1;
  const held = source.idsIn(from, to);
  const ids = held ?? (state ? await channel.request({ type: 'ids', version: state.version, from, to }) : []);
  selection.range(ids, keep);
  selectionChanged();
}

/** Selects the run of row `index` (not held yet) alone, unless the focus moved on meanwhile. */
async function selectUnloaded(index: number): Promise<void> {
  render();
  if (!state) return;
  const [runId] = await channel.request({ type: 'ids', version: state.version, from: index, to: index + 1 });
  if (runId === undefined || focused !== index) return;
  selection.only(runId, index);
  selectionChanged();
}

function selectionChanged(): void {
  const entry = source.entry(focused);
  channel.send({
    type: 'selection',
    runIds: selection.list(),
    focused: entry?.kind === 'run' ? entry.run.id : null,
  });
  render();
}

function selectFromView(runIds: readonly string[], reveal: boolean): void {
  if (selection.equals(runIds)) return;
  selection.set(runIds, -1);
  if (reveal && runIds[0] !== undefined) {
    const index = source.indexOf(runIds[0]);
    if (index >= 0) {
      focused = index;
      scrollTo(index);
    }
  }
  render();
}

function scrollTo(index: number): void {
  const top = index * ROW_HEIGHT;
  const visible = viewport.clientHeight - HEADER_HEIGHT;
  if (top < viewport.scrollTop) viewport.scrollTop = top;
  else if (top + ROW_HEIGHT > viewport.scrollTop + visible) viewport.scrollTop = top + ROW_HEIGHT - visible;
}

viewport.addEventListener('keydown', (event) => {
  if (!state || !source.ready) return;
  const total = source.total;
  const page = Math.max(1, Math.floor((viewport.clientHeight - HEADER_HEIGHT) / ROW_HEIGHT) - 1);
  const moves: Record<string, number> = {
    ArrowDown: focused + 1,
    ArrowUp: focused - 1,
    PageDown: focused + page,
    PageUp: focused - page,
    Home: 0,
    End: total - 1,
  };
  const entry = source.entry(focused);
  if (event.key in moves) {
    event.preventDefault();
    focused = Math.max(0, Math.min(total - 1, moves[event.key]));
    scrollTo(focused);
    const now = source.entry(focused);
    if (event.shiftKey) void selectRange(focused, false);
    else if (now?.kind === 'run' && !event.ctrlKey) {
      selection.only(now.run.id, focused);
      selectionChanged();
    } else if (now === undefined && !event.ctrlKey) {
      // End or Page Down onto a row not loaded yet: the host says which run it is.
      void selectUnloaded(focused);
    } else render();
    return;
  }
  if (event.key === ' ' && entry?.kind === 'run') {
    event.preventDefault();
    selection.toggle(entry.run.id, focused);
    selectionChanged();
  } else if (event.key === 'Enter' && entry?.kind === 'run') {
    event.preventDefault();
    channel.send({
      type: 'command',
      command: 'runlog.openCharts',
      runIds: selection.size > 0 ? selection.list() : [entry.run.id],
    });
  } else if ((event.key === 'ArrowRight' || event.key === 'ArrowLeft') && entry) {
    const open = event.key === 'ArrowRight';
    if (entry.kind === 'group' && entry.collapsed === open) toggleGroup(entry.key);
    else if (entry.kind === 'run' && entry.run.children > 0 && entry.expanded !== open) toggleExpanded(entry.run.id);
    else return;
    event.preventDefault();
  } else if (event.key === 'a' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    void channel.request({ type: 'ids', version: state.version, from: 0, to: total }).then((ids) => {
      selection.set(ids);
      selectionChanged();
    });
  }
});

const saved = getWebviewState();
if (isTableViewState(saved)) {
  requestAnimationFrame(() => {
    viewport.scrollTop = saved.scrollTop;
    viewport.scrollLeft = saved.scrollLeft;
  });
}
channel.send({ type: 'ready' });
