/**
 * The Charts panel's protocol. The host owns the state (which runs, which keys, the layout) and
 * pushes it whole; the webview asks for chart data sized to its pixels and reports what it drew.
 * Both sides validate every message on receipt (`isChartsHostMessage`, `isChartsViewMessage`).
 */
export type ChartX = 'step' | 'time' | 'relative';
export const CHART_XS: readonly ChartX[] = ['step', 'time', 'relative'];

export interface ChartLayout {
  readonly x: ChartX;
  readonly yLog: boolean;
  /** EMA weight in [0, 0.99]; 0 = raw. */
  readonly smoothing: number;
  /** Keys in the user's order (pinned ones are drawn first); keys not listed follow alphabetically. */
  readonly order: readonly string[];
  readonly pinned: readonly string[];
  readonly hidden: readonly string[];
  /**
   * Whether the System section (the `system/` metrics: CPU, memory, disk, network, GPUs) is open.
   * Absent, as in layouts saved before it existed: closed, so a run's own metrics come first.
   */
  readonly systemOpen?: boolean;
}

export const DEFAULT_LAYOUT: ChartLayout = { x: 'step', yLog: false, smoothing: 0, order: [], pinned: [], hidden: [] };

export interface ChartRun {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  /** CSS color of the run's lines, the same in every chart. */
  readonly color: string;
  /** The params whose values differ between the shown runs, e.g. `lr=0.1 depth=4`. */
  readonly label: string;
  /** The host of the tracking server the run was pulled from, if it was: the legend marks it. */
  readonly remote?: string;
}

export interface ChartsState {
  readonly runs: readonly ChartRun[];
  /** Every metric key any shown run logged, in display order (pinned first; hidden ones included). */
  readonly keys: readonly string[];
  readonly layout: ChartLayout;
}

/** A run's point just outside a zoomed grid, which its line goes on to (x on the chart's axis). */
export interface EdgePoint {
  readonly x: number;
  readonly last: number;
  /** The smoothed value there; null without smoothing. */
  readonly smoothed: number | null;
}

/** One run's line on the chart's grid (typed arrays survive postMessage; NaN marks an empty bucket). */
export interface ChartRunData {
  readonly runId: string;
  readonly last: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly smoothed: Float64Array | null;
  /**
   * 1 where the run's line must not join a bucket to the run's previous non-empty one: a NaN the
   * run logged, or a long silence for its cadence (`src/store/chartGaps.ts`). Elsewhere the line
   * bridges the empty buckets between the run's points.
   */
  readonly breaks: Uint8Array;
  /** Zoomed in: the run's nearest points before and after the grid, when its line goes on to them. */
  readonly before: EdgePoint | null;
  readonly after: EdgePoint | null;
  readonly points: number;
}

export interface ChartData {
  readonly key: string;
  /** The grid: `buckets` equal buckets across [lo, hi]. */
  readonly lo: number;
  readonly hi: number;
  readonly buckets: number;
  /** Where the data actually ends (the grid may reach further while runs are running). */
  readonly extent: { readonly lo: number; readonly hi: number } | null;
  readonly runs: readonly ChartRunData[];
}

/** How one run's line was drawn on one chart. */
export interface DrawnLine {
  readonly key: string;
  readonly runId: string;
  /** Pixel columns the line passes through. */
  readonly columns: number;
  /** Separate pieces of line: 1 is unbroken; each break (a NaN, a long silence) adds one. */
  readonly pieces: number;
  /** Pieces of a single column, drawn as a marker (a lone point). */
  readonly markers: number;
}

export interface RenderReport {
  readonly charts: number;
  /** Lines drawn: one per run and chart, and a faint raw one under each smoothed line. */
  readonly series: number;
  /** Raw points the drawn buckets stand for. */
  readonly points: number;
  /** From the change to the last chart painted. */
  readonly ms: number;
  /** The legend's run labels as the DOM shows them (textContent). */
  readonly legend: readonly string[];
  /** Elements in legends and titles that are not the panel's own (must stay 0: names are text). */
  readonly foreignElements: number;
  /** Every run's line on every chart drawn. */
  readonly lines: readonly DrawnLine[];
  /** The System section: how many charts it holds (hidden ones left out) and whether it is open. */
  readonly system: { readonly charts: number; readonly open: boolean };
}

