/**
 * A Runlog run in MLflow's terms, and back: statuses, the limits a run must fit, dataset inputs
 * (columns as a `mlflow_colspec` schema, a shape as the profile), logged models (MLflow 2's
 * `runs/log-model` and its `mlflow.log-model.history` tag), the git state (MLflow's source tags,
 * with the diff and untracked files as artifacts), and what identifies a remote run's state.
 */
import { createHash } from 'node:crypto';
import type { GitEvent, InputEvent, ModelEvent, RunEvent, UntrackedFile } from '../store/events';
import { RUN_NAME_TAG } from '../store/ingest';
import type { RunDetails } from '../store/types';
import type { FileInfo, RemoteDataset, RemoteRun } from './mlflowClient';
import { LIMITS, tagOf } from './mlflowClient';
import { LOGGED_MODELS_TAG, REMOTE_TAG, serverTagKey } from './syncTags';

/** MLflow's status for a Runlog status (an interrupted run was killed; a queued one is scheduled). */
export function mlflowStatus(status: string): string {
  return status === 'INTERRUPTED' ? 'KILLED' : status === 'QUEUED' ? 'SCHEDULED' : status;
}

/** What would make the server refuse the run, said before anything is sent (nothing is cut short). */
export function limitProblems(details: RunDetails): string[] {
  const problems: string[] = [];
  const key = (what: string, k: string): void => {
    if (k.length > LIMITS.keyLength)
      problems.push(`${what} key "${k.slice(0, 40)}…" is longer than ${LIMITS.keyLength} characters`);
  };
  for (const [k, v] of Object.entries(details.params)) {
    key('param', k);
    if (v.length > LIMITS.paramValueLength)
      problems.push(
        `param "${k}" has a value of ${v.length} characters; MLflow takes at most ${LIMITS.paramValueLength}`,
      );
  }
  for (const [k, v] of Object.entries(details.tags)) {
    const wire = serverTagKey(k);
    if (wire === undefined) continue;
    key('tag', wire);
    if (v.length > LIMITS.tagValueLength)
      problems.push(`tag "${k}" has a value of ${v.length} characters; MLflow takes at most ${LIMITS.tagValueLength}`);
  }
  for (const m of details.metrics) key('metric', m.key);
  return problems;
}

/** A dataset input as MLflow's `Dataset` message. */
export function inputDataset(event: InputEvent): RemoteDataset {
  return {
    name: event.name,
    digest: event.digest,
    source_type: 'local',
    source: event.path,
    ...(event.columns ? { schema: JSON.stringify({ mlflow_colspec: event.columns.map((name) => ({ name })) }) } : {}),
    ...(event.shape ? { profile: JSON.stringify({ shape: event.shape }) } : {}),
  };
}

/** The datasets a remote run has, by name and digest. */
export function runInputIds(run: RemoteRun | undefined): Set<string> {
  return new Set((run?.inputs?.dataset_inputs ?? []).map((d) => `${d.dataset.name}\u0000${d.dataset.digest}`));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A logged model as `runs/log-model`'s `model_json` (MLflow's MLmodel fields that matter to it). */
export function modelJson(event: ModelEvent, remoteRunId: string): string {
  return JSON.stringify({
    artifact_path: event.name,
    flavors: { [event.flavor]: {} },
    utc_time_created: new Date(event.ts).toISOString().replace('T', ' ').replace('Z', ''),
    run_id: remoteRunId,
    model_uuid: event.uuid,
    ...(event.signature ? { signature: safeJson(event.signature) } : {}),
  });
}

/** What identifies the state of a remote run as runs/get shows it: a change anywhere changes it. */
export function fingerprint(run: RemoteRun): string {
  return createHash('sha256')
    .update(JSON.stringify([run.info, run.data ?? {}, run.inputs ?? {}]))
    .digest('hex')
    .slice(0, 32);
}

