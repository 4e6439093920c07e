/**
 * The runs table's protocol. The host owns the state (the layout, the filter it shares with the
 * Runs view, the keys there are, the selection it shares with the Runs view) and pushes it whole;
 * the webview asks for pages of rows sized to its viewport, reports what the user did (a layout
 * change, a filter, a selection, a command on the selected runs) and what it drew. Both sides
 * validate every message on receipt.
 */
import type { MetricGoal } from './metricGoal';
import type { ColumnId, MetricSpread, TableKeys, TableLayout, TablePage } from './runsTable';
import { isColumnId, isTableLayout } from './runsTable';

/** Where a filter is wrong: the message and the span of text it points at (0-based). */
export interface FilterProblem {
  readonly message: string;
  readonly position: number;
  readonly length: number;
}

export interface TableState {
  /** Changes whenever the rows may have (the filter, the layout, the data): replies to older requests are stale. */
  readonly version: number;
  readonly layout: TableLayout;
  readonly keys: TableKeys;
  /** The filter the table and the Runs view share (empty: none). */
  readonly filter: string;
  /** What is wrong with the filter: shown, not applied. */
  readonly filterError: FilterProblem | null;
  /** `runlog.metricGoals`: the goal of a metric named here overrides its name's. */
  readonly goals: Readonly<Record<string, MetricGoal>>;
  /** `runlog.keyMetric` ("" for none): the metric group rows show the best of. */
  readonly keyMetric: string;
  /** The workspace folder whose store the table shows, when the workspace has several. */
  readonly folder: string | null;
}

/** The commands the table runs on the selected runs: the Runs view's, each with `{ runIds }`. */
export const TABLE_COMMANDS = [
  'runlog.openCharts',
  'runlog.compareRuns',
  'runlog.rerunRun',
  'runlog.reproduceRun',
  'runlog.stopRun',
  'runlog.tagRuns',
  'runlog.editNote',
  'runlog.pinRun',
  'runlog.unpinRun',
  'runlog.renameRun',
  'runlog.deleteRun',
  'runlog.restoreRun',
  'runlog.deleteRunPermanently',
  'runlog.registerModel',
  'runlog.exportRunsToMlflow',
  'runlog.diffRunCode',
  'runlog.copyRunId',
  'runlog.revealRunInTree',
] as const;
export type TableCommand = (typeof TABLE_COMMANDS)[number];

/** What the webview drew, for the integration tests and the log. */
export interface TableReport {
  readonly version: number;
  readonly total: number;
  readonly runs: number;
  /** The visible columns, in order, and their header text (with sort marks). */
  readonly columns: readonly string[];
  readonly headers: readonly string[];
  /** The rows in the DOM (at most a screenful and a margin), top to bottom. */
  readonly rows: readonly ReportRow[];
  /** Row and cell elements in the DOM. */
  readonly rowElements: number;
  readonly cellElements: number;
  /** Elements inside cells that the table did not make (user text must add none). */
  readonly foreignElements: number;
  readonly selected: readonly string[];
  readonly focused: string | null;
  readonly filterError: string | null;
  /** Since the state arrived, until these rows were painted. */
  readonly ms: number;
}

export interface ReportRow {
  /** A run id, or the key of a group row. */
  readonly key: string;
  readonly kind: 'run' | 'group' | 'loading';
  readonly depth: number;
  /** The text of each visible column's cell (a group row: its one cell). */
  readonly cells: readonly string[];
  readonly selected: boolean;
  /** The columns whose cell holds that column's best value. */
  readonly best: readonly string[];
}

/** Host → webview. */
export type TableHostMessage =
  | { readonly type: 'state'; readonly state: TableState }
  /** The stores changed: the rows shown may have; ask again (the scroll and the selection stay). */
  | { readonly type: 'changed'; readonly version: number }
  /** Select these runs (the Runs view's selection), and scroll the first into view when asked. */
  | { readonly type: 'select'; readonly runIds: readonly string[]; readonly reveal: boolean };

export type TableHostReplies = Record<never, never>;

/** The columns a page of rows carries values for. */
export interface PageColumns {
  readonly params: readonly string[];
  readonly metrics: readonly string[];
  readonly sparks: readonly string[];
}

/** Webview → host. */
export type TableViewMessage =
  | { readonly type: 'ready' }
  | {
      readonly type: 'rows';
      readonly version: number;
      readonly offset: number;
      readonly limit: number;
      readonly columns: PageColumns;
    }
  | { readonly type: 'ids'; readonly version: number; readonly from: number; readonly to: number }
  | { readonly type: 'bests'; readonly version: number; readonly metrics: readonly string[] }
  | { readonly type: 'layout'; readonly layout: TableLayout }
  /** Show, hide and pin columns (a searchable pick in VS Code: hundreds of params are normal). */
  | { readonly type: 'pickColumns' }
  /** A param or metric column's quick filter (a pick of values, a range): a term of the shared filter. */
  | { readonly type: 'quickFilter'; readonly column: ColumnId }
  | { readonly type: 'filter'; readonly text: string }
  | { readonly type: 'selection'; readonly runIds: readonly string[]; readonly focused: string | null }
  /** A command on these runs; null: the user picks which (the table's More…). */
  | { readonly type: 'command'; readonly command: TableCommand | null; readonly runIds: readonly string[] }
  | { readonly type: 'open'; readonly runId: string }
  | { readonly type: 'exportCsv' }
  | { readonly type: 'rendered'; readonly report: TableReport };

