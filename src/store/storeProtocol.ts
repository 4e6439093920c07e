import type {
  InsightQuery,
  LatestMetric,
  MetricInsight,
  ParamHistory,
  ParamHistoryQuery,
  ScriptSummary,
  ScriptSummaryQuery,
} from './insightQueries';
import type { Buckets, Range, XAxis } from './metrics';
import type { ChartExtent, ChartRunSeries, ChartSeriesQuery, ChartX } from './chartData';
import type { PointColumns } from './chunkCodec';
import type {
  Experiment,
  LineageChange,
  ListRunsQuery,
  MetricSummary,
  RegisteredModel,
  RunDetails,
  RunGroup,
  RunGrouping,
  RunPage,
} from './types';

/**
 * What the extension host may ask the store worker. Each method becomes a request message
 * `{ type: <method>, args: [...] }` and its (awaited) return value the reply; typed arrays cross the
 * thread boundary by structured clone.
 */
export interface StoreApi {
  listRuns(query: ListRunsQuery): RunPage;
  getRun(runId: string): RunDetails | undefined;
  experiments(): Experiment[];
  keys(kind: 'metrics' | 'params'): string[];
  metricSummaries(runIds: readonly string[]): [string, MetricSummary[]][];
  params(runIds: readonly string[]): [string, Record<string, string>][];
  series(runId: string, key: string, x?: XAxis, range?: Range): PointColumns;
  buckets(runId: string, key: string, buckets: number, x?: XAxis, range?: Range): Buckets;
  chartExtent(runIds: readonly string[], key: string, x: ChartX): ChartExtent | null;
  chartSeries(query: ChartSeriesQuery): ChartRunSeries[];
  extremeSteps(runId: string): [string, { minStep: number | null; maxStep: number | null }][];
  lineage(runIds: readonly string[]): [string, LineageChange][];
  registeredModels(): RegisteredModel[];
  metricInsights(query: InsightQuery): MetricInsight[];
  latestMetrics(query: { readonly script?: string; readonly keys: readonly string[] }): LatestMetric[];
  scriptSummary(query: ScriptSummaryQuery): ScriptSummary;
  paramHistory(query: ParamHistoryQuery): ParamHistory;
  runGroups(by: RunGrouping, query?: Omit<ListRunsQuery, 'group' | 'sort' | 'offset' | 'limit'>): RunGroup[];
  /** Reads the journals now instead of at the next change notice; returns the runs that changed. */
  sync(): Promise<string[]>;
  /** Writes the database file now if this process is the writer; returns whether it wrote. */
  snapshot(): Promise<boolean>;
  /** Whether this process holds the store lock. */
  status(): StoreStatus;
}

export interface StoreStatus {
  readonly dir: string;
  readonly writer: boolean;
  readonly recoveredFrom: string | undefined;
}

export type StoreMethod = keyof StoreApi;

export const STORE_METHODS: readonly StoreMethod[] = [
  'listRuns',
  'getRun',
  'experiments',
  'keys',
  'metricSummaries',
  'params',
  'series',
  'buckets',
  'chartExtent',
  'chartSeries',
  'extremeSteps',
  'lineage',
  'registeredModels',
  'metricInsights',
  'latestMetrics',
  'scriptSummary',
  'paramHistory',
  'runGroups',
  'sync',
  'snapshot',
  'status',
];

export type StoreRequest = {
  [K in StoreMethod]: { readonly type: K; readonly args: Parameters<StoreApi[K]> };
}[StoreMethod];

/** What the worker tells the host without being asked. */
export type StoreEvent =
  | { readonly type: 'ready'; readonly status: StoreStatus }
  | { readonly type: 'failed'; readonly message: string; readonly newerVersion: boolean }
  | { readonly type: 'changed'; readonly runIds: readonly string[] }
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly message: string };

export function isStoreRequest(value: unknown): value is StoreRequest {
  const v = value as { type?: unknown; args?: unknown } | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    (STORE_METHODS as readonly unknown[]).includes(v.type) &&
    Array.isArray(v.args)
  );
}

export function isStoreEvent(value: unknown): value is StoreEvent {
  const v = value as { type?: unknown } | null;
  return typeof v === 'object' && v !== null && ['ready', 'failed', 'changed', 'log'].includes(v.type as string);
}

/** How a store service runs; the host passes these to the worker when it starts it. */
export interface ServiceOptions {
  readonly dir: string;
  readonly version: string;
  readonly wasmFile?: string;
  /** Snapshot this long after changes settle… */
  readonly settleMs?: number;
  /** …and at least this often while they keep coming. */
  readonly maxDelayMs?: number;
  /** Safety-net rescan of every journal, in case a change notice was missed. */
  readonly pollMs?: number;
  /** How often the lock is renewed (or, by a reader, tried). */
  readonly heartbeatMs?: number;
  /** How often runs whose process died are looked for (default 30 s). */
  readonly reconcileMs?: number;
}

export type StoreWorkerData = ServiceOptions;