/** An int64 field as a number, or a bigint when its digits go past 2^53. */
export function int(value: number | string | undefined): bigint | number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return Math.trunc(value);
  return /^-?\d+$/.test(value) ? BigInt(value) : 0;
}

export /** The server's tags that a local journal keeps as they are (the run's name and origin go elsewhere). */
function keptTags(run: RemoteRun): [string, string][] {
  return (run.data?.tags ?? [])
    .filter((t) => t.key !== '' && t.key !== RUN_NAME_TAG && !t.key.startsWith(REMOTE_TAG))
    .map((t) => [t.key, t.value ?? '']);
}

export function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** A run's dataset inputs on the server as journal events (schema and profile back to columns and shape). */
export function inputEvents(run: RemoteRun, ts: number): RunEvent[] {
  return (run.inputs?.dataset_inputs ?? []).map(({ dataset }): RunEvent => {
    const columns = parseJson<{ mlflow_colspec?: { name?: unknown }[] }>(dataset.schema ?? '')?.mlflow_colspec;
    const shape = parseJson<{ shape?: unknown }>(dataset.profile ?? '')?.shape;
    return {
      t: 'input',
      ts,
      name: dataset.name,
      path: dataset.source || dataset.name,
      digest: dataset.digest,
      ...(Array.isArray(shape) && shape.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)
        ? { shape: shape as number[] }
        : {}),
      ...(Array.isArray(columns) && columns.every((c) => typeof c?.name === 'string')
        ? { columns: columns.map((c) => c.name as string) }
        : {}),
    };
  });
}

/** Models the server recorded in MLflow 2's `mlflow.log-model.history` tag, with their files. */
export function modelEvents(
  run: RemoteRun,
  files: readonly FileInfo[],
  artifacts: readonly RunEvent[],
  ts: number,
): RunEvent[] {
  const history = parseJson<
    { artifact_path?: unknown; flavors?: unknown; model_uuid?: unknown; signature?: unknown }[]
  >(tagOf(run, LOGGED_MODELS_TAG) ?? '');
  if (!Array.isArray(history)) return [];
  const digests = new Map(artifacts.flatMap((a) => (a.t === 'artifact' ? [[a.path, a] as const] : [])));
  return history.flatMap((model): RunEvent[] => {
    if (typeof model?.artifact_path !== 'string' || typeof model.flavors !== 'object' || model.flavors === null)
      return [];
    const name = model.artifact_path;
    const flavors = Object.keys(model.flavors);
    const inside = files.filter((f) => f.path.startsWith(`${name}/`));
    return [
      {
        t: 'model',
        ts,
        name,
        flavor: flavors.find((f) => f !== 'python_function') ?? flavors[0] ?? 'python_function',
        uuid:
          typeof model.model_uuid === 'string' && model.model_uuid !== ''
            ? model.model_uuid
            : `${run.info.run_id}-${name}`,
        files: inside.flatMap((f) => {
          const a = digests.get(f.path);
          return a && a.t === 'artifact'
            ? [{ path: f.path.slice(name.length + 1), size: a.size, sha256: a.sha256 }]
            : [];
        }),
        ...(model.signature !== undefined ? { signature: JSON.stringify(model.signature) } : {}),
      },
    ];
  });
}

/** The git state a pulled run ran, from MLflow's source tags and Runlog's artifacts. */
export function gitEvent(
  commit: string,
  branch: string | undefined,
  remote: string | undefined,
  patch: string,
  untracked: unknown,
  ts: number,
): GitEvent {
  const files = Array.isArray(untracked)
    ? (untracked as UntrackedFile[]).filter(
        (u) => typeof u?.path === 'string' && (u.content === undefined || typeof u.content === 'string'),
      )
    : [];
  return {
    t: 'git',
    ts,
    commit,
    ...(branch ? { branch } : {}),
    ...(remote ? { remote } : {}),
    dirty: patch !== '' || files.length > 0,
    patch,
    untracked: files,
  };
}
