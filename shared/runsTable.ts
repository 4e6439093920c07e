/**
 * The runs table's model, shared by its store queries, the host and the webview: which columns
 * there are, the layout the user gives them (order, pins, widths, sorts, grouping, quick filters),
 * and what a row holds. No `vscode`, no DOM, no Node.
 *
 * A column's id says where its value lives: `run.*` and `git.*` are attributes of the run,
 * `params.<key>`, `metrics.<key>` and `tags.<key>` one value each, `spark.<key>` a metric's series
 * drawn small. Numbers that may be NaN travel as null (a webview's messages are JSON).
 */
import { formatDuration } from './formatValue';
import type { MetricGoal } from './metricGoal';

export const ATTRIBUTE_COLUMNS = [
  'run.status',
  'run.name',
  'run.experiment',
  'run.start',
  'run.duration',
  'git.commit',
  'git.branch',
  'git.dirty',
  'run.tags',
  'run.note',
] as const;
export type AttributeColumn = (typeof ATTRIBUTE_COLUMNS)[number];
export type ColumnId =
  AttributeColumn | `params.${string}` | `metrics.${string}` | `tags.${string}` | `spark.${string}`;

export const ATTRIBUTE_TITLES: Readonly<Record<AttributeColumn, string>> = {
  'run.status': 'Status',
  'run.name': 'Name',
  'run.experiment': 'Experiment',
  'run.start': 'Start',
  'run.duration': 'Duration',
  'git.commit': 'Commit',
  'git.branch': 'Branch',
  'git.dirty': 'Dirty',
  'run.tags': 'Tags',
  'run.note': 'Note',
};

/** Which of a run's values a metric column shows: the last, the lowest, the highest, or the best for its goal. */
export type MetricStat = 'last' | 'min' | 'max' | 'best';
export const METRIC_STATS: readonly MetricStat[] = ['last', 'min', 'max', 'best'];

/** What rows can be grouped by: the run's experiment, git branch or commit, status, or a param's value. */
export type TableGrouping = 'experiment' | 'branch' | 'commit' | 'status' | `params.${string}`;

export interface TableSort {
  readonly column: ColumnId;
  readonly descending: boolean;
}

/** What the user made of the table; kept per workspace. */
export interface TableLayout {
  /** The user's column order; columns not listed follow in the default order. */
  readonly order: readonly ColumnId[];
  /** Columns shown by default (attributes, params, metrics) that the user hid. */
  readonly hidden: readonly ColumnId[];
  /** Columns hidden by default (`tags.<key>`, `spark.<key>`) that the user showed. */
  readonly shown: readonly ColumnId[];
  /** Pinned to the left, in this order. */
  readonly pinned: readonly ColumnId[];
  /** Widths in CSS pixels, by column id. */
  readonly widths: Readonly<Record<string, number>>;
  /** Which value each metric column shows, by column id (`last` when absent). */
  readonly stats: Readonly<Record<string, MetricStat>>;
  /** The first sort decides; ties go to the next. */
  readonly sorts: readonly TableSort[];
  readonly group: TableGrouping | null;
  /** Group rows the user collapsed, by entry key. */
  readonly collapsed: readonly string[];
  /** Runs whose children are shown. */
  readonly expanded: readonly string[];
  /** The runs in the trash instead of the others. */
  readonly trash: boolean;
}

export const DEFAULT_TABLE_LAYOUT: TableLayout = {
  order: [],
  hidden: [],
  shown: [],
  pinned: ['run.status', 'run.name'],
  widths: {},
  stats: {},
  sorts: [{ column: 'run.start', descending: true }],
  group: null,
  collapsed: [],
  expanded: [],
  trash: false,
};

/** The extremes of one metric over a set of runs: for each of a run's values, the lowest and highest. */
export interface MetricSpread {
  readonly last: readonly [number | null, number | null];
  readonly min: readonly [number | null, number | null];
  readonly max: readonly [number | null, number | null];
}

/** A run's value of a metric (null: NaN, or none logged). */
export interface MetricCell {
  readonly last: number | null;
  readonly min: number | null;
  readonly max: number | null;
}

export interface TableRun {
  readonly id: string;
  readonly name: string;
  readonly experiment: string;
  readonly status: string;
  readonly startTime: number;
  readonly endTime: number | null;
  readonly git: { readonly commit: string; readonly branch: string | null; readonly dirty: boolean } | null;
  readonly pinned: boolean;
  readonly deleted: boolean;
  readonly parentRunId: string | null;
  /** The asked params, metrics and sparklines the run has. */
  readonly params: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, MetricCell>>;
  /** Every user tag (not Runlog's own, not the note). */
  readonly tags: Readonly<Record<string, string>>;
  readonly note: string | null;
  /** The last value of each bucket of the series, across its steps (null: an empty bucket). */
  readonly sparks: Readonly<Record<string, readonly (number | null)[]>>;
  /** How many of its children the table shows (they match the filter, in the same group). */
  readonly children: number;
  /** Over those children: the extremes of each asked metric (a parent row sums up its children). */
  readonly childMetrics: Readonly<Record<string, MetricSpread>>;
}

