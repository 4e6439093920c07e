/** `runs/*` and `metrics/get-history`: writes become journal lines, reads go to the store. */
import { join } from 'node:path';
import { RunJournal, batchMetricLines, metricLine, newRunId, randomRunName } from '../runs/runJournal';
import type { LoggedModelEvent, RunEvent } from '../store/events';
import { FilterError } from '../store/filter';
import { RUN_NAME_TAG } from '../store/ingest';
import { claimParam, claimedValue } from '../store/paramClaims';
import type { ListRunsQuery, SortKey } from '../store/types';
import { scanLogBatch } from './batchScan';
import type { EndpointContext, FastBody, Handler, RouteSet } from './context';
import { splitModelMetrics } from './modelMetrics';
import type { MlflowStatus } from './entities';
import { MLFLOW_STATUSES, runEntity, runInfo } from './entities';
import type { Fields, MlflowError } from './wire';
import {
  decodePageToken,
  encodePageToken,
  invalid,
  maxResults,
  missing,
  objectList,
  optionalExactInteger,
  optionalInteger,
  optionalString,
  requiredDouble,
  requiredString,
  runIdOf,
  stringList,
} from './wire';

/** MLflow's `log-batch` limits: a batch over any of them is refused whole. */
export const BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;
export const MAX_KEY_LENGTH = 250;
export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_TAG_VALUE_LENGTH = 8000;

function checkKey(key: string): void {
  if (key.length > MAX_KEY_LENGTH) throw invalid(`Key '${key.slice(0, 40)}…' is longer than ${MAX_KEY_LENGTH}.`);
}

/** Keys as JSON text, for a batch whose points share a few keys. */
type KeyTexts = Map<string, string>;

/**
 * A metric as its journal line: steps and timestamps keep every digit of an int64. The common shape
 * (a short string key, a finite number, safe-integer time and step) is written directly, the key's
 * JSON text encoded once per batch; anything else takes the field readers, which give the same
 * line or the reason it is refused.
 */
function metricText(fields: Fields, now: number, keys?: KeyTexts): string {
  const key = fields['key'];
  const value = fields['value'];
  const ts = fields['timestamp'] ?? now;
  const step = fields['step'] ?? 0;
  if (
    keys &&
    typeof key === 'string' &&
    key !== '' &&
    key.length <= MAX_KEY_LENGTH &&
    typeof value === 'number' &&
    Number.isFinite(value) &&
    !Object.is(value, -0) &&
    Number.isSafeInteger(ts) &&
    Number.isSafeInteger(step)
  ) {
    let quoted = keys.get(key);
    if (quoted === undefined) {
      quoted = JSON.stringify(key);
      keys.set(key, quoted);
    }
    return `{"t":"metric","ts":${ts as number},"key":${quoted},"value":${value},"step":${step as number}}\n`;
  }
  const checkedKey = requiredString(fields, 'key');
  checkKey(checkedKey);
  return metricLine(
    optionalExactInteger(fields, 'timestamp') ?? now,
    checkedKey,
    requiredDouble(fields, 'value'),
    optionalExactInteger(fields, 'step') ?? 0,
  );
}

function paramPair(fields: Fields): [string, string] {
  const key = requiredString(fields, 'key');
  checkKey(key);
  const raw = fields['value'];
  const value = typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : optionalString(fields, 'value');
  if (value === undefined) throw invalid(`Missing value for required parameter 'value' of param '${key}'.`);
  if (value.length > MAX_PARAM_VALUE_LENGTH) {
    throw invalid(`Param '${key}' has a value longer than ${MAX_PARAM_VALUE_LENGTH} characters.`);
  }
  return [key, value];
}

function tagPair(fields: Fields): [string, string] {
  const key = requiredString(fields, 'key');
  checkKey(key);
  const value = optionalString(fields, 'value') ?? '';
  if (value.length > MAX_TAG_VALUE_LENGTH) {
    throw invalid(`Tag '${key}' has a value longer than ${MAX_TAG_VALUE_LENGTH} characters.`);
  }
  return [key, value];
}

/** MLflow's reserved run-name tag renames the run in Runlog too. */
function tagEvents(key: string, value: string, ts: number): RunEvent[] {
  const events: RunEvent[] = [{ t: 'tag', ts, key, value }];
  if (key === 'mlflow.runName' && value.trim() !== '') events.push({ t: 'tag', ts, key: RUN_NAME_TAG, value });
  return events;
}

function paramConflict(runId: string, key: string, before: string, value: string): MlflowError {
  return invalid(
    `Changing param values is not allowed. Param with key='${key}' was already logged with value='${before}' for run ID='${runId}'. Attempted logging new value '${value}'.`,
  );
}

