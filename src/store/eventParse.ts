/**
 * Reading one journal line: JSON, then the checks of docs/JOURNAL.md for its event type (events.ts
 * holds the types). A line that fails is reported with the reason and skipped, never a crash; a
 * well-formed event of a type this reader does not know is a newer producer's, skipped quietly.
 */
import type { RunEvent } from './events';
import {
  END_STATUSES,
  LIFECYCLE_ACTIONS,
  LOGGED_MODEL_ACTIONS,
  MODEL_STAGES,
  REGISTRY_ACTIONS,
  RUN_STATUSES,
  decodeWireNumber,
} from './events';

/** A logged model's id: what a run id may be (MLflow's are `m-` and 32 hex digits). */
export const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

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

function positiveVersionProblem(version: unknown): string | undefined {
  return version === undefined || (Number.isSafeInteger(version) && (version as number) > 0)
    ? undefined
    : '"version" must be a positive integer';
}

/** What a `registry` event needs for its action (docs/JOURNAL.md); the store checks the rules. */
function registryProblem(fields: Fields): string | undefined {
  const action = fields['action'];
  if (!(REGISTRY_ACTIONS as readonly unknown[]).includes(action)) {
    return `"action" must be one of ${REGISTRY_ACTIONS.join(', ')}`;
  }
  const problem =
    requireStrings(fields, ['model']) ??
    optionalStrings(fields, ['alias', 'run_id', 'source', 'description', 'model_id', 'new_name', 'key', 'value']) ??
    positiveVersionProblem(fields['version']) ??
    tagsProblem(fields['tags']) ??
    (fields['archive_existing'] === undefined || typeof fields['archive_existing'] === 'boolean'
      ? undefined
      : '"archive_existing" must be true or false');
  if (problem) return problem;
  switch (action) {
    case 'rename_model':
      return requireStrings(fields, ['new_name']);
    case 'set_model_tag':
    case 'set_version_tag':
      return requireStrings(fields, ['key']) ?? (isString(fields['value']) ? undefined : '"value" must be a string');
    case 'delete_model_tag':
    case 'delete_version_tag':
      return requireStrings(fields, ['key']);
    case 'transition_stage':
      return (MODEL_STAGES as readonly unknown[]).includes(fields['stage'])
        ? undefined
        : `"stage" must be one of ${MODEL_STAGES.join(', ')}`;
    default:
      return undefined;
  }
}

function stringRecordProblem(fields: Fields, name: string): string | undefined {
  const value = fields[name];
  return value === undefined || (isObject(value) && Object.values(value).every(isString))
    ? undefined
    : `"${name}" must be an object of strings`;
}

function metricsProblem(metrics: unknown): string | undefined {
  if (!Array.isArray(metrics)) return '"metrics" must be a list';
  for (const entry of metrics) {
    if (
      !isObject(entry) ||
      !isString(entry['key']) ||
      entry['key'] === '' ||
      decodeWireNumber(entry['value']) === undefined ||
      !Number.isInteger(entry['step']) ||
      !isFiniteNumber(entry['ts']) ||
      optionalStrings(entry, ['run_id', 'dataset_name', 'dataset_digest']) !== undefined
    ) {
      return '"metrics" entries must be {"key", "value", "step", "ts", "run_id"?, "dataset_name"?, "dataset_digest"?}';
    }
  }
  return undefined;
}

function decodedMetrics(metrics: readonly Fields[]): Fields[] {
  return metrics.map((m) => ({ ...m, value: decodeWireNumber(m['value']) }));
}

/** What a `logged_model` event needs for its action (docs/JOURNAL.md, format 3). */
function loggedModelProblem(fields: Fields): string | undefined {
  const action = fields['action'];
  if (!(LOGGED_MODEL_ACTIONS as readonly unknown[]).includes(action)) {
    return `"action" must be one of ${LOGGED_MODEL_ACTIONS.join(', ')}`;
  }
  if (!isString(fields['model_id']) || !MODEL_ID.test(fields['model_id'])) {
    return '"model_id" must be 1-128 characters of A-Z a-z 0-9 _ . -, starting with a letter or digit';
  }
  switch (action) {
    case 'create':
      return (
        requireStrings(fields, ['name', 'experiment_id']) ??
        optionalStrings(fields, ['model_type', 'source_run_id']) ??
        stringRecordProblem(fields, 'params') ??
        stringRecordProblem(fields, 'tags')
      );
    case 'finalize':
      return fields['status'] === 'READY' || fields['status'] === 'FAILED'
        ? undefined
        : '"status" must be READY or FAILED';
    case 'set_tags':
      return fields['tags'] === undefined ? '"tags" must be an object of strings' : stringRecordProblem(fields, 'tags');
    case 'log_params':
      return fields['params'] === undefined
        ? '"params" must be an object of strings'
        : stringRecordProblem(fields, 'params');
    case 'delete_tag':
      return requireStrings(fields, ['key']);
    case 'remove_artifact':
      return requireStrings(fields, ['path']);
    case 'log_metrics':
      return metricsProblem(fields['metrics']);
    case 'artifact':
      return (
        requireStrings(fields, ['path', 'sha256']) ??
        (Number.isSafeInteger(fields['size']) && (fields['size'] as number) >= 0
          ? undefined
          : '"size" must be a non-negative integer')
      );
    default:
      return undefined;
  }
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
      problem = registryProblem(fields);
      break;
    case 'artifact_removed':
      problem = requireStrings(fields, ['path']);
      break;
    case 'model_output':
    case 'model_input':
      problem =
        (isString(fields['model_id']) && MODEL_ID.test(fields['model_id'])
          ? undefined
          : '"model_id" must be a model id') ??
        (type === 'model_input' || Number.isInteger(fields['step']) ? undefined : '"step" must be an integer');
      break;
    case 'logged_model':
      problem = loggedModelProblem(fields);
      if (!problem && fields['action'] === 'log_metrics') {
        return {
          ok: true,
          event: { ...fields, metrics: decodedMetrics(fields['metrics'] as Fields[]) } as unknown as RunEvent,
        };
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
