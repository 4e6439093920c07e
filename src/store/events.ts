/**
 * The journal event format: one JSON object per line in `.runlog/runs/<run-id>/events.jsonl`.
 *
 * Producers (the Python client, the editor, the MLflow endpoint) only ever append these lines;
 * the store ingests them. `docs/JOURNAL.md` is the human-readable contract and must match this file.
 * Every event carries `t` (its type) and `ts` (wall time, milliseconds since the Unix epoch).
 */

/**
 * The journal format this file describes. A change that an older producer or reader would get wrong
 * (a new event type that matters, a field whose meaning changes) raises it, here and as
 * `JOURNAL_FORMAT` in python/runlog/_version.py; new optional fields do not. The store records it
 * in `<store>/format.json` (storeFormat.ts) so an older Python client can say it is out of date.
 */
export const JOURNAL_FORMAT = 4;

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
] as const;
export type RegistryAction = (typeof REGISTRY_ACTIONS)[number];

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
  /** For create_version: the run and the model's folder in its artifacts. */
  readonly run_id?: string;
  readonly source?: string;
  readonly description?: string;
  /** For create_version: the version's tags (the Python client's `register_model(tags=…)`). */
  readonly tags?: Readonly<Record<string, string>>;
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
  | LifecycleEvent;

export type ParseResult =
  | { readonly ok: true; readonly event: RunEvent }
  | {
      readonly ok: false;
      readonly reason: string;
      /**
       * Set when the line is a well-formed event (`t`, `ts`) of a type this reader does not know: a
       * newer producer's event, which readers skip without reporting a problem (journal format 2).
       */
      readonly unknownType?: string;
      /** Set for a batched metric line (journal format 4): its fields, which metricBatchLine.ts reads. */
      readonly batched?: Readonly<Record<string, unknown>>;
    };

type Fields = Record<string, unknown>;