/**
 * Params are write-once: the same value again is fine, a different one is refused — checked
 * against what the store has read, then claimed (paramClaims.ts), which decides between requests
 * and processes racing on one key. A batch's params are all checked before any is claimed.
 */
async function claimParams(
  context: EndpointContext,
  runId: string,
  params: readonly [string, string][],
): Promise<void> {
  if (params.length === 0) return;
  const existing = (await context.run(runId)).params;
  const runDir = join(context.storeDir, 'runs', runId);
  const seen = new Map<string, string>();
  for (const [key, value] of params) {
    const before = seen.get(key) ?? existing[key] ?? (await claimedValue(runDir, key));
    if (before !== undefined && before !== value) throw paramConflict(runId, key, before, value);
    seen.set(key, value);
  }
  for (const [key, value] of seen) {
    const claim = await claimParam(runDir, key, value);
    if (!claim.ok) throw paramConflict(runId, key, claim.existing, value);
  }
}

const createRun: Handler = async (context, fields) => {
  const experimentId = optionalString(fields, 'experiment_id') || '0';
  const experiment = (await context.experiments.all()).get(experimentId);
  if (!experiment) throw missing(`No Experiment with id=${experimentId} exists`);
  if (experiment.deleted) throw invalid(`The experiment ${experimentId} must be in the 'active' state.`);
  const tags = objectList(fields, 'tags').map(tagPair);
  const tag = (key: string): string | undefined => tags.find(([k]) => k === key)?.[1];
  const ts = optionalInteger(fields, 'start_time') ?? Date.now();
  const runId = newRunId();
  const journal = await RunJournal.create(context.storeDir, runId);
  const user = optionalString(fields, 'user_id') || tag('mlflow.user');
  const source = tag('mlflow.source.name');
  const parent = tag('mlflow.parentRunId');
  const name = optionalString(fields, 'run_name') || tag('mlflow.runName') || randomRunName();
  await journal.append(
    {
      t: 'run_start',
      ts,
      run_id: runId,
      name,
      experiment: experiment.name,
      ...(user ? { user } : {}),
      ...(source ? { source } : {}),
      ...(parent ? { parent_run_id: parent } : {}),
    },
    ...tags.filter(([key]) => key !== 'mlflow.runName').map(([key, value]): RunEvent => ({ t: 'tag', ts, key, value })),
  );
  context.touched();
  return { run: runEntity(await context.run(runId), experimentId) };
};

const updateRun: Handler = async (context, fields) => {
  const runId = runIdOf(fields);
  const status = optionalString(fields, 'status');
  if (status !== undefined && !(MLFLOW_STATUSES as readonly string[]).includes(status)) {
    throw invalid(`Invalid value '${status}' for parameter 'status'.`);
  }
  const endTime = optionalInteger(fields, 'end_time');
  const name = optionalString(fields, 'run_name');
  const now = Date.now();
  const events: RunEvent[] = [];
  if (name) events.push({ t: 'tag', ts: now, key: RUN_NAME_TAG, value: name });
  switch (status as MlflowStatus | undefined) {
    case 'FINISHED':
    case 'FAILED':
    case 'KILLED':
      events.push({ t: 'run_end', ts: endTime ?? now, status: status as 'FINISHED' | 'FAILED' | 'KILLED' });
      break;
    case 'RUNNING':
      events.push({ t: 'status', ts: now, status: 'RUNNING' });
      break;
    case 'SCHEDULED':
      events.push({ t: 'status', ts: now, status: 'QUEUED' });
      break;
    case undefined:
      break;
  }
  if (events.length > 0) await context.append(runId, events);
  const run = await context.run(runId);
  return { run_info: runInfo(run, await context.experimentIdOf(run.experiment)) };
};

const getRun: Handler = async (context, fields) => {
  const run = await context.run(runIdOf(fields));
  return { run: runEntity(run, await context.experimentIdOf(run.experiment)) };
};

const logMetric: Handler = async (context, fields) => {
  const runId = runIdOf(fields);
  const now = Date.now();
  const { runMetrics, modelEvents } = await splitModelMetrics(context, runId, [fields], now);
  if (runMetrics.length > 0) await context.append(runId, [], metricText(fields, now));
  if (modelEvents.length > 0) await context.appendModels(modelEvents);
  return {};
};

const logParam: Handler = async (context, fields) => {
  const runId = runIdOf(fields);
  const pair = paramPair(fields);
  await claimParams(context, runId, [pair]);
  await context.append(runId, [{ t: 'param', ts: Date.now(), key: pair[0], value: pair[1] }]);
  return {};
};

const setTag: Handler = async (context, fields) => {
  const [key, value] = tagPair(fields);
  await context.append(runIdOf(fields), tagEvents(key, value, Date.now()));
  return {};
};

