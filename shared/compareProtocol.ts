/**
 * The Compare panel's protocol. The host owns the state (which runs, their values) and pushes whole
 * snapshots; the webview sends intents (diff, export, drop a run) and reports what it rendered.
 * Both sides validate every message on receipt with the guards below. Numbers that may be missing
 * or NaN travel as `null`: a webview's `postMessage` goes through JSON, where NaN is not a number.
 */
import type { NoReplies } from './messaging';
import type { MetricGoal } from './metricGoal';
import type { GpuUsage } from './systemMetrics';

export interface CompareMetric {
  readonly key: string;
  readonly last: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly count: number;
}

export interface CompareGit {
  readonly commit: string;
  readonly branch: string | null;
  readonly dirty: boolean;
}

/** The Python environment a run ran in, as far as Compare shows it. */
export interface CompareEnvironment {
  /** "3.11.2 (CPython)". */
  readonly python: string;
  readonly platform: string | null;
  /** "NVIDIA A100-SXM4-40GB × 2 · CUDA 12.2", or null without GPUs. */
  readonly gpus: string | null;
  /** Installed distributions: normalized name → version. */
  readonly packages: Readonly<Record<string, string>>;
}

export interface CompareRun {
  readonly id: string;
  readonly name: string;
  readonly experiment: string;
  readonly status: string;
  readonly startTime: number;
  /** Until now for a run still going. */
  readonly durationMs: number | null;
  readonly params: Readonly<Record<string, string>>;
  readonly metrics: readonly CompareMetric[];
  readonly git: CompareGit | null;
  /** Null when the run recorded none (it did not log through the Python client). */
  readonly environment: CompareEnvironment | null;
  /** What it used of each GPU, from its system metrics; empty without them. */
  readonly gpus: readonly GpuUsage[];
  /** The tracking server the run was pulled from (read-only here), if it was. */
  readonly remote?: string;
  /** Its Markdown note (the tag `mlflow.note.content`), if it has one: user text, hostile. */
  readonly note?: string;
}

export interface CompareSnapshot {
  readonly runs: readonly CompareRun[];
  /** Ids asked for that no store knows (deleted runs); the panel says so. */
  readonly missing: readonly string[];
  /** The `runlog.metricGoals` setting: key → "min" | "max". */
  readonly goals: Readonly<Record<string, MetricGoal>>;
}

/** What the webview saw after drawing a snapshot, for tests and for the log. */
export interface RenderReport {
  readonly runIds: readonly string[];
  /** Row keys (`params.lr`, `metrics.loss.last`, …) shown as differing. */
  readonly differing: readonly string[];
  readonly rows: number;
  readonly bestCells: number;
  /** Elements under the page's root, and how many of them are `<img>`: user text must add none. */
  readonly elements: number;
  readonly images: number;
  /** The markup each run's note cell became (`div.note`), '' where it has none. */
  readonly notes: readonly string[];
}

export type ExportFormat = 'markdown' | 'csv';
/** `save`: a file through the save dialog; `document`: an untitled editor; `clipboard`. */
export type ExportDestination = 'save' | 'document' | 'clipboard';

/** Host → webview: snapshots, pushed. */
export type CompareHostMessage = { readonly type: 'snapshot'; readonly snapshot: CompareSnapshot };

export type CompareWebviewMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'diffCode'; readonly left: string; readonly right: string }
  | {
      readonly type: 'export';
      readonly format: ExportFormat;
      readonly destination: ExportDestination;
      readonly onlyDifferences: boolean;
    }
  | { readonly type: 'removeRun'; readonly runId: string }
  | { readonly type: 'rendered'; readonly report: RenderReport };

/** Neither side asks the other anything: the host pushes snapshots, the webview sends intents. */
export type CompareHostReplies = NoReplies;
export type CompareWebviewReplies = NoReplies;

/** What the webview keeps across reloads; the host's serializer reopens `runIds`. */
export interface ComparePanelState {
  readonly runIds: readonly string[];
  readonly onlyDifferences?: boolean;
  readonly plotMetric?: string;
  readonly scatterParam?: string;
  readonly scatterMetric?: string;
}

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumberOrNull = (v: unknown): v is number | null => v === null || typeof v === 'number';
const isStringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function isStringRecord(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every(isString);
}