function fail(reason: string): ParseResult {
  return { ok: false, reason };
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

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

function optionalStrings(fields: Fields, names: readonly string[]): string | undefined {
  for (const name of names) {
    if (fields[name] !== undefined && !isString(fields[name])) return `"${name}" must be a string`;
  }
  return undefined;
}

function requireStrings(fields: Fields, names: readonly string[]): string | undefined {
  for (const name of names) {
    if (!isString(fields[name]) || fields[name] === '') return `"${name}" must be a non-empty string`;
  }
  return undefined;
}

function processProblem(fields: Fields): string | undefined {
  const pid = fields['pid'];
  return pid === undefined || (Number.isSafeInteger(pid) && (pid as number) > 0)
    ? undefined
    : '"pid" must be a positive integer';
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringListProblem(fields: Fields, name: string): string | undefined {
  const value = fields[name];
  return value === undefined || (Array.isArray(value) && value.every(isString))
    ? undefined
    : `"${name}" must be a list of strings`;
}

function shapeProblem(shape: unknown): string | undefined {
  return shape === undefined ||
    (Array.isArray(shape) && shape.every((n) => Number.isSafeInteger(n) && (n as number) >= 0))
    ? undefined
    : '"shape" must be a list of non-negative integers';
}

function environmentProblem(fields: Fields): string | undefined {
  const packages = fields['packages'];
  const problem =
    requireStrings(fields, ['python_version']) ??
    optionalStrings(fields, ['python_implementation', 'executable', 'platform', 'system', 'machine']) ??
    (isObject(packages) && Object.values(packages).every(isString)
      ? undefined
      : '"packages" must be an object of strings (name → version)');
  if (problem || fields['gpu'] === undefined) return problem;
  const gpu = fields['gpu'];
  if (!isObject(gpu)) return '"gpu" must be an object';
  const devices = gpu['devices'];
  return (
    optionalStrings(gpu, ['driver_version', 'cuda_version']) ??
    (Array.isArray(devices) &&
    devices.every(
      (d) =>
        isObject(d) &&
        isString(d['name']) &&
        (d['memory_total_megabytes'] === undefined || isFiniteNumber(d['memory_total_megabytes'])),
    )
      ? undefined
      : '"gpu.devices" entries must be {"name": string, "memory_total_megabytes"?: number}')
  );
}

function tagsProblem(tags: unknown): string | undefined {
  if (tags === undefined) return undefined;
  return typeof tags === 'object' && tags !== null && !Array.isArray(tags) && Object.values(tags).every(isString)
    ? undefined
    : '"tags" must be an object of strings';
}

function parseFields(fields: Fields): ParseResult {
  const ts = fields['ts'];
  if (!isFiniteNumber(ts)) return fail('"ts" must be a number (milliseconds since the epoch)');
  const type = fields['t'];
  let problem: string | undefined;
  switch (type) {
    case 'run_start':
      problem =
        requireStrings(fields, ['run_id', 'name', 'experiment']) ??
        optionalStrings(fields, ['command', 'cwd', 'entry_point', 'source', 'user', 'parent_run_id', 'host']) ??
        processProblem(fields);
      break;
    case 'run_end':
      if (!(END_STATUSES as readonly unknown[]).includes(fields['status'])) {
        problem = `"status" must be one of ${END_STATUSES.join(', ')}`;
      } else if (fields['exit_code'] !== undefined && !Number.isInteger(fields['exit_code'])) {
        problem = '"exit_code" must be an integer';
      } else {
        problem = optionalStrings(fields, ['error']);
      }
      break;
    case 'status':
      if (!(RUN_STATUSES as readonly unknown[]).includes(fields['status'])) {
        problem = `"status" must be one of ${RUN_STATUSES.join(', ')}`;
      } else {
        problem = optionalStrings(fields, ['host']) ?? processProblem(fields);
      }
      break;
    case 'param':
      problem = requireStrings(fields, ['key']) ?? (isString(fields['value']) ? undefined : '"value" must be a string');
      break;
    case 'tag':
      problem = requireStrings(fields, ['key']) ?? (isString(fields['value']) ? undefined : '"value" must be a string');
      break;
    case 'metric': {
      problem = requireStrings(fields, ['key']);
      const value = decodeWireNumber(fields['value']);
      if (!problem && value === undefined) problem = '"value" must be a number, "NaN", "Infinity" or "-Infinity"';
      // Beyond 2^53 a step is read as the nearest double (the journal keeps its digits).
      if (!problem && !Number.isInteger(fields['step'])) problem = '"step" must be an integer';
      if (!problem && value !== undefined) {
        return {
          ok: true,
          event: { t: 'metric', ts, key: fields['key'] as string, value, step: fields['step'] as number },
        };
      }
      break;
    }
    case 'artifact':
      problem =
        requireStrings(fields, ['path', 'sha256']) ??
        (Number.isSafeInteger(fields['size']) && (fields['size'] as number) >= 0
          ? undefined
          : '"size" must be a non-negative integer');
      break;
    case 'input':
      problem =
        requireStrings(fields, ['name', 'path', 'digest']) ??
        shapeProblem(fields['shape']) ??
        stringListProblem(fields, 'columns');
      break;
    case 'environment':
      problem = environmentProblem(fields);
      break;
    case 'model': {
      problem = requireStrings(fields, ['name', 'flavor', 'uuid']) ?? optionalStrings(fields, ['signature']);
      const files = fields['files'];
      if (!problem && !Array.isArray(files)) problem = '"files" must be a list';
      if (!problem) {
        for (const entry of files as unknown[]) {
          const file = entry as Fields | null;
          if (
            typeof file !== 'object' ||
            file === null ||
            !isString(file['path']) ||
            !isString(file['sha256']) ||
            !Number.isSafeInteger(file['size'])
          ) {
            problem = '"files" entries must be {"path": string, "size": integer, "sha256": string}';
            break;
          }
        }
      }
      break;
    }
    case 'registry':
      if (!(REGISTRY_ACTIONS as readonly unknown[]).includes(fields['action'])) {
        problem = `"action" must be one of ${REGISTRY_ACTIONS.join(', ')}`;
      } else {
        problem =
          requireStrings(fields, ['model']) ??
          optionalStrings(fields, ['alias', 'run_id', 'source', 'description']) ??
          (fields['version'] === undefined ||
          (Number.isSafeInteger(fields['version']) && (fields['version'] as number) > 0)
            ? undefined
            : '"version" must be a positive integer') ??
          tagsProblem(fields['tags']);
      }
      break;
    case 'lifecycle':
      if (!(LIFECYCLE_ACTIONS as readonly unknown[]).includes(fields['action'])) {
        problem = `"action" must be one of ${LIFECYCLE_ACTIONS.join(', ')}`;
      } else {
        problem =
          fields['action'] === 'remove_tag' ? requireStrings(fields, ['key']) : optionalStrings(fields, ['key']);
      }
      break;
    case 'git': {
      problem =
        requireStrings(fields, ['commit']) ??
        optionalStrings(fields, ['branch', 'remote']) ??
        (typeof fields['dirty'] === 'boolean' ? undefined : '"dirty" must be true or false') ??
        (isString(fields['patch']) ? undefined : '"patch" must be a string');
      const untracked = fields['untracked'];
      if (!problem && !Array.isArray(untracked)) problem = '"untracked" must be a list';
      if (!problem) {
        for (const entry of untracked as unknown[]) {
          const file = entry as Fields | null;
          if (
            typeof file !== 'object' ||
            file === null ||
            !isString(file['path']) ||
            (file['content'] !== undefined && !isString(file['content']))
          ) {
            problem = '"untracked" entries must be {"path": string, "content"?: string}';
            break;
          }
        }
      }
      break;
    }
    default:
      if (typeof type !== 'string' || type === '') return fail('"t" (the event type) is missing');
      return { ok: false, reason: `unknown event type "${type}"`, unknownType: type };
  }
  if (problem) return fail(`${String(type)}: ${problem}`);
  return { ok: true, event: fields as unknown as RunEvent };
}

/** Parses one journal line. Never throws: a bad line yields a reason to report, never a crash. */
export function parseEventLine(line: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return fail('not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not a JSON object');
  const fields = value as Fields;
  if (fields['t'] === 'metrics') {
    return { ok: false, reason: 'metrics: a batched metric line (journal format 4)', batched: fields };
  }
  return parseFields(fields);
}