const deleteTag: Handler = async (context, fields) => {
  const runId = runIdOf(fields);
  const key = requiredString(fields, 'key');
  const run = await context.run(runId);
  if (!(key in run.tags)) throw missing(`No tag with name: ${key} in run with id ${runId}`);
  await context.append(runId, [{ t: 'lifecycle', ts: Date.now(), action: 'remove_tag', key }]);
  return {};
};

interface Batch {
  readonly runId: string;
  /** The metrics' journal text, already encoded (batched lines where they fit). */
  readonly lines: string | Uint8Array;
  readonly metricCount: number;
  readonly params: readonly Fields[];
  readonly tags: readonly Fields[];
  /** Points of logged models (`model_id`), for the models journal. */
  readonly modelEvents?: readonly LoggedModelEvent[];
}

/** Everything is checked before anything is written: a refused batch leaves no trace. */
async function writeBatch(context: EndpointContext, batch: Batch): Promise<object> {
  const { runId, lines, metricCount, params, tags } = batch;
  const over = (what: string, count: number, limit: number): void => {
    if (count > limit) {
      throw invalid(`A batch logging request can contain at most ${limit} ${what}. Got ${count} ${what}.`);
    }
  };
  over('metrics', metricCount, BATCH_LIMITS.metrics);
  over('params', params.length, BATCH_LIMITS.params);
  over('tags', tags.length, BATCH_LIMITS.tags);
  over('entities', metricCount + params.length + tags.length, BATCH_LIMITS.total);
  const now = Date.now();
  const events: RunEvent[] = [];
  const paramPairs = params.map(paramPair);
  const tagPairs = tags.map(tagPair);
  await claimParams(context, runId, paramPairs);
  for (const [key, value] of paramPairs) events.push({ t: 'param', ts: now, key, value });
  for (const [key, value] of tagPairs) events.push(...tagEvents(key, value, now));
  if (events.length > 0 || lines.length > 0) await context.append(runId, events, lines);
  else await context.run(runId);
  if (batch.modelEvents && batch.modelEvents.length > 0) await context.appendModels(batch.modelEvents);
  return {};
}

const logBatch: Handler = async (context, fields) => {
  const runId = runIdOf(fields);
  const metrics = objectList(fields, 'metrics');
  const keys: KeyTexts = new Map();
  const now = Date.now();
  const { runMetrics, modelEvents } = await splitModelMetrics(context, runId, metrics, now);
  return writeBatch(context, {
    runId,
    // A key's points share a batched line (journal format 4) where their steps and times allow.
    lines: batchMetricLines(runMetrics.map((m) => metricText(m, now, keys)).join('')),
    metricCount: metrics.length,
    modelEvents,
    params: objectList(fields, 'params'),
    tags: objectList(fields, 'tags'),
  });
};

/** log-batch from the raw body when its points are in the plain shape (batchScan.ts). */
const logBatchFast: FastBody = (context, body, query) => {
  const scanned = scanLogBatch(body, Date.now());
  if (!scanned) return undefined;
  const fields = { ...query, ...scanned.fields };
  return writeBatch(context, {
    runId: runIdOf(fields),
    lines: scanned.lines,
    metricCount: scanned.metricCount,
    params: objectList(fields, 'params'),
    tags: objectList(fields, 'tags'),
  });
};

const logInputs: Handler = async (context, fields) => {
  const runId = runIdOf(fields);
  const now = Date.now();
  const events: RunEvent[] = objectList(fields, 'datasets').map((input) => {
    const dataset = input['dataset'];
    if (typeof dataset !== 'object' || dataset === null) throw invalid("Each dataset input needs a 'dataset'.");
    const d = dataset as Fields;
    const name = requiredString(d, 'name');
    const digest = requiredString(d, 'digest');
    const path = optionalString(d, 'source') || optionalString(d, 'source_type') || name;
    return { t: 'input', ts: now, name, path, digest };
  });
  // MLflow 3's `log_inputs(models=…)`: logged models the run used.
  for (const input of objectList(fields, 'models')) {
    const modelId = requiredString(input, 'model_id');
    await context.loggedModel(modelId);
    events.push({ t: 'model_input', ts: now, model_id: modelId });
  }
  if (events.length > 0) await context.append(runId, events);
  else await context.run(runId);
  return {};
};

const lifecycle =
  (action: 'delete' | 'restore'): Handler =>
  async (context, fields) => {
    const runId = runIdOf(fields);
    await context.run(runId);
    await context.append(runId, [{ t: 'lifecycle', ts: Date.now(), action }]);
    return {};
  };

const VIEW_TYPES: Readonly<Record<string, ListRunsQuery['deleted']>> = {
  ACTIVE_ONLY: 'active',
  DELETED_ONLY: 'deleted',
  ALL: 'all',
};

