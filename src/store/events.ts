/**
 * The journal event format: one JSON object per line in `.runlog/runs/<run-id>/events.jsonl`.
 *
 * Producers (the Python client, the editor, the MLflow endpoint) only ever append these lines;
 * the store ingests them. `docs/JOURNAL.md` is the human-readable contract and must match this file;
 * eventParse.ts checks a line against it.
 * Every event carries `t` (its type) and `ts` (wall time, milliseconds since the Unix epoch).
 */

/**
 * The journal format this file describes. A change that an older producer or reader would get wrong
 * (a new event type that matters, a field whose meaning changes) raises it, here and as
 * `JOURNAL_FORMAT` in python/runlog/_version.py; new optional fields do not. The store records it
 * in `<store>/format.json` (storeFormat.ts) so an older Python client can say it is out of date.
 */
export const JOURNAL_FORMAT = 5;

export const RUN_STATUSES = ['RUNNING', 'QUEUED', 'FINISHED', 'FAILED', 'KILLED', 'INTERRUPTED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses a run can end with. */
export const END_STATUSES = ['FINISHED', 'FAILED', 'KILLED'] as const;
export type EndStatus = (typeof END_STATUSES)[number];

/** Metric values travel as numbers, or as these strings for values JSON cannot hold. */
export type WireNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export interface RunStartEvent {
  readonly t: 'run_start';
  readonly ts: number;
  readonly run_id: string;
  readonly name: string;
  readonly experiment: string;
  readonly command?: string;
  readonly cwd?: string;
  readonly entry_point?: string;
  readonly source?: string;
  readonly user?: string;
  readonly parent_run_id?: string;
  /** The process logging the run and its host, so a later session can tell whether it still runs. */
  readonly pid?: number;
  readonly host?: string;
}

export interface RunEndEvent {
  readonly t: 'run_end';
  readonly ts: number;
  readonly status: EndStatus;
  readonly exit_code?: number;
  readonly error?: string;
}

export interface StatusEvent {
  readonly t: 'status';
  readonly ts: number;
  readonly status: RunStatus;
  /** The process the run now depends on (the script when RUNNING, the editor while QUEUED). */
  readonly pid?: number;
  readonly host?: string;
}

export interface ParamEvent {
  readonly t: 'param';
  readonly ts: number;
  readonly key: string;
  readonly value: string;
}

export interface MetricEvent {
  readonly t: 'metric';
  readonly ts: number;
  readonly key: string;
  readonly value: number;
  readonly step: number;
}

export interface TagEvent {
  readonly t: 'tag';
  readonly ts: number;
  readonly key: string;
  readonly value: string;
}

export interface ArtifactEvent {
  readonly t: 'artifact';
  readonly ts: number;
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface InputEvent {
  readonly t: 'input';
  readonly ts: number;
  readonly name: string;
  readonly path: string;
  readonly digest: string;
  /** In-memory data (autolog's training data): its shape, e.g. [rows, features]. */
  readonly shape?: readonly number[];
  /** A dataframe's column names. */
  readonly columns?: readonly string[];
}

export interface UntrackedFile {
  readonly path: string;
  /** Present for source files under the size limit; absent when only the name was kept. */
  readonly content?: string;
}

export interface GitEvent {
  readonly t: 'git';
  readonly ts: number;
  readonly commit: string;
  readonly branch?: string;
  readonly remote?: string;
  readonly dirty: boolean;
  /** `git diff --binary HEAD` of tracked changes; empty when clean. */
  readonly patch: string;
  readonly untracked: readonly UntrackedFile[];
}

export interface ModelFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/** A model the run logged: a folder of its artifacts with an MLmodel manifest. */
export interface ModelEvent {
  readonly t: 'model';
  readonly ts: number;
  /** The model's folder under the run's artifacts, e.g. "model". */
  readonly name: string;
  readonly flavor: string;
  readonly uuid: string;
  readonly files: readonly ModelFile[];
  /** The signature as JSON text, when one was given. */
  readonly signature?: string;
}

export interface GpuDevice {
  readonly name: string;
  readonly memory_total_megabytes?: number;
}

/**
 * The Python environment the run ran in, written by the Python client of the process that logs the
 * run (also into a run the editor created). A child run without one ran in its parent's process.
 */
export interface EnvironmentEvent {
  readonly t: 'environment';
  readonly ts: number;
  /** `platform.python_version()`, e.g. "3.11.2". */
  readonly python_version: string;
  /** "CPython", "PyPy", … */
  readonly python_implementation?: string;
  /** The interpreter's path (`sys.executable`). */
  readonly executable?: string;
  /** `platform.platform()`, e.g. "Linux-6.1.0-18-amd64-x86_64-with-glibc2.36". */
  readonly platform?: string;
  /** `platform.system()` and `platform.machine()`: "Linux", "x86_64". */
  readonly system?: string;
  readonly machine?: string;
  /** Every installed distribution: PEP 503 normalized name → version. */
  readonly packages: Readonly<Record<string, string>>;
  /** What `nvidia-smi` reported, when it is on the PATH and answered. */
  readonly gpu?: {
    readonly driver_version?: string;
    readonly cuda_version?: string;
    readonly devices: readonly GpuDevice[];
  };
}

export const REGISTRY_ACTIONS = [
  'create_model',
  'update_model',
  'delete_model',
  'create_version',
  'update_version',
  'delete_version',
  'set_alias',
  'delete_alias',
  // Journal format 3:
  'rename_model',
  'set_model_tag',
  'delete_model_tag',
  'set_version_tag',
  'delete_version_tag',
  'transition_stage',
] as const;
export type RegistryAction = (typeof REGISTRY_ACTIONS)[number];

/** MLflow's (deprecated) model version stages; `None` is a version's stage until it moves. */
export const MODEL_STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type ModelStage = (typeof MODEL_STAGES)[number];

/**
 * A change to the model registry. Registry events live in their own journal,
 * `<store>/registry/events.jsonl`, not in a run's.
 */
export interface RegistryEvent {
  readonly t: 'registry';
  readonly ts: number;
  readonly action: RegistryAction;
  readonly model: string;
  readonly version?: number;
  readonly alias?: string;
  /** For create_version: the run and the model's folder in its artifacts (or the run that logged `model_id`). */
  readonly run_id?: string;
  readonly source?: string;
  /** For create_version: a logged model (format 3), whose folder holds the version's files. */
  readonly model_id?: string;
  readonly description?: string;
  /** For create_version: the version's tags (the Python client's `register_model(tags=…)`). */
  readonly tags?: Readonly<Record<string, string>>;
  /** For rename_model. */
  readonly new_name?: string;
  /** For the tag actions. */
  readonly key?: string;
  readonly value?: string;
  /** For transition_stage. */
  readonly stage?: ModelStage;
  readonly archive_existing?: boolean;
}

export const LIFECYCLE_ACTIONS = ['delete', 'restore', 'pin', 'unpin', 'remove_tag'] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

/**
 * What a user did to a run from the editor: moved it to the trash or back, pinned it, removed a
 * tag (a `tag` event can only set one). Renaming and tagging are `tag` events.
 */
export interface LifecycleEvent {
  readonly t: 'lifecycle';
  readonly ts: number;
  readonly action: LifecycleAction;
  /** For remove_tag: the tag's key. */
  readonly key?: string;
}

/** A logged model the run produced (MLflow 3's `runs/outputs`), at a step. Format 3. */
export interface ModelOutputEvent {
  readonly t: 'model_output';
  readonly ts: number;
  readonly model_id: string;
  readonly step: number;
}

/** Files of the run removed (MLflow's artifact DELETE): the file at `path`, or every file under it. Format 3. */
export interface ArtifactRemovedEvent {
  readonly t: 'artifact_removed';
  readonly ts: number;
  readonly path: string;
}

/** A logged model the run used (MLflow 3's `log_inputs(models=…)`). Format 3. */
export interface ModelInputEvent {
  readonly t: 'model_input';
  readonly ts: number;
  readonly model_id: string;
}

export const LOGGED_MODEL_ACTIONS = [
  'create',
  'finalize',
  'set_tags',
  'delete_tag',
  'log_params',
  'log_metrics',
  'artifact',
  'remove_artifact',
  'delete',
] as const;
export type LoggedModelAction = (typeof LOGGED_MODEL_ACTIONS)[number];

/** A logged model's status: PENDING from `create` until `finalize` says READY or FAILED. */
export type LoggedModelStatus = 'PENDING' | 'READY' | 'FAILED';

/** A metric point of a logged model (MLflow's `Metric` with a `model_id`). */
export interface LoggedModelMetric {
  readonly key: string;
  readonly value: number;
  readonly step: number;
  readonly ts: number;
  readonly run_id?: string;
  readonly dataset_name?: string;
  readonly dataset_digest?: string;
}

/**
 * A change to one of MLflow 3's logged models. These live in their own journal,
 * `<store>/models/events.jsonl`; a model's files are `<store>/models/<model_id>/artifacts/`. Format 3.
 */
export interface LoggedModelEvent {
  readonly t: 'logged_model';
  readonly ts: number;
  readonly action: LoggedModelAction;
  readonly model_id: string;
  /** For create. */
  readonly name?: string;
  readonly experiment_id?: string;
  readonly model_type?: string;
  readonly source_run_id?: string;
  /** For create and log_params (write-once). */
  readonly params?: Readonly<Record<string, string>>;
  /** For create and set_tags. */
  readonly tags?: Readonly<Record<string, string>>;
  /** For finalize. */
  readonly status?: 'READY' | 'FAILED';
  /** For delete_tag. */
  readonly key?: string;
  /** For log_metrics. */
  readonly metrics?: readonly LoggedModelMetric[];
  /** For artifact (and remove_artifact: a file or a folder): relative to the model's `artifacts/`. */
  readonly path?: string;
  readonly size?: number;
  readonly sha256?: string;
}

export type RunEvent =
  | RunStartEvent
  | RunEndEvent
  | StatusEvent
  | ParamEvent
  | MetricEvent
  | TagEvent
  | ArtifactEvent
  | InputEvent
  | GitEvent
  | ModelEvent
  | EnvironmentEvent
  | RegistryEvent
  | LifecycleEvent
  | ModelOutputEvent
  | ModelInputEvent
  | ArtifactRemovedEvent
  | LoggedModelEvent;

/** Decodes a metric value, keeping NaN and ±Infinity, which JSON can only carry as strings. */
export function decodeWireNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return undefined;
}

export function encodeWireNumber(value: number): WireNumber {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}