/** One row of the table: a run (at a depth under its parents), or a group. */
export type TableEntry =
  | { readonly kind: 'run'; readonly depth: number; readonly expanded: boolean; readonly run: TableRun }
  | {
      readonly kind: 'group';
      /** What `collapsed` names it by. */
      readonly key: string;
      readonly value: string | null;
      readonly runs: number;
      /** The best value of the key metric among the group's runs. */
      readonly best: number | null;
      readonly collapsed: boolean;
    };

/** A page of rows as the store answers it. */
export interface TablePage {
  /** Rows in all: runs, group rows and the children of expanded runs. */
  readonly total: number;
  /** Runs the filter selects. */
  readonly runs: number;
  readonly offset: number;
  readonly entries: readonly TableEntry[];
}

/** The key a group row is collapsed by: the grouping and the value ("" for runs without one). */
export function groupKey(group: TableGrouping, value: string | null): string {
  return `${group}=${value === null ? '\u0000' : value}`;
}

/** Whether a column is shown unless hidden (attributes, params, metrics), or hidden unless shown. */
export function shownByDefault(column: ColumnId): boolean {
  return !column.startsWith('tags.') && !column.startsWith('spark.');
}

export function isColumnVisible(column: ColumnId, layout: TableLayout): boolean {
  return shownByDefault(column) ? !layout.hidden.includes(column) : layout.shown.includes(column);
}

/** The keys the table's columns come from, as the stores list them. */
export interface TableKeys {
  readonly params: readonly string[];
  readonly metrics: readonly string[];
  readonly tags: readonly string[];
}

/** Every column there is, in the default order: attributes, then metrics (each with its sparkline), params, per-tag columns. */
export function allColumns(keys: TableKeys): ColumnId[] {
  const attributes = ATTRIBUTE_COLUMNS.filter((c) => c !== 'run.tags' && c !== 'run.note');
  return [
    ...attributes,
    ...keys.metrics.flatMap((key): ColumnId[] => [`metrics.${key}`, `spark.${key}`]),
    ...keys.params.map((key): ColumnId => `params.${key}`),
    'run.tags',
    'run.note',
    ...keys.tags.map((key): ColumnId => `tags.${key}`),
  ];
}

/** The columns shown, in order: pinned first (in pin order), then the user's order, then the rest by default. */
export function visibleColumns(keys: TableKeys, layout: TableLayout): ColumnId[] {
  const all = allColumns(keys);
  const known = new Set<string>(all);
  const out = new Set<ColumnId>();
  const add = (column: ColumnId): void => {
    if (known.has(column) && isColumnVisible(column, layout)) out.add(column);
  };
  layout.pinned.forEach(add);
  layout.order.forEach(add);
  all.forEach(add);
  return [...out];
}

/** A column's header text: the attribute's title, or the key (a sparkline's with a trend mark). */
export function columnTitle(column: ColumnId): string {
  if ((ATTRIBUTE_COLUMNS as readonly string[]).includes(column)) return ATTRIBUTE_TITLES[column as AttributeColumn];
  const dot = column.indexOf('.');
  const key = column.slice(dot + 1);
  return column.startsWith('spark.') ? `${key} ∿` : key;
}

/** The kind of a column: where its value comes from. */
export function columnKind(column: ColumnId): 'attribute' | 'param' | 'metric' | 'tag' | 'spark' {
  if (column.startsWith('params.')) return 'param';
  if (column.startsWith('metrics.')) return 'metric';
  if (column.startsWith('tags.')) return 'tag';
  if (column.startsWith('spark.')) return 'spark';
  return 'attribute';
}

/** The key after a column's prefix (`lr` of `params.lr`); the id itself for attributes. */
export function columnKey(column: ColumnId): string {
  return columnKind(column) === 'attribute' ? column : column.slice(column.indexOf('.') + 1);
}

const DEFAULT_WIDTHS: Readonly<Partial<Record<AttributeColumn, number>>> = {
  'run.status': 96,
  'run.name': 180,
  'run.experiment': 120,
  'run.start': 136,
  'run.duration': 84,
  'git.commit': 84,
  'git.branch': 110,
  'git.dirty': 56,
  'run.tags': 180,
  'run.note': 220,
};
export const MIN_COLUMN_WIDTH = 40;
export const MAX_COLUMN_WIDTH = 2000;

export function columnWidth(column: ColumnId, layout: TableLayout): number {
  const set = layout.widths[column];
  if (typeof set === 'number') return Math.max(MIN_COLUMN_WIDTH, Math.min(MAX_COLUMN_WIDTH, set));
  return DEFAULT_WIDTHS[column as AttributeColumn] ?? (column.startsWith('spark.') ? 110 : 104);
}

export function statOf(column: ColumnId, layout: TableLayout): MetricStat {
  return layout.stats[column] ?? 'last';
}

/** A run's value of a metric for a stat; null when it has none. */
export function metricValue(cell: MetricCell | undefined, stat: MetricStat, goal: MetricGoal): number | null {
  if (!cell) return null;
  if (stat === 'best') return goal === 'min' ? cell.min : cell.max;
  return cell[stat];
}