/** Host → webview. */
export type ChartsHostMessage =
  | { readonly type: 'state'; readonly state: ChartsState }
  /** These runs logged more points: fetch their data again. */
  | { readonly type: 'runsChanged'; readonly runIds: readonly string[] }
  /** A request: the chart of `key` as a PNG. */
  | { readonly type: 'pngOf'; readonly key: string };

/** The webview's replies to the host's requests. */
export interface ChartsHostReplies {
  /** A PNG data: URL, or null when the chart is not drawn. */
  readonly pngOf: string | null;
}

/** Webview → host. */
export type ChartsViewMessage =
  | { readonly type: 'ready' }
  | {
      readonly type: 'chartData';
      readonly key: string;
      readonly buckets: number;
      readonly x: ChartX;
      readonly smoothing: number;
      /** Omitted: the runs' whole extent. */
      readonly range?: { readonly from: number; readonly to: number };
      /** Only these runs (a live update); omitted: every shown run. */
      readonly runIds?: readonly string[];
    }
  | { readonly type: 'layout'; readonly layout: ChartLayout }
  | { readonly type: 'revealRun'; readonly runId: string }
  /** The toolbar's Images: the Media panel on the same runs. */
  | { readonly type: 'openMedia' }
  | { readonly type: 'exportPng'; readonly key: string; readonly dataUrl: string }
  | { readonly type: 'exportCsv'; readonly key: string }
  | { readonly type: 'rendered'; readonly report: RenderReport };

/** The host's replies to the webview's requests. */
export interface ChartsViewReplies {
  /** The chart of a key on a grid of the asked buckets. */
  readonly chartData: ChartData;
  /** Where the PNG or CSV was saved; null when the user cancelled. */
  readonly exportPng: string | null;
  readonly exportCsv: string | null;
}

