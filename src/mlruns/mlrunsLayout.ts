/**
 * MLflow's file store (`mlruns/`), as `mlflow/store/tracking/file_store.py` writes it:
 *
 *   mlruns/<experiment_id>/meta.yaml              the experiment
 *   mlruns/<experiment_id>/<run_id>/meta.yaml     the run (status as an int)
 *   mlruns/<experiment_id>/<run_id>/params/<key>  the value, no newline
 *   mlruns/<experiment_id>/<run_id>/tags/<key>    the value, no newline
 *   mlruns/<experiment_id>/<run_id>/metrics/<key> one line per point: `<timestamp ms> <value> <step>`
 *   mlruns/<experiment_id>/<run_id>/artifacts/…
 *   mlruns/.trash/<experiment_id>/…               deleted experiments (deleted runs stay, marked)
 *   mlruns/models/…                               the model registry
 *
 * Keys may hold `/`: they are nested folders. meta.yaml is PyYAML's `safe_dump` with sorted keys.
 * This file is the pure part: the formats of single files, no file system.
 */
import { isMap, isScalar, parseDocument } from 'yaml';
import type { RunStatus } from '../store/events';

export const TRASH_FOLDER = '.trash';
export const REGISTRY_FOLDER = 'models';
export const META_FILE = 'meta.yaml';
export const DEFAULT_EXPERIMENT_ID = '0';
export const DEFAULT_EXPERIMENT_NAME = 'Default';
/** Folders of an experiment that are not runs (experiment tags, datasets, traces, logged models). */
export const EXPERIMENT_RESERVED = new Set(['tags', 'datasets', 'traces', 'models']);

/** MLflow's `RunStatus` enum, as the file store writes it. */
export const MLFLOW_STATUS = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 } as const;
/** MLflow's `SourceType.LOCAL`, which the file store writes for every run. */
export const SOURCE_TYPE_LOCAL = 4;

export const TAG_RUN_NAME = 'mlflow.runName';
export const TAG_GIT_COMMIT = 'mlflow.source.git.commit';
export const TAG_GIT_BRANCH = 'mlflow.source.git.branch';
export const TAG_GIT_REPO = 'mlflow.source.git.repoURL';
export const TAG_USER = 'mlflow.user';
export const TAG_SOURCE_NAME = 'mlflow.source.name';
export const TAG_PARENT_RUN = 'mlflow.parentRunId';
export const TAG_ENTRY_POINT = 'mlflow.project.entryPoint';

export type Lifecycle = 'active' | 'deleted';

export interface ExperimentMeta {
  readonly experimentId: string;
  readonly name: string;
  readonly artifactLocation: string;
  readonly lifecycleStage: Lifecycle;
  readonly creationTime: number | null;
  readonly lastUpdateTime: number | null;
}

export interface RunMeta {
  readonly runId: string;
  readonly experimentId: string;
  readonly runName: string;
  readonly userId: string;
  readonly status: RunStatus;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly lifecycleStage: Lifecycle;
  readonly artifactUri: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** MLflow's run ids: what `_validate_run_id` accepts, narrowed to what Runlog accepts as a folder name. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function isRunId(value: string): boolean {
  return RUN_ID.test(value);
}

// ---------------------------------------------------------------------------------------------
// meta.yaml

/**
 * Reads a meta.yaml into strings, never numbers: the `yaml` library's YAML 1.2 would read a run id
 * like `1234e567` as a float, where PyYAML (YAML 1.1) keeps it a string. Fields are typed below.
 */
function yamlMap(text: string): Parsed<Record<string, unknown>> {
  let doc;
  try {
    doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: false });
  } catch (error) {
    return { ok: false, reason: `not YAML (${(error as Error).message})` };
  }
  if (doc.errors.length > 0) return { ok: false, reason: `not YAML (${doc.errors[0]?.message.split('\n')[0]})` };
  if (!isMap(doc.contents)) return { ok: false, reason: 'not a YAML mapping' };
  const map: Record<string, unknown> = {};
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    map[key] = scalarValue(pair.value);
  }
  return { ok: true, value: map };
}

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);

/** A plain `null`, `~` or nothing is null; a quoted 'null' is the string. */
function scalarValue(node: unknown): unknown {
  if (node === null || node === undefined) return null;
  if (!isScalar(node)) return (node as { toJSON(): unknown }).toJSON();
  const value = String(node.value);
  return node.type === 'PLAIN' && NULLS.has(value) ? null : value;
}