/** The host's replies to the webview's requests. */
export interface TableViewReplies {
  /** The page in the state of `version`; `version` says which (an older one is dropped). */
  readonly rows: TablePage & { readonly version: number };
  readonly ids: readonly string[];
  readonly bests: readonly (readonly [string, MetricSpread])[];
  /** Where the CSV was saved; null when the user cancelled. */
  readonly exportCsv: string | null;
}

const MAX_TEXT = 100_000;
const MAX_IDS = 1_000_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (v: unknown, max = MAX_TEXT): v is string => typeof v === 'string' && v.length <= max;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function isStringList(value: unknown, max = MAX_IDS): value is string[] {
  return Array.isArray(value) && value.length <= max && value.every((v) => isString(v, 1000));
}

function isFilterProblem(value: unknown): value is FilterProblem {
  return isObject(value) && isString(value['message']) && isCount(value['position']) && isCount(value['length']);
}

function isTableKeys(value: unknown): value is TableKeys {
  return (
    isObject(value) && isStringList(value['params']) && isStringList(value['metrics']) && isStringList(value['tags'])
  );
}

function isTableState(value: unknown): value is TableState {
  return (
    isObject(value) &&
    isCount(value['version']) &&
    isTableLayout(value['layout']) &&
    isTableKeys(value['keys']) &&
    isString(value['filter']) &&
    (value['filterError'] === null || isFilterProblem(value['filterError'])) &&
    isObject(value['goals']) &&
    Object.values(value['goals']).every((g) => g === 'min' || g === 'max') &&
    isString(value['keyMetric'], 1000) &&
    (value['folder'] === null || isString(value['folder'], 1000))
  );
}

export function isTableHostMessage(value: unknown): value is TableHostMessage {
  if (!isObject(value)) return false;
  switch (value['type']) {
    case 'state':
      return isTableState(value['state']);
    case 'changed':
      return isCount(value['version']);
    case 'select':
      return isStringList(value['runIds']) && typeof value['reveal'] === 'boolean';
    default:
      return false;
  }
}

function isPageColumns(value: unknown): value is PageColumns {
  return (
    isObject(value) &&
    isStringList(value['params'], 20_000) &&
    isStringList(value['metrics'], 20_000) &&
    isStringList(value['sparks'], 1000)
  );
}

function isReportRow(value: unknown): value is ReportRow {
  return (
    isObject(value) &&
    isString(value['key'], 2000) &&
    ['run', 'group', 'loading'].includes(value['kind'] as string) &&
    isCount(value['depth']) &&
    isStringList(value['cells'], 20_000) &&
    typeof value['selected'] === 'boolean' &&
    isStringList(value['best'], 20_000)
  );
}

function isTableReport(value: unknown): value is TableReport {
  return (
    isObject(value) &&
    ['version', 'total', 'runs', 'rowElements', 'cellElements', 'foreignElements'].every((k) => isCount(value[k])) &&
    typeof value['ms'] === 'number' &&
    isStringList(value['columns'], 20_000) &&
    isStringList(value['headers'], 20_000) &&
    Array.isArray(value['rows']) &&
    value['rows'].length <= 10_000 &&
    value['rows'].every(isReportRow) &&
    isStringList(value['selected']) &&
    (value['focused'] === null || isString(value['focused'], 1000)) &&
    (value['filterError'] === null || isString(value['filterError']))
  );
}

export function isTableViewMessage(value: unknown): value is TableViewMessage {
  if (!isObject(value)) return false;
  switch (value['type']) {
    case 'ready':
    case 'exportCsv':
    case 'pickColumns':
      return true;
    case 'rows':
      return (
        isCount(value['version']) &&
        isCount(value['offset']) &&
        isCount(value['limit']) &&
        isPageColumns(value['columns'])
      );
    case 'quickFilter':
      return isColumnId(value['column']) && /^(params|metrics)\./.test(value['column']);
    case 'ids':
      return isCount(value['version']) && isCount(value['from']) && isCount(value['to']);
    case 'bests':
      return isCount(value['version']) && isStringList(value['metrics'], 20_000);
    case 'filter':
      return isString(value['text']);
    case 'layout':
      return isTableLayout(value['layout']);
    case 'selection':
      return isStringList(value['runIds']) && (value['focused'] === null || isString(value['focused'], 1000));
    case 'command':
      return (
        (value['command'] === null || (TABLE_COMMANDS as readonly unknown[]).includes(value['command'])) &&
        isStringList(value['runIds'])
      );
    case 'open':
      return isString(value['runId'], 1000);
    case 'rendered':
      return isTableReport(value['report']);
    default:
      return false;
  }
}

/** What the webview keeps across reloads (the host keeps the layout; this is where the user was). */
export interface TableViewState {
  readonly scrollTop: number;
  readonly scrollLeft: number;
}

export function isTableViewState(value: unknown): value is TableViewState {
  return (
    isObject(value) &&
    typeof value['scrollTop'] === 'number' &&
    Number.isFinite(value['scrollTop']) &&
    typeof value['scrollLeft'] === 'number' &&
    Number.isFinite(value['scrollLeft'])
  );
}
