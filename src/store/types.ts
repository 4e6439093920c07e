import type { RunStatus } from './events';

// What the store knows, as the host, the worker, the endpoint and the CLI see it: plain data that
// crosses the worker boundary by structured clone. No SQL or I/O here.

export interface RunRecord {
  readonly id: string;
  readonly name: string;
  readonly experimentId: number;
  readonly experiment: string;
  readonly status: RunStatus;
  readonly startTime: number;
  readonly endTime: number | null;
  readonly command: string | null;
  readonly cwd: string | null;
  readonly entryPoint: string | null;
  readonly source: string | null;
  readonly exitCode: number | null;
  readonly error: string | null;
  readonly user: string | null;
  readonly parentRunId: string | null;
  readonly deleted: boolean;
  /** The code the run ran: its commit, branch and whether the working tree had changes. */
  readonly git: { readonly commit: string; readonly branch: string | null; readonly dirty: boolean } | null;
  /** Pinned runs come first in the Runs view (the `runlog.pinned` tag, set by lifecycle events). */
  readonly pinned: boolean;
}

export interface MetricSummary {
  readonly key: string;
  readonly count: number;
  /** The value at the highest step (NaN when that value was NaN). */
  readonly last: number;
  readonly lastStep: number;
  readonly lastTime: number;
  /** NaN when the series has no non-NaN value. */
  readonly min: number;
  readonly max: number;
}

export interface GitState {
  readonly commit: string;
  readonly branch: string | null;
  readonly remote: string | null;
  readonly dirty: boolean;
  readonly patch: string;
  readonly untracked: readonly { path: string; content?: string }[];
}

export interface RunDetails extends RunRecord {
  readonly params: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly metrics: readonly MetricSummary[];
  readonly git: GitState | null;
  readonly artifacts: readonly { path: string; size: number; sha256: string }[];
  readonly inputs: readonly { name: string; path: string; digest: string }[];
  readonly rejected: readonly { line: number; reason: string }[];
  readonly models: readonly LoggedModel[];
}

export interface LoggedModel {
  readonly name: string;
  readonly flavor: string;
  readonly uuid: string;
  readonly created: number;
  readonly signature: string | null;
  readonly files: readonly { path: string; size: number; sha256: string }[];
}

export interface ModelVersion {
  readonly version: number;
  readonly runId: string | null;
  readonly source: string | null;
  readonly created: number;
  readonly description: string | null;
  readonly aliases: readonly string[];
}

export interface RegisteredModel {
  readonly name: string;
  readonly created: number;
  readonly updated: number;
  readonly description: string | null;
  /** Live versions, newest first. */
  readonly versions: readonly ModelVersion[];
}

export interface Experiment {
  readonly id: number;
  readonly name: string;
  readonly runCount: number;
}

export type SortKey =
  | 'start_time'
  | 'end_time'
  | 'name'
  | 'duration'
  | 'status'
  | `metrics.${string}`
  | `params.${string}`
  | `tags.${string}`;

/** What the Runs view can group runs by besides their experiment. */
export type RunGrouping = 'branch' | 'commit' | 'status';

export interface RunGroup {
  /** The branch, commit or status; null for runs without one (no git, a detached HEAD). */
  readonly value: string | null;
  readonly runCount: number;
}

export interface RunSort {
  readonly key: SortKey;
  readonly descending?: boolean;
  /** For a metric: order by its last value (the default), or its lowest or highest. */
  readonly value?: 'last' | 'min' | 'max';
}

export interface ListRunsQuery {
  readonly experimentIds?: readonly number[];
  /** The Runs view's query language (filter.ts); a bad filter throws FilterError with its position. */
  readonly filter?: string;
  readonly sort?: RunSort;
  /** Ties of `sort` ordered by these, in turn (MLflow's order_by takes a list). */
  readonly thenBy?: readonly RunSort[];
  readonly offset?: number;
  readonly limit?: number;
  readonly deleted?: 'active' | 'deleted' | 'all';
  readonly runIds?: readonly string[];
  readonly statuses?: readonly RunStatus[];
  /** Only the runs of one group (see `runGroups`). */
  readonly group?: { readonly by: RunGrouping; readonly value: string | null };
  /** Pinned runs before the others, each part in the sort's order. */
  readonly pinnedFirst?: boolean;
}

/** Inputs a relaunched run read that differ from what the run it relaunched read. */
export interface LineageChange {
  readonly original: string;
  readonly inputs: readonly { name: string; path: string; was: string; now: string }[];
}

export interface RunPage {
  readonly runs: RunRecord[];
  readonly total: number;
}