function isMetric(value: unknown): value is CompareMetric {
  return (
    isObject(value) &&
    isString(value['key']) &&
    isNumberOrNull(value['last']) &&
    isNumberOrNull(value['min']) &&
    isNumberOrNull(value['max']) &&
    isCount(value['count'])
  );
}

function isGit(value: unknown): value is CompareGit | null {
  if (value === null) return true;
  return (
    isObject(value) &&
    isString(value['commit']) &&
    isStringOrNull(value['branch']) &&
    typeof value['dirty'] === 'boolean'
  );
}

function isEnvironment(value: unknown): value is CompareEnvironment | null {
  if (value === null) return true;
  return (
    isObject(value) &&
    isString(value['python']) &&
    isStringOrNull(value['platform']) &&
    isStringOrNull(value['gpus']) &&
    isStringRecord(value['packages'])
  );
}

function isGpuUsage(value: unknown): value is GpuUsage {
  return (
    isObject(value) &&
    isCount(value['index']) &&
    isNumberOrNull(value['peakMemoryMegabytes']) &&
    isNumberOrNull(value['peakMemoryPercentage']) &&
    isNumberOrNull(value['meanUtilizationPercentage'])
  );
}

export function isCompareRun(value: unknown): value is CompareRun {
  return (
    isObject(value) &&
    isString(value['id']) &&
    isString(value['name']) &&
    isString(value['experiment']) &&
    isString(value['status']) &&
    typeof value['startTime'] === 'number' &&
    isNumberOrNull(value['durationMs']) &&
    isStringRecord(value['params']) &&
    Array.isArray(value['metrics']) &&
    value['metrics'].every(isMetric) &&
    isGit(value['git']) &&
    isEnvironment(value['environment']) &&
    Array.isArray(value['gpus']) &&
    value['gpus'].every(isGpuUsage) &&
    (value['remote'] === undefined || isString(value['remote'])) &&
    (value['note'] === undefined || isString(value['note']))
  );
}

export function isCompareSnapshot(value: unknown): value is CompareSnapshot {
  return (
    isObject(value) &&
    Array.isArray(value['runs']) &&
    value['runs'].every(isCompareRun) &&
    isStringArray(value['missing']) &&
    isObject(value['goals']) &&
    Object.values(value['goals']).every((g) => g === 'min' || g === 'max')
  );
}

export function isCompareHostMessage(value: unknown): value is CompareHostMessage {
  return isObject(value) && value['type'] === 'snapshot' && isCompareSnapshot(value['snapshot']);
}

function isRenderReport(value: unknown): value is RenderReport {
  return (
    isObject(value) &&
    isStringArray(value['runIds']) &&
    isStringArray(value['differing']) &&
    isCount(value['rows']) &&
    isCount(value['bestCells']) &&
    isCount(value['elements']) &&
    isCount(value['images']) &&
    isStringArray(value['notes'])
  );
}

export function isCompareWebviewMessage(value: unknown): value is CompareWebviewMessage {
  if (!isObject(value)) return false;
  switch (value['type']) {
    case 'ready':
      return true;
    case 'diffCode':
      return isString(value['left']) && isString(value['right']);
    case 'export':
      return (
        (value['format'] === 'markdown' || value['format'] === 'csv') &&
        (value['destination'] === 'save' ||
          value['destination'] === 'document' ||
          value['destination'] === 'clipboard') &&
        typeof value['onlyDifferences'] === 'boolean'
      );
    case 'removeRun':
      return isString(value['runId']);
    case 'rendered':
      return isRenderReport(value['report']);
    default:
      return false;
  }
}

/** The saved state of a panel, or undefined when it is not one (an older or foreign state). */
export function isComparePanelState(value: unknown): value is ComparePanelState {
  if (!isObject(value) || !isStringArray(value['runIds'])) return false;
  const optional = (key: string, check: (v: unknown) => boolean): boolean =>
    value[key] === undefined || check(value[key]);
  return (
    optional('onlyDifferences', (v) => typeof v === 'boolean') &&
    optional('plotMetric', isString) &&
    optional('scatterParam', isString) &&
    optional('scatterMetric', isString)
  );
}
