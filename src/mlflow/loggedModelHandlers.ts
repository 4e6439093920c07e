/**
 * MLflow 3's logged models (`/mlflow/logged-models…` of service.proto) and `runs/outputs`: every
 * change is a line of `<store>/models/events.jsonl` (or of the run's journal for outputs), checked
 * first against the models as the store holds them; reads come from the store's `loggedModels`.
 * `Model.log` makes them in this order: create → params → runs/outputs → the run's metrics again with
 * the model's id → get → uploads under the model's artifact_uri → PATCH (finalize) → register.
 */
import { randomRunName } from '../runs/runJournal';
import type { LoggedModelEvent, ModelFile, RunEvent } from '../store/events';
import { MODEL_ID } from '../store/eventParse';
import type { LoggedModelRecord } from '../store/types';
import { listModelArtifacts } from './artifacts';
import type { EndpointContext, Handler, RouteSet } from './context';
import { finalStatus, loggedModelEntity, loggedModelMatcher, loggedModelOrder, newModelId } from './loggedModels';
import type { DatasetScope } from './loggedModels';
import { MAX_KEY_LENGTH, MAX_PARAM_VALUE_LENGTH, MAX_TAG_VALUE_LENGTH } from './runHandlers';
import type { Fields } from './wire';
import {
  decodePageToken,
  encodePageToken,
  invalid,
  missing,
  objectList,
  optionalExactInteger,
  optionalString,
  requiredString,
  runIdOf,
  stringList,
} from './wire';

/** `[{key, value}]` as an object, each key checked; a key given twice keeps its last value (MLflow's). */
function keyValues(fields: Fields, name: string, valueLimit: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of objectList(fields, name)) {
    const key = requiredString(entry, 'key');
    if (key.length > MAX_KEY_LENGTH) throw invalid(`Key '${key.slice(0, 40)}…' is longer than ${MAX_KEY_LENGTH}.`);
    const raw = entry['value'];
    const value =
      typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : (optionalString(entry, 'value') ?? '');
    if (value.length > valueLimit) throw invalid(`The value of '${key}' is longer than ${valueLimit} characters.`);
    out[key] = value;
  }
  return out;
}

function modelIdOf(fields: Fields): string {
  const id = requiredString(fields, 'model_id');
  if (!MODEL_ID.test(id)) throw missing(`Logged model with ID '${id.slice(0, 200)}' not found.`);
  return id;
}

async function answer(context: EndpointContext, modelId: string): Promise<object> {
  return { model: loggedModelEntity(await context.loggedModel(modelId)) };
}

const create: Handler = async (context, fields) => {
  const experimentId = requiredString(fields, 'experiment_id');
  const experiment = (await context.experiments.all()).get(experimentId);
  if (!experiment) throw missing(`No Experiment with id=${experimentId} exists`);
  if (experiment.deleted) throw invalid(`The experiment ${experimentId} must be in the 'active' state.`);
  const sourceRunId = optionalString(fields, 'source_run_id') || undefined;
  if (sourceRunId) await context.run(sourceRunId);
  const modelType = optionalString(fields, 'model_type') || undefined;
  const id = newModelId();
  await context.appendModels([
    {
      t: 'logged_model',
      ts: Date.now(),
      action: 'create',
      model_id: id,
      name: optionalString(fields, 'name') || randomRunName(),
      experiment_id: experimentId,
      ...(modelType ? { model_type: modelType } : {}),
      ...(sourceRunId ? { source_run_id: sourceRunId } : {}),
      params: keyValues(fields, 'params', MAX_PARAM_VALUE_LENGTH),
      tags: keyValues(fields, 'tags', MAX_TAG_VALUE_LENGTH),
    },
  ]);
  return answer(context, id);
};

const get: Handler = (context, fields) => answer(context, modelIdOf(fields));