function text(map: Record<string, unknown>, key: string): string | undefined {
  const value = map[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** An int64 field: undefined when absent or null, NaN when present but not an integer. */
function millis(map: Record<string, unknown>, key: string): number | null | undefined {
  const value = text(map, key);
  if (value === undefined) return null;
  return /^[-+]?\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : undefined;
}

function lifecycle(map: Record<string, unknown>): Lifecycle | undefined {
  const stage = text(map, 'lifecycle_stage') ?? 'active';
  return stage === 'active' || stage === 'deleted' ? stage : undefined;
}

export function parseExperimentMeta(yamlText: string): Parsed<ExperimentMeta> {
  const parsed = yamlMap(yamlText);
  if (!parsed.ok) return parsed;
  const map = parsed.value;
  const experimentId = text(map, 'experiment_id');
  const name = text(map, 'name');
  const stage = lifecycle(map);
  const creationTime = millis(map, 'creation_time');
  const lastUpdateTime = millis(map, 'last_update_time');
  if (experimentId === undefined) return { ok: false, reason: 'experiment_id is missing' };
  if (!/^[A-Za-z0-9_-]+$/.test(experimentId))
    return { ok: false, reason: `experiment_id "${experimentId}" is not an id` };
  if (name === undefined) return { ok: false, reason: 'name is missing' };
  if (stage === undefined) return { ok: false, reason: 'lifecycle_stage is neither active nor deleted' };
  if (creationTime === undefined || lastUpdateTime === undefined) {
    return { ok: false, reason: 'creation_time and last_update_time must be integers (milliseconds)' };
  }
  return {
    ok: true,
    value: {
      experimentId,
      name,
      artifactLocation: text(map, 'artifact_location') ?? '',
      lifecycleStage: stage,
      creationTime,
      lastUpdateTime,
    },
  };
}

const STATUS_BY_NUMBER: Record<string, RunStatus> = {
  '1': 'RUNNING',
  '2': 'QUEUED',
  '3': 'FINISHED',
  '4': 'FAILED',
  '5': 'KILLED',
  RUNNING: 'RUNNING',
  SCHEDULED: 'QUEUED',
  FINISHED: 'FINISHED',
  FAILED: 'FAILED',
  KILLED: 'KILLED',
};

export function parseRunMeta(yamlText: string): Parsed<RunMeta> {
  const parsed = yamlMap(yamlText);
  if (!parsed.ok) return parsed;
  const map = parsed.value;
  const runId = text(map, 'run_id') ?? text(map, 'run_uuid');
  const experimentId = text(map, 'experiment_id');
  // The file store writes RUNNING when a run has no status yet.
  const status = STATUS_BY_NUMBER[text(map, 'status') ?? '1'];
  const stage = lifecycle(map);
  const startTime = millis(map, 'start_time');
  const endTime = millis(map, 'end_time');
  if (runId === undefined) return { ok: false, reason: 'run_id is missing' };
  if (!isRunId(runId)) return { ok: false, reason: `run_id "${runId}" is not a run id` };
  if (experimentId === undefined) return { ok: false, reason: 'experiment_id is missing' };
  if (status === undefined) return { ok: false, reason: `status "${text(map, 'status')}" is not an MLflow run status` };
  if (stage === undefined) return { ok: false, reason: 'lifecycle_stage is neither active nor deleted' };
  if (startTime === undefined || endTime === undefined) {
    return { ok: false, reason: 'start_time and end_time must be integers (milliseconds) or null' };
  }
  return {
    ok: true,
    value: {
      runId,
      experimentId,
      runName: text(map, 'run_name') ?? '',
      userId: text(map, 'user_id') ?? '',
      status,
      startTime,
      endTime,
      lifecycleStage: stage,
      artifactUri: text(map, 'artifact_uri') ?? '',
    },
  };
}

/** MLflow's int status of a Runlog status; an interrupted run (its process died) failed. */
export function mlflowStatus(status: RunStatus): number {
  switch (status) {
    case 'RUNNING':
      return MLFLOW_STATUS.RUNNING;
    case 'QUEUED':
      return MLFLOW_STATUS.SCHEDULED;
    case 'FINISHED':
      return MLFLOW_STATUS.FINISHED;
    case 'KILLED':
      return MLFLOW_STATUS.KILLED;
    case 'FAILED':
    case 'INTERRUPTED':
      return MLFLOW_STATUS.FAILED;
  }
}

export function experimentMetaYaml(meta: ExperimentMeta): string {
  return pyyamlDump({
    artifact_location: meta.artifactLocation,
    creation_time: meta.creationTime,
    experiment_id: meta.experimentId,
    last_update_time: meta.lastUpdateTime,
    lifecycle_stage: meta.lifecycleStage,
    name: meta.name,
  });
}

export function runMetaYaml(meta: RunMeta): string {
  return pyyamlDump({
    artifact_uri: meta.artifactUri,
    end_time: meta.endTime,
    entry_point_name: '',
    experiment_id: meta.experimentId,
    lifecycle_stage: meta.lifecycleStage,
    run_id: meta.runId,
    run_name: meta.runName,
    run_uuid: meta.runId,
    source_name: '',
    source_type: SOURCE_TYPE_LOCAL,
    source_version: '',
    start_time: meta.startTime,
    status: mlflowStatus(meta.status),
    // Kept for old MLflow versions, which read tags from here; tags live in tags/ now.
    tags: [],
    user_id: meta.userId,
  });
}

type YamlScalar = string | number | null | readonly never[];

/** A flat mapping as PyYAML's `safe_dump(default_flow_style=False)` writes it: sorted keys, one per line. */
export function pyyamlDump(map: Readonly<Record<string, YamlScalar>>): string {
  return Object.keys(map)
    .sort()
    .map((key) => `${key}: ${yamlScalar(map[key] ?? null)}\n`)
    .join('');
}

// What YAML 1.1 (PyYAML's resolver) would read as something other than a string.
const YAML11_SPECIAL = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:~|null|Null|NULL)$/,
  /^[-+]?(?:0b[01_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^\d{4}-\d\d?-\d\d?/,
];
const PLAIN = /^[\p{L}\p{N}_./][\p{L}\p{N}_./:%+@= -]*$/u;

function yamlScalar(value: YamlScalar): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return '[]';
  // Single quotes would fold a line break into a space; double quotes keep escapes, as JSON writes them.
  if ([...value].some((c) => c < ' ' || c === '\u007f')) return JSON.stringify(value);
  const plain =
    PLAIN.test(value) &&
    !value.endsWith(' ') &&
    !value.endsWith(':') &&
    !value.includes(': ') &&
    !value.includes(' #') &&
    !YAML11_SPECIAL.some((re) => re.test(value));
  return plain ? value : `'${value.replace(/'/g, "''")}'`;
}

// ---------------------------------------------------------------------------------------------
// metrics

export interface MetricPoint {
  readonly timestamp: number;
  readonly value: number;
  readonly step: number;
}

const INTEGER = /^[-+]?\d+$/;
const FLOAT = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
const SPECIAL_FLOATS: Record<string, number> = {
  nan: Number.NaN,
  '+nan': Number.NaN,
  '-nan': Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '+infinity': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
};

/** Python's `float(text)`, for the values MLflow writes (`0.5`, `1e-05`, `nan`, `inf`, `-inf`). */
export function parsePythonFloat(textValue: string): number | undefined {
  const special = SPECIAL_FLOATS[textValue.toLowerCase()];
  if (special !== undefined) return special;
  return FLOAT.test(textValue) ? Number(textValue) : undefined;
}

/**
 * One line of a metric file, as `FileStore._get_metric_from_line` reads it: `timestamp value step`,
 * or `timestamp value` from MLflow versions before steps (step 0).
 */
export function parseMetricLine(line: string): Parsed<MetricPoint> {
  const parts = line.trim().split(' ');
  if (parts.length !== 2 && parts.length !== 3) {
    return { ok: false, reason: `${parts.length} fields where "timestamp value step" has 3` };
  }
  const [ts = '', valueText = '', stepText = '0'] = parts;
  const timestamp = INTEGER.test(ts) ? Number(ts) : Number.NaN;
  const value = parsePythonFloat(valueText);
  const step = INTEGER.test(stepText) ? Number(stepText) : Number.NaN;
  if (!Number.isSafeInteger(timestamp)) return { ok: false, reason: `timestamp "${ts}" is not an integer` };
  if (value === undefined) return { ok: false, reason: `value "${valueText}" is not a number` };
  if (!Number.isSafeInteger(step)) return { ok: false, reason: `step "${stepText}" is not an integer` };
  return { ok: true, value: { timestamp, value, step } };
}

/** A metric line as MLflow writes it: `"%s %s %s\n" % (timestamp, value, step)`. */
export function metricLine(point: MetricPoint): string {
  return `${point.timestamp} ${pythonFloatRepr(point.value)} ${point.step}\n`;
}

/**
 * Python's `repr(float)`: the shortest digits that read back the same (as JavaScript's), but
 * written the Python way: `1.0` not `1`, `1e-05` not `0.00001`, `nan`, `inf`.
 */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa = '0', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  // repr switches to scientific notation below 1e-4 and from 1e16 on.
  if (exponent < -4 || exponent >= 16) {
    const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expSign = exponent < 0 ? '-' : '+';
    return `${sign}${body}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
}

// ---------------------------------------------------------------------------------------------
// keys

/**
 * Whether a param, metric or tag key can be a path under its folder: segments separated by `/`,
 * none empty, `.` or `..`, no backslash or NUL. Anything else could write outside the run's folder.
 */
export function isSafeKey(key: string): boolean {
  if (key === '' || key.includes('\\') || key.includes('\0')) return false;
  return key.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}
