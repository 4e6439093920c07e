// What a cell of the runs table shows: text set with textContent (a run's name, params, tags and
// note are user text), a status word with its color, metric values with the column's best marked
// and a parent's summary of its children, and sparklines as one SVG polyline.
import { formatMetricValue } from '../../shared/formatValue';
import type { MetricGoal } from '../../shared/metricGoal';
import { noteText, parseNote } from '../../shared/noteMarkdown';
import type { AttributeColumn, ColumnId, MetricSpread, TableLayout, TableRun } from '../../shared/runsTable';
import { attributeText, bestOfSpread, columnKey, columnKind, metricValue, statOf } from '../../shared/runsTable';

export interface CellContext {
  readonly layout: TableLayout;
  readonly goalOf: (key: string) => MetricGoal;
  /** Each metric's spread over every run the filter selects (a column's best), when known. */
  readonly bests: ReadonlyMap<string, MetricSpread>;
  readonly now: number;
}

/** What a cell shows, before it becomes DOM. */
export interface CellContent {
  readonly text: string;
  readonly className: string;
  /** The hover text (full precision, the whole note). */
  readonly title?: string;
  /** What a screen reader says, when the text alone is not enough. */
  readonly label?: string;
  readonly spark?: readonly (number | null)[];
  readonly best?: boolean;
}

const noteTexts = new Map<string, string>();

/** A note's text without markup, cached: the same notes are drawn again on every scroll. */
function noteLine(note: string): string {
  let text = noteTexts.get(note);
  if (text === undefined) {
    text = noteText(parseNote(note));
    if (noteTexts.size > 2000) noteTexts.clear();
    noteTexts.set(note, text);
  }
  return text;
}

export function cellContent(column: ColumnId, run: TableRun, context: CellContext): CellContent {
  const kind = columnKind(column);
  const key = columnKey(column);
  switch (kind) {
    case 'param': {
      const value = run.params[key];
      if (value === undefined) return { text: '', className: 'cell empty' };
      const numeric = value.trim() !== '' && Number.isFinite(Number(value));
      return { text: value, className: numeric ? 'cell num' : 'cell', title: value };
    }
    case 'metric':
      return metricCell(column, key, run, context);
    case 'tag': {
      const value = run.tags[key];
      return value === undefined
        ? { text: '', className: 'cell empty' }
        : { text: value, className: 'cell', title: value };
    }
    case 'spark': {
      const points = run.sparks[key] ?? [];
      const shown = points.filter((p): p is number => p !== null);
      if (shown.length === 0) return { text: '', className: 'cell empty' };
      const first = shown[0];
      const last = shown[shown.length - 1];
      return {
        text: '',
        className: 'cell spark',
        spark: points,
        label: `${key} from ${formatMetricValue(first)} to ${formatMetricValue(last)}`,
        title: `${key}: ${formatMetricValue(first)} → ${formatMetricValue(last)}`,
      };
    }
    case 'attribute':
      return attributeCell(column as AttributeColumn, run, context);
  }
}

function attributeCell(column: AttributeColumn, run: TableRun, context: CellContext): CellContent {
  const text = attributeText(column, run, context.now, false);
  switch (column) {
    case 'run.status':
      return { text, className: `cell status status-${run.status.toLowerCase()}`, title: run.status };
    case 'run.name':
      return { text, className: `cell name${run.pinned ? ' pinned' : ''}`, title: `${run.name} (${run.id})` };
    case 'run.note':
      return run.note === null
        ? { text: '', className: 'cell empty' }
        : { text: noteLine(run.note), className: 'cell note-cell', title: run.note };
    case 'run.duration':
    case 'git.dirty':
      return { text, className: 'cell num' };
    case 'git.commit':
      return { text, className: 'cell mono', ...(run.git ? { title: run.git.commit } : {}) };
    default:
      return { text, className: text === '' ? 'cell empty' : 'cell', title: text };
  }
}

function metricCell(column: ColumnId, key: string, run: TableRun, context: CellContext): CellContent {
  const stat = statOf(column, context.layout);
  const goal = context.goalOf(key);
  const own = run.metrics[key];
  const value = metricValue(own, stat, goal);
  const children = run.children > 0 ? bestOfSpread(run.childMetrics[key], stat, goal) : null;
  const best = bestOfSpread(context.bests.get(key), stat, goal);
  const childNote =
    children === null
      ? ''
      : `best of ${run.children} child run${run.children === 1 ? '' : 's'}: ${formatMetricValue(children)}`;
  if (value === null && own === undefined && children !== null) {
    // A parent that logged none of this metric itself sums up its children.
    return {
      text: `⤷ ${formatMetricValue(children)}`,
      className: `cell num summary${children === best ? ' best' : ''}`,
      title: `${childNote} (${String(children)})`,
      label: childNote,
      best: children === best,
    };
  }
  if (own === undefined) return { text: '', className: 'cell empty' };
  if (value === null) return { text: 'NaN', className: 'cell num', title: 'NaN' };
  const isBest = best !== null && value === best;
  const title = [
    String(value),
    stat === 'last' ? '' : `(${stat})`,
    childNote ? `· ${childNote}` : '',
    isBest ? '· best' : '',
  ]
    .filter((part) => part !== '')
    .join(' ');
  return {
    text: formatMetricValue(value),
    className: `cell num${isBest ? ' best' : ''}`,
    title,
    ...(isBest ? { label: `${formatMetricValue(value)}, best`, best: true } : {}),
  };
}

const SVG = 'http://www.w3.org/2000/svg';

/** A sparkline: the bucket values as one polyline across the cell, NaN buckets skipped. */
export function sparkline(
  points: readonly (number | null)[],
  width: number,
  height: number,
  label: string,
): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const values = points.filter((p): p is number => p !== null && Number.isFinite(p));
  if (values.length === 0) return svg;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  const step = points.length > 1 ? (width - 2) / (points.length - 1) : 0;
  const coords: string[] = [];
  points.forEach((p, i) => {
    if (p === null || !Number.isFinite(p)) return;
    const x = 1 + i * step;
    const y = height - 2 - ((p - lo) / span) * (height - 4);
    coords.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  });
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', coords.length === 1 ? `${coords[0]} ${coords[0]}` : coords.join(' '));
  svg.append(line);
  return svg;
}
