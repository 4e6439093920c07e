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
  readonly inputs: readonly RunInput[];
  readonly rejected: readonly { line: number; reason: string }[];
  readonly models: readonly LoggedModel[];
  /** The Python environment the run ran in (its own, else its parent's), or null when none was recorded. */
  readonly environment: RunEnvironment | null;
}

export interface RunInput {
  readonly name: string;
  readonly path: string;
  readonly digest: string;
  /** In-memory data (autolog's training data): its shape, e.g. [rows, features]. */
  readonly shape?: readonly number[];
  /** A dataframe's column names. */
  readonly columns?: readonly string[];
}

/** A run's `environment` event (docs/JOURNAL.md). */
export interface RunEnvironment {
  /** The run that recorded it: this run, or the parent whose process it ran in. */
  readonly runId: string;
  readonly recorded: number;
  readonly pythonVersion: string;
  readonly pythonImplementation: string | null;
  readonly executable: string | null;
  readonly platform: string | null;
  readonly system: string | null;
  readonly machine: string | null;
  /** Installed distributions: PEP 503 normalized name → version, sorted by name. */
  readonly packages: Readonly<Record<string, string>>;
  readonly gpu: {
    readonly driverVersion: string | null;
    readonly cudaVersion: string | null;
    readonly devices: readonly { readonly name: string; readonly memoryTotalMegabytes: number | null }[];
  } | null;
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
  | 'experiment'
  | 'git_commit'
  | 'git_branch'
  | 'git_dirty'
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
  /**
   * Runs under their parents: `parent: null` selects the runs whose parent the query does not
   * select (top-level runs), `parent: <id>` that run's children among those it selects. A run in a
   * cycle of parents counts as top-level. The page then says how many children each of its runs has.
   */
  readonly nesting?: { readonly parent: string | null };
}

/** Inputs a relaunched run read that differ from what the run it relaunched read. */
export interface LineageChange {
  readonly original: string;
  readonly inputs: readonly { name: string; path: string; was: string; now: string }[];
}

export interface RunPage {
  readonly runs: RunRecord[];
  readonly total: number;
  /** With `nesting`: how many children each run of the page has among the runs the query selects (0 left out). */
  readonly children?: Readonly<Record<string, number>>;
}
