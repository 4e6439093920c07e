/**
 * The model registry's registered models (`registered-models/…` of model_registry.proto), backed by
 * the store's registry journal (`<store>/registry/events.jsonl`): each change is checked against the
 * registry as the store holds it, appended as a `registry` event, and answered from the store once it
 * has read it. Versions are in versionHandlers.ts.
 */
import type { ModelStage, RegistryEvent } from '../store/events';
import { MODEL_STAGES } from '../store/events';
import type { ModelVersion, RegisteredModel } from '../store/types';
import type { EndpointContext, Handler, RouteSet } from './context';
import { likeComparer } from './experimentHandlers';
import type { Fields } from './wire';
import {
  MlflowError,
  decodePageToken,
  encodePageToken,
  invalid,
  maxResults,
  missing,
  objectList,
  optionalInteger,
  optionalString,
  requiredString,
  stringList,
} from './wire';

export async function registry(context: EndpointContext): Promise<RegisteredModel[]> {
  await context.fresh();
  return context.reads.registeredModels();
}

export async function registeredModel(context: EndpointContext, name: string): Promise<RegisteredModel> {
  const found = (await registry(context)).find((m) => m.name === name);
  if (!found) throw missing(`Registered Model with name=${name} not found`);
  return found;
}

function versionOf(fields: Fields): number {
  const raw = fields['version'];
  const version = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : optionalInteger(fields, 'version');
  if (version === undefined || version < 1) throw invalid("Missing or invalid value for parameter 'version'.");
  return version;
}

/** The version `name`/`version` of the request names, or RESOURCE_DOES_NOT_EXIST. */
export async function modelVersion(context: EndpointContext, fields: Fields): Promise<[string, ModelVersion]> {
  const name = requiredString(fields, 'name');
  const number = versionOf(fields);
  const found = (await registeredModel(context, name)).versions.find((v) => v.version === number);
  if (!found) throw missing(`Model Version (name=${name}, version=${number}) not found`);
  return [name, found];
}

export const pairs = (record: Readonly<Record<string, string>>): { key: string; value: string }[] =>
  Object.entries(record).map(([key, value]) => ({ key, value }));

/** Where a version's files are, as its `source` says: a run's model folder, or a logged model. */
export function versionSource(v: ModelVersion): string {
  if (v.modelId) return `models:/${v.modelId}`;
  return v.runId && v.source ? `runs:/${v.runId}/${v.source}` : (v.source ?? '');
}

export function versionEntity(name: string, v: ModelVersion): Record<string, unknown> {
  return {
    name,
    version: String(v.version),
    creation_timestamp: v.created,
    last_updated_timestamp: v.updated,
    current_stage: v.stage,
    description: v.description ?? '',
    source: versionSource(v),
    run_id: v.runId ?? '',
    status: 'READY',
    tags: pairs(v.tags),
    aliases: v.aliases,
    ...(v.modelId ? { model_id: v.modelId } : {}),
  };
}

/** Each stage's newest version (MLflow's `latest_versions`), for these stages or all. */
function latestByStage(m: RegisteredModel, stages: readonly ModelStage[] = MODEL_STAGES): ModelVersion[] {
  const latest: ModelVersion[] = [];
  for (const stage of stages) {
    const newest = m.versions.filter((v) => v.stage === stage).sort((a, b) => b.version - a.version)[0];
    if (newest) latest.push(newest);
  }
  return latest.sort((a, b) => a.version - b.version);
}

function modelEntity(m: RegisteredModel): Record<string, unknown> {
  const latest = latestByStage(m);
  return {
    name: m.name,
    creation_timestamp: m.created,
    last_updated_timestamp: m.updated,
    description: m.description ?? '',
    ...(latest.length > 0 ? { latest_versions: latest.map((v) => versionEntity(m.name, v)) } : {}),
    tags: pairs(m.tags),
    aliases: m.versions.flatMap((v) => v.aliases.map((alias) => ({ alias, version: String(v.version) }))),
  };
}

export function registryEvent(
  action: RegistryEvent['action'],
  name: string,
  extra: Partial<RegistryEvent> = {},
): RegistryEvent {
  return { t: 'registry', ts: Date.now(), action, model: name, ...extra };
}