const MAX_KEY = 1000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isString(value: unknown, max = MAX_KEY): value is string {
  return typeof value === 'string' && value.length <= max;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length <= 100_000 && value.every((v) => isString(v));
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function isChartX(value: unknown): value is ChartX {
  return (CHART_XS as readonly unknown[]).includes(value);
}

export function isChartLayout(value: unknown): value is ChartLayout {
  return (
    isObject(value) &&
    isChartX(value['x']) &&
    typeof value['yLog'] === 'boolean' &&
    isFiniteNumber(value['smoothing']) &&
    value['smoothing'] >= 0 &&
    value['smoothing'] <= 0.99 &&
    isStringList(value['order']) &&
    isStringList(value['pinned']) &&
    isStringList(value['hidden']) &&
    (value['systemOpen'] === undefined || typeof value['systemOpen'] === 'boolean')
  );
}

function isChartRun(value: unknown): value is ChartRun {
  return (
    isObject(value) &&
    isString(value['id']) &&
    isString(value['name'], 10_000) &&
    isString(value['status']) &&
    isString(value['color']) &&
    isString(value['label'], 100_000) &&
    (value['remote'] === undefined || isString(value['remote'], 10_000))
  );
}

function isChartsState(value: unknown): value is ChartsState {
  return (
    isObject(value) &&
    Array.isArray(value['runs']) &&
    value['runs'].every(isChartRun) &&
    isStringList(value['keys']) &&
    isChartLayout(value['layout'])
  );
}

export function isChartsHostMessage(value: unknown): value is ChartsHostMessage {
  if (!isObject(value)) return false;
  switch (value['type']) {
    case 'state':
      return isChartsState(value['state']);
    case 'runsChanged':
      return isStringList(value['runIds']);
    case 'pngOf':
      return isString(value['key']);
    default:
      return false;
  }
}

function isDrawnLine(value: unknown): value is DrawnLine {
  return (
    isObject(value) &&
    isString(value['key']) &&
    isString(value['runId']) &&
    ['columns', 'pieces', 'markers'].every((k) => isFiniteNumber(value[k]))
  );
}

function isRenderReport(value: unknown): value is RenderReport {
  return (
    isObject(value) &&
    ['charts', 'series', 'points', 'ms', 'foreignElements'].every((k) => isFiniteNumber(value[k])) &&
    isStringList(value['legend']) &&
    Array.isArray(value['lines']) &&
    value['lines'].length <= 1_000_000 &&
    value['lines'].every(isDrawnLine) &&
    isObject(value['system']) &&
    isFiniteNumber(value['system']['charts']) &&
    typeof value['system']['open'] === 'boolean'
  );
}

/** The largest PNG export accepted from the webview (a data: URL). */
export const MAX_PNG_URL = 32 * 1024 * 1024;

export function isChartsViewMessage(value: unknown): value is ChartsViewMessage {
  if (!isObject(value)) return false;
  switch (value['type']) {
    case 'ready':
      return true;
    case 'chartData': {
      const range = value['range'];
      return (
        isString(value['key']) &&
        isFiniteNumber(value['buckets']) &&
        isChartX(value['x']) &&
        isFiniteNumber(value['smoothing']) &&
        (range === undefined || (isObject(range) && isFiniteNumber(range['from']) && isFiniteNumber(range['to']))) &&
        (value['runIds'] === undefined || isStringList(value['runIds']))
      );
    }
    case 'layout':
      return isChartLayout(value['layout']);
    case 'revealRun':
      return isString(value['runId']);
    case 'openMedia':
      return true;
    case 'exportPng':
      return (
        isString(value['key']) &&
        isString(value['dataUrl'], MAX_PNG_URL) &&
        value['dataUrl'].startsWith('data:image/png;base64,')
      );
    case 'exportCsv':
      return isString(value['key']);
    case 'rendered':
      return isRenderReport(value['report']);
    default:
      return false;
  }
}

function isEdgePoint(value: unknown): value is EdgePoint | null {
  return (
    value === null ||
    (isObject(value) &&
      isFiniteNumber(value['x']) &&
      typeof value['last'] === 'number' &&
      (value['smoothed'] === null || typeof value['smoothed'] === 'number'))
  );
}

function isSeries(value: unknown, n: number): value is Float64Array {
  return value instanceof Float64Array && value.length === n;
}

/** Replies are validated too: the webview checks a chartData reply before drawing it. */
export function isChartData(value: unknown): value is ChartData {
  if (!isObject(value)) return false;
  const n = value['buckets'];
  const extent = value['extent'];
  return (
    isString(value['key']) &&
    isFiniteNumber(value['lo']) &&
    isFiniteNumber(value['hi']) &&
    isFiniteNumber(n) &&
    (extent === null || (isObject(extent) && isFiniteNumber(extent['lo']) && isFiniteNumber(extent['hi']))) &&
    Array.isArray(value['runs']) &&
    value['runs'].every(
      (r: unknown) =>
        isObject(r) &&
        isString(r['runId']) &&
        isSeries(r['last'], n) &&
        isSeries(r['min'], n) &&
        isSeries(r['max'], n) &&
        (r['smoothed'] === null || isSeries(r['smoothed'], n)) &&
        r['breaks'] instanceof Uint8Array &&
        r['breaks'].length === n &&
        isEdgePoint(r['before']) &&
        isEdgePoint(r['after']) &&
        isFiniteNumber(r['points']),
    )
  );
}

/** Keys in display order: pinned first (in pin order), then the user's order, then the rest A→Z. */
export function orderKeys(keys: readonly string[], layout: ChartLayout): string[] {
  const known = new Set(keys);
  const out = new Set<string>();
  const add = (key: string): void => {
    if (known.has(key)) out.add(key);
  };
  layout.pinned.forEach(add);
  layout.order.forEach(add);
  [...keys].sort((a, b) => a.localeCompare(b)).forEach(add);
  return [...out];
}