/** One change to an existing model, then the model as it is now. */
async function change(
  context: EndpointContext,
  fields: Fields,
  make: (model: LoggedModelRecord, ts: number) => Omit<LoggedModelEvent, 't' | 'ts' | 'model_id'> | undefined,
): Promise<LoggedModelRecord> {
  const id = modelIdOf(fields);
  const model = await context.loggedModel(id);
  const ts = Date.now();
  const event = make(model, ts);
  if (event) await context.appendModels([{ t: 'logged_model', ts, model_id: id, ...event }]);
  return context.loggedModel(id);
}

const finalize: Handler = async (context, fields) => {
  const status = finalStatus(fields['status']);
  return { model: loggedModelEntity(await change(context, fields, () => ({ action: 'finalize', status }))) };
};

const remove: Handler = async (context, fields) => {
  const id = modelIdOf(fields);
  await context.loggedModel(id);
  await context.appendModels([{ t: 'logged_model', ts: Date.now(), action: 'delete', model_id: id }]);
  return {};
};

const setTags: Handler = async (context, fields) => {
  const tags = keyValues(fields, 'tags', MAX_TAG_VALUE_LENGTH);
  await change(context, fields, () => (Object.keys(tags).length > 0 ? { action: 'set_tags', tags } : undefined));
  return {};
};

const deleteTag: Handler = async (context, fields) => {
  const key = requiredString(fields, 'tag_key');
  await change(context, fields, (model) => {
    if (!(key in model.tags)) throw missing(`No tag with key '${key}' on logged model '${model.id}'.`);
    return { action: 'delete_tag', key };
  });
  return {};
};

/** Params are write-once, as a run's: the same value again is fine, another is refused. */
const logParams: Handler = async (context, fields) => {
  const params = keyValues(fields, 'params', MAX_PARAM_VALUE_LENGTH);
  await change(context, fields, (model) => {
    for (const [key, value] of Object.entries(params)) {
      const before = model.params[key];
      if (before !== undefined && before !== value) {
        throw invalid(
          `Changing param values is not allowed. Param with key='${key}' was already logged with value='${before}' for logged model ID='${model.id}'. Attempted logging new value '${value}'.`,
        );
      }
    }
    return Object.keys(params).length > 0 ? { action: 'log_params', params } : undefined;
  });
  return {};
};

/** The experiments' MLflow ids as given, each checked. */
async function experimentIds(context: EndpointContext, fields: Fields): Promise<Set<string>> {
  const ids = stringList(fields, 'experiment_ids');
  if (ids.length === 0) throw invalid("Missing value for required parameter 'experiment_ids'.");
  const known = await context.experiments.all();
  for (const id of ids) if (!known.has(id)) throw missing(`No Experiment with id=${id} exists`);
  return new Set(ids);
}

const search: Handler = async (context, fields) => {
  const experiments = await experimentIds(context, fields);
  const datasets: DatasetScope[] = objectList(fields, 'datasets').map((d) => {
    const digest = optionalString(d, 'dataset_digest');
    return { name: requiredString(d, 'dataset_name'), ...(digest ? { digest } : {}) };
  });
  const matches = loggedModelMatcher(optionalString(fields, 'filter'), datasets);
  const order = loggedModelOrder(objectList(fields, 'order_by'));
  const limit = Number(optionalExactInteger(fields, 'max_results') ?? 50);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw invalid(`Invalid value ${limit} for parameter 'max_results': it must be between 1 and 1000.`);
  }
  const offset = decodePageToken(optionalString(fields, 'page_token'));
  await context.fresh();
  const found = (await context.reads.query('loggedModels'))
    .filter((m) => experiments.has(m.experimentId))
    .filter(matches)
    .sort(order);
  const page = found.slice(offset, offset + limit);
  const next = offset + page.length;
  return {
    models: page.map(loggedModelEntity),
    ...(next < found.length ? { next_page_token: encodePageToken(next) } : {}),
  };
};

const artifactDirectories: Handler = async (context, fields) =>
  listModelArtifacts(
    context,
    await context.loggedModel(modelIdOf(fields)),
    optionalString(fields, 'artifact_directory_path'),
  );