/** A stage as MLflow's client sends it (any case), or INVALID_PARAMETER_VALUE. */
export function stageOf(raw: string): ModelStage {
  const stage = MODEL_STAGES.find((s) => s.toLowerCase() === raw.trim().toLowerCase());
  if (!stage) throw invalid(`Invalid Model Version stage: ${raw}. Value must be one of ${MODEL_STAGES.join(', ')}.`);
  return stage;
}

/** `[{key, value}]` tags of a create call. */
export function tagsOf(fields: Fields): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const entry of objectList(fields, 'tags'))
    tags[requiredString(entry, 'key')] = optionalString(entry, 'value') ?? '';
  return tags;
}

const createModel: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  if ((await registry(context)).some((m) => m.name === name)) {
    throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
  }
  const description = optionalString(fields, 'description');
  await context.appendRegistry([
    registryEvent('create_model', name, description ? { description } : {}),
    ...Object.entries(tagsOf(fields)).map(([key, value]) => registryEvent('set_model_tag', name, { key, value })),
  ]);
  return { registered_model: modelEntity(await registeredModel(context, name)) };
};

const getModel: Handler = async (context, fields) => ({
  registered_model: modelEntity(await registeredModel(context, requiredString(fields, 'name'))),
});

const updateModel: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  await registeredModel(context, name);
  const description = optionalString(fields, 'description');
  await context.appendRegistry([registryEvent('update_model', name, description !== undefined ? { description } : {})]);
  return { registered_model: modelEntity(await registeredModel(context, name)) };
};

