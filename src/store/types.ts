import type { LoggedModelStatus, ModelStage, RunStatus } from './events';

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
  /** MLflow 3's logged models this run logged, produced or used (their own journal: `models/events.jsonl`). */
  readonly loggedModels: readonly RunLoggedModel[];
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
  /** The run whose model folder it is, or the run that logged its logged model (if any). */
  readonly runId: string | null;
  /** The model's folder in the run's artifacts; null for a logged model's version. */
  readonly source: string | null;
  /** The logged model (MLflow 3) whose files it is, when it is one's. */
  readonly modelId: string | null;
  readonly created: number;
  readonly updated: number;
  readonly description: string | null;
  readonly aliases: readonly string[];
  /** MLflow's deprecated stage: None, Staging, Production or Archived. */
  readonly stage: ModelStage;
  readonly tags: Readonly<Record<string, string>>;
}

export interface RegisteredModel {
  readonly name: string;
  readonly created: number;
  readonly updated: number;
  readonly description: string | null;
  readonly tags: Readonly<Record<string, string>>;
  /** Live versions, newest first. */
  readonly versions: readonly ModelVersion[];
}

/** A logged model as a run's details list it. */
export interface LoggedModelRef {
  readonly id: string;
  readonly name: string;
  readonly status: LoggedModelStatus;
  readonly modelType: string | null;
  readonly created: number;
}

/** A logged model as one run's details list it: with what the run said of it. */
export interface RunLoggedModel extends LoggedModelRef {
  /** The run logged it (its source run). */
  readonly source: boolean;
  /** The step at which the run said it produced it (`model_output`), or null. */
  readonly outputStep: number | null;
  /** The run said it used it (`model_input`). */
  readonly input: boolean;
}

/** One of MLflow 3's logged models (models/events.jsonl), with everything known of it. */
export interface LoggedModelRecord extends LoggedModelRef {
  /** MLflow's experiment id, as the endpoint gave it. */
  readonly experimentId: string;
  readonly sourceRunId: string | null;
  readonly updated: number;
  readonly deleted: boolean;
  readonly params: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  /** Its metric points, in the order logged (NaN where the point was NaN). */
  readonly metrics: readonly LoggedModelPoint[];
  readonly files: readonly { path: string; size: number; sha256: string }[];
  /** The registry's versions of it. */
  readonly registrations: readonly { name: string; version: number }[];
  /** Runs that said they produced it (`output`, at a step) or used it (`input`). */
  readonly runs: readonly { runId: string; direction: 'output' | 'input'; step: number | null }[];
}

export interface LoggedModelPoint {
  readonly key: string;
  readonly value: number;
  readonly step: number;
  readonly time: number;
  readonly runId: string | null;
  readonly datasetName: string | null;
  readonly datasetDigest: string | null;
}

/** Which logged models: these ids, or those of a run; deleted ones only when asked. */
export interface LoggedModelQuery {
  readonly ids?: readonly string[];
  /** Models whose source run this is, or that it names in model_output / model_input events. */
  readonly runId?: string;
  readonly deleted?: boolean;
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