/** `runs/outputs`: the run produced these logged models, each at a step (a `model_output` event each). */
const logOutputs: Handler = async (context, fields) => {
  const runId = requiredString(fields, 'run_id');
  await context.run(runId);
  const now = Date.now();
  const events: RunEvent[] = [];
  for (const output of objectList(fields, 'models')) {
    const modelId = modelIdOf(output);
    await context.loggedModel(modelId);
    const step = Number(optionalExactInteger(output, 'step') ?? 0);
    events.push({ t: 'model_output', ts: now, model_id: modelId, step });
  }
  if (events.length === 0) throw invalid("Missing value for required parameter 'models'.");
  await context.append(runId, events);
  return {};
};

/** The flavor an MLmodel manifest names first, python_function only when it is the only one. */
function mainFlavor(flavors: unknown): string {
  const names = typeof flavors === 'object' && flavors !== null ? Object.keys(flavors) : [];
  return names.find((n) => n !== 'python_function') ?? names[0] ?? 'unknown';
}

/**
 * `runs/log-model` (MLflow 2's `log_model`, after its uploads): the MLmodel manifest as JSON. The run
 * gets a `model` event (its folder's files as uploaded) and MLflow's `mlflow.log-model.history` tag.
 */
const logModel: Handler = async (context, fields) => {
  const runId = runIdOf(fields);
  let manifest: Fields;
  try {
    const parsed: unknown = JSON.parse(requiredString(fields, 'model_json'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    manifest = parsed as Fields;
  } catch (error) {
    throw invalid(`Invalid value for parameter 'model_json': ${(error as Error).message}.`);
  }
  const folder = requiredString(manifest, 'artifact_path').replace(/^\/+|\/+$/g, '');
  if (folder === '') throw invalid("The model's 'artifact_path' is empty.");
  const run = await context.run(runId);
  const files: ModelFile[] = run.artifacts
    .filter((a) => a.path.startsWith(`${folder}/`))
    .map(({ path, size, sha256 }) => ({ path, size, sha256 }));
  const signature = manifest['signature'];
  let history: unknown[] = [];
  try {
    const before: unknown = JSON.parse(run.tags[LOG_MODEL_HISTORY] ?? '[]');
    if (Array.isArray(before)) history = before;
  } catch {
    // A history tag that is not JSON is replaced, as MLflow's stores would fail on it.
  }
  const now = Date.now();
  await context.append(runId, [
    {
      t: 'model',
      ts: now,
      name: folder,
      flavor: mainFlavor(manifest['flavors']),
      uuid: optionalString(manifest, 'model_uuid') ?? '',
      files,
      ...(signature && typeof signature === 'object' ? { signature: JSON.stringify(signature) } : {}),
    },
    { t: 'tag', ts: now, key: LOG_MODEL_HISTORY, value: JSON.stringify([...history, manifest]) },
  ]);
  return {};
};

/** MLflow's run tag listing the models a run logged (its manifests as JSON). */
const LOG_MODEL_HISTORY = 'mlflow.log-model.history';

export const LOGGED_MODEL_ROUTES: RouteSet = {
  'logged-models': { methods: ['POST'], handler: create },
  'logged-models/search': { methods: ['POST'], handler: search },
  'logged-models/{model_id}': [
    { methods: ['GET'], handler: get },
    { methods: ['PATCH'], handler: finalize },
    { methods: ['DELETE'], handler: remove },
  ],
  'logged-models/{model_id}/tags': { methods: ['PATCH'], handler: setTags },
  'logged-models/{model_id}/tags/{tag_key}': { methods: ['DELETE'], handler: deleteTag },
  'logged-models/{model_id}/params': { methods: ['POST'], handler: logParams },
  'logged-models/{model_id}/artifacts/directories': { methods: ['GET'], handler: artifactDirectories },
  'runs/outputs': { methods: ['POST'], handler: logOutputs },
  'runs/log-model': { methods: ['POST'], handler: logModel },
};