const renameModel: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  const newName = requiredString(fields, 'new_name');
  await registeredModel(context, name);
  if (newName !== name) {
    if ((await registry(context)).some((m) => m.name === newName)) {
      throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Registered Model (name=${newName}) already exists.`);
    }
    await context.appendRegistry([registryEvent('rename_model', name, { new_name: newName })]);
  }
  return { registered_model: modelEntity(await registeredModel(context, newName)) };
};

const deleteModel: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  await registeredModel(context, name);
  await context.appendRegistry([registryEvent('delete_model', name)]);
  return {};
};

type RegistryField = 'name' | 'run_id' | 'source_path' | 'version_number';

/**
 * The filters MLflow's client and UI send: `name = 'x'`, `name LIKE 'x%'`, and for versions
 * `run_id = '…'`, `source_path = '…'`, `version_number = N`, joined by AND.
 */
export function registryFilter(
  filter: string | undefined,
): { field: RegistryField; matches: (v: string) => boolean }[] {
  if (!filter?.trim()) return [];
  return filter.split(/\s+and\s+/i).map((clause) => {
    const match =
      /^\s*(name|run_id|source_path|version_number)\s*(=|!=|LIKE|ILIKE)\s*(?:'((?:[^']|'')*)'|(\d+))\s*$/i.exec(clause);
    if (!match) throw invalid(`Invalid filter '${filter}': cannot read '${clause.trim()}'.`);
    const field = (match[1] ?? '').toLowerCase() as RegistryField;
    const value = match[4] ?? (match[3] ?? '').replace(/''/g, "'");
    return { field, matches: likeComparer((match[2] ?? '').toUpperCase(), value) };
  });
}

/** A page of `list`: MLflow's limits are 100 (at most 1000) registered models, 10000 (200000) versions. */
export function page<T>(
  fields: Fields,
  list: readonly T[],
  fallback = 100,
  most = 1000,
): { items: T[]; next?: string } {
  const limit = maxResults(fields, fallback, most);
  const offset = decodePageToken(optionalString(fields, 'page_token'));
  const items = list.slice(offset, offset + limit);
  const end = offset + items.length;
  return end < list.length ? { items, next: encodePageToken(end) } : { items };
}

/** `order_by` of registered models: `name` or `last_updated_timestamp` (also `timestamp`), ASC or DESC; ties by name. */
function modelOrder(orderBy: readonly string[]): (a: RegisteredModel, b: RegisteredModel) => number {
  const keys = orderBy.map((clause) => {
    const match = /^\s*(name|last_updated_timestamp|timestamp|creation_timestamp)\s*(ASC|DESC)?\s*$/i.exec(clause);
    if (!match) throw invalid(`Invalid order_by clause '${clause}': order by name or last_updated_timestamp.`);
    const field = (match[1] ?? '').toLowerCase();
    const sign = (match[2] ?? 'ASC').toUpperCase() === 'DESC' ? -1 : 1;
    const get = (m: RegisteredModel): string | number =>
      field === 'name' ? m.name : field === 'creation_timestamp' ? m.created : m.updated;
    return { get, sign };
  });
  return (a, b) => {
    for (const { get, sign } of keys) {
      const x = get(a);
      const y = get(b);
      if (x !== y) return (x < y ? -1 : 1) * sign;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  };
}

const searchModels: Handler = async (context, fields) => {
  const clauses = registryFilter(optionalString(fields, 'filter'));
  if (clauses.some((c) => c.field !== 'name')) throw invalid('Registered models can be filtered by name only.');
  const models = (await registry(context))
    .filter((m) => clauses.every((c) => c.matches(m.name)))
    .sort(modelOrder(stringList(fields, 'order_by')));
  const { items, next } = page(fields, models);
  return { registered_models: items.map(modelEntity), ...(next ? { next_page_token: next } : {}) };
};

const getLatestVersions: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  const stages = stringList(fields, 'stages').map(stageOf);
  const found = await registeredModel(context, name);
  const latest = latestByStage(found, stages.length > 0 ? stages : MODEL_STAGES);
  return { model_versions: latest.map((v) => versionEntity(name, v)) };
};

const setModelTag: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  const key = requiredString(fields, 'key');
  await registeredModel(context, name);
  await context.appendRegistry([
    registryEvent('set_model_tag', name, { key, value: optionalString(fields, 'value') ?? '' }),
  ]);
  return {};
};

const deleteModelTag: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  const key = requiredString(fields, 'key');
  if (!(key in (await registeredModel(context, name)).tags)) {
    throw missing(`No tag with name: ${key} in registered model ${name}.`);
  }
  await context.appendRegistry([registryEvent('delete_model_tag', name, { key })]);
  return {};
};

const setAlias: Handler = async (context, fields) => {
  const [name, found] = await modelVersion(context, fields);
  const alias = requiredString(fields, 'alias');
  await context.appendRegistry([registryEvent('set_alias', name, { alias, version: found.version })]);
  return {};
};

const deleteAlias: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  const alias = requiredString(fields, 'alias');
  if (!(await registeredModel(context, name)).versions.some((v) => v.aliases.includes(alias))) {
    throw missing(`Registered model alias ${alias} not found.`);
  }
  await context.appendRegistry([registryEvent('delete_alias', name, { alias })]);
  return {};
};

const getByAlias: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  const alias = requiredString(fields, 'alias');
  const found = (await registeredModel(context, name)).versions.find((v) => v.aliases.includes(alias));
  if (!found) throw missing(`Registered model alias ${alias} not found.`);
  return { model_version: versionEntity(name, found) };
};

export const REGISTRY_ROUTES: RouteSet = {
  'registered-models/create': { methods: ['POST'], handler: createModel },
  'registered-models/rename': { methods: ['POST'], handler: renameModel },
  'registered-models/get': { methods: ['GET'], handler: getModel },
  'registered-models/search': { methods: ['GET', 'POST'], handler: searchModels },
  'registered-models/update': { methods: ['PATCH', 'POST'], handler: updateModel },
  'registered-models/delete': { methods: ['DELETE', 'POST'], handler: deleteModel },
  'registered-models/get-latest-versions': { methods: ['GET', 'POST'], handler: getLatestVersions },
  'registered-models/set-tag': { methods: ['POST'], handler: setModelTag },
  'registered-models/delete-tag': { methods: ['DELETE'], handler: deleteModelTag },
  'registered-models/alias': [
    { methods: ['POST'], handler: setAlias },
    { methods: ['DELETE'], handler: deleteAlias },
    { methods: ['GET'], handler: getByAlias },
  ],
};