/** `metrics.rmse DESC`, ``params.`a b` ``, `attributes.start_time`, `start_time ASC`. */
export function parseOrderBy(clause: string): NonNullable<ListRunsQuery['sort']> {
  const match =
    /^\s*(?:(metrics?|params?|parameters?|tags?|attributes?|attr|run)\.)?(`[^`]+`|"[^"]+"|[^\s]+)\s*(asc|desc)?\s*$/i.exec(
      clause,
    );
  if (!match) throw invalid(`Invalid order_by clause '${clause}'.`);
  const prefix = (match[1] ?? 'attributes').toLowerCase();
  const rawKey = match[2] ?? '';
  const key = /^[`"]/.test(rawKey) ? rawKey.slice(1, -1) : rawKey;
  const descending = (match[3] ?? 'asc').toLowerCase() === 'desc';
  let sortKey: SortKey | undefined;
  if (prefix.startsWith('metric')) sortKey = `metrics.${key}`;
  else if (prefix.startsWith('param')) sortKey = `params.${key}`;
  else if (prefix.startsWith('tag')) sortKey = `tags.${key}`;
  else {
    const attribute = key.toLowerCase();
    if (attribute === 'start_time' || attribute === 'created') sortKey = 'start_time';
    else if (attribute === 'run_name' || attribute === 'name') sortKey = 'name';
    else if (attribute === 'status') sortKey = 'status';
    else if (attribute === 'end_time') sortKey = 'end_time';
  }
  if (!sortKey) throw invalid(`Invalid order_by clause '${clause}': runs cannot be ordered by '${key}' here.`);
  return { key: sortKey, descending };
}

const searchRuns: Handler = async (context, fields) => {
  const viewType = optionalString(fields, 'run_view_type') ?? 'ACTIVE_ONLY';
  const deleted = VIEW_TYPES[viewType];
  if (!deleted) throw invalid(`Invalid value '${viewType}' for parameter 'run_view_type'.`);
  const limit = maxResults(fields, 1000, 50_000);
  const offset = decodePageToken(optionalString(fields, 'page_token'));
  const orderBy = stringList(fields, 'order_by').map(parseOrderBy);
  const filter = optionalString(fields, 'filter')?.trim();
  await context.fresh();
  const mlflowIds = stringList(fields, 'experiment_ids');
  const experiments = await context.experiments.all();
  const storeExperiments = await context.reads.experiments();
  const names = mlflowIds.map((id) => experiments.get(id)?.name).filter((n): n is string => n !== undefined);
  const experimentIds = storeExperiments.filter((e) => names.includes(e.name)).map((e) => e.id);
  if (mlflowIds.length > 0 && experimentIds.length === 0) return {};
  const query: ListRunsQuery = {
    deleted,
    offset,
    limit,
    ...(experimentIds.length > 0 ? { experimentIds } : {}),
    ...(filter ? { filter } : {}),
    ...(orderBy[0] ? { sort: orderBy[0], thenBy: orderBy.slice(1) } : {}),
  };
  let page;
  try {
    page = await context.reads.listRuns(query);
  } catch (error) {
    if (error instanceof FilterError || (error as Error).name === 'FilterError' || /\(at \d+\)$/.test(String(error))) {
      throw invalid(`Invalid filter '${filter ?? ''}': ${(error as Error).message}`);
    }
    throw error;
  }
  const ids = await context.experiments.ensure(page.runs.map((r) => r.experiment));
  const runs = [];
  for (const record of page.runs) {
    const run = await context.reads.getRun(record.id);
    if (run) runs.push(runEntity(run, ids.get(run.experiment)?.id ?? '0'));
  }
  const next = offset + page.runs.length;
  return { runs, ...(next < page.total ? { next_page_token: encodePageToken(next) } : {}) };
};

export const RUN_ROUTES: RouteSet = {
  'runs/create': { methods: ['POST'], handler: createRun },
  'runs/update': { methods: ['POST'], handler: updateRun },
  'runs/get': { methods: ['GET'], handler: getRun },
  'runs/search': { methods: ['POST', 'GET'], handler: searchRuns },
  'runs/delete': { methods: ['POST'], handler: lifecycle('delete') },
  'runs/restore': { methods: ['POST'], handler: lifecycle('restore') },
  'runs/log-metric': { methods: ['POST'], handler: logMetric },
  'runs/log-parameter': { methods: ['POST'], handler: logParam },
  'runs/set-tag': { methods: ['POST'], handler: setTag },
  'runs/delete-tag': { methods: ['POST'], handler: deleteTag },
  'runs/log-batch': { methods: ['POST'], handler: logBatch, fastBody: logBatchFast },
  'runs/log-inputs': { methods: ['POST'], handler: logInputs },
};