/** The best value of a stat over a set of runs, from their spread. */
export function bestOfSpread(spread: MetricSpread | undefined, stat: MetricStat, goal: MetricGoal): number | null {
  if (!spread) return null;
  const values = stat === 'best' ? (goal === 'min' ? spread.min : spread.max) : spread[stat];
  return goal === 'min' ? values[0] : values[1];
}

/** Run statuses by what they mean to a reader; the table's status cell says the word. */
export const STATUS_LABELS: Readonly<Record<string, string>> = {
  RUNNING: 'running',
  QUEUED: 'queued',
  FINISHED: 'finished',
  FAILED: 'failed',
  KILLED: 'killed',
  INTERRUPTED: 'interrupted',
};

/**
 * A cell's value as CSV holds it: numbers at full precision (the shortest text that reads back as
 * the same double), times as ISO 8601, durations in milliseconds. Sparklines have no CSV value.
 */
export function csvValue(
  column: ColumnId,
  run: TableRun,
  layout: TableLayout,
  goalOf: (key: string) => MetricGoal,
  now: number,
): string {
  switch (columnKind(column)) {
    case 'param':
      return run.params[columnKey(column)] ?? '';
    case 'metric': {
      const key = columnKey(column);
      const value = metricValue(run.metrics[key], statOf(column, layout), goalOf(key));
      return value === null ? (run.metrics[key] ? 'NaN' : '') : String(value);
    }
    case 'tag':
      return run.tags[columnKey(column)] ?? '';
    case 'spark':
      return '';
    case 'attribute':
      return attributeText(column as AttributeColumn, run, now, true);
  }
}

/** An attribute's text: for CSV (`exact`) or as the table shows it. */
export function attributeText(column: AttributeColumn, run: TableRun, now: number, exact: boolean): string {
  switch (column) {
    case 'run.status':
      return exact ? run.status : (STATUS_LABELS[run.status] ?? run.status.toLowerCase());
    case 'run.name':
      return run.name;
    case 'run.experiment':
      return run.experiment;
    case 'run.start':
      return exact ? new Date(run.startTime).toISOString() : shortTime(run.startTime);
    case 'run.duration': {
      const end = run.endTime ?? (run.status === 'RUNNING' ? now : null);
      if (end === null) return '';
      const ms = Math.max(0, end - run.startTime);
      return exact ? String(ms) : formatDuration(ms);
    }
    case 'git.commit':
      return run.git ? (exact ? run.git.commit : run.git.commit.slice(0, 8)) : '';
    case 'git.branch':
      return run.git?.branch ?? '';
    case 'git.dirty':
      return run.git ? (run.git.dirty ? (exact ? 'true' : 'yes') : exact ? 'false' : 'no') : '';
    case 'run.tags':
      return Object.entries(run.tags)
        .map(([key, value]) => (value === '' ? key : `${key}=${value}`))
        .join(exact ? '; ' : ', ');
    case 'run.note':
      return run.note ?? '';
  }
}

/** "2024-11-26 14:03", in the viewer's time zone. */
function shortTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// ---- validation: a layout comes back from workspace state and from the webview --------------------

const MAX_ID = 1000;
const MAX_LIST = 20_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isColumnId(value: unknown): value is ColumnId {
  if (typeof value !== 'string' || value.length > MAX_ID) return false;
  if ((ATTRIBUTE_COLUMNS as readonly string[]).includes(value)) return true;
  return /^(params|metrics|tags|spark)\../s.test(value);
}

function isColumnList(value: unknown): value is ColumnId[] {
  return Array.isArray(value) && value.length <= MAX_LIST && value.every(isColumnId);
}

function isStringList(value: unknown, max = MAX_LIST): value is string[] {
  return Array.isArray(value) && value.length <= max && value.every((v) => typeof v === 'string' && v.length <= MAX_ID);
}

export function isTableGrouping(value: unknown): value is TableGrouping {
  return (
    value === 'experiment' ||
    value === 'branch' ||
    value === 'commit' ||
    value === 'status' ||
    (typeof value === 'string' && value.length <= MAX_ID && /^params\../s.test(value))
  );
}

export function isTableLayout(value: unknown): value is TableLayout {
  if (!isObject(value)) return false;
  const widths = value['widths'];
  const stats = value['stats'];
  const sorts = value['sorts'];
  return (
    isColumnList(value['order']) &&
    isColumnList(value['hidden']) &&
    isColumnList(value['shown']) &&
    isColumnList(value['pinned']) &&
    isObject(widths) &&
    Object.values(widths).every((w) => typeof w === 'number' && Number.isFinite(w)) &&
    isObject(stats) &&
    Object.values(stats).every((s) => (METRIC_STATS as readonly unknown[]).includes(s)) &&
    Array.isArray(sorts) &&
    sorts.length <= 32 &&
    sorts.every((s) => isObject(s) && isColumnId(s['column']) && typeof s['descending'] === 'boolean') &&
    (value['group'] === null || isTableGrouping(value['group'])) &&
    isStringList(value['collapsed']) &&
    isStringList(value['expanded']) &&
    typeof value['trash'] === 'boolean'
  );
}
