/**
 * The model registry's core calls, backed by the store's registry journal
 * (`<store>/registry/events.jsonl`): each change is checked against the registry as the store
 * holds it, appended as a `registry` event, and answered from the store once it has read it.
 */
import type { RegistryEvent } from '../store/events';
import type { ModelVersion, RegisteredModel } from '../store/types';
import type { EndpointContext, Handler } from './context';
import { likeComparer } from './experimentHandlers';
import type { Fields } from './wire';
import {
  MlflowError,
  decodePageToken,
  encodePageToken,
  invalid,
  maxResults,
  missing,
  optionalInteger,
  optionalString,
  requiredString,
} from './wire';

async function registry(context: EndpointContext): Promise<RegisteredModel[]> {
  await context.fresh();
  return context.reads.registeredModels();
}

async function model(context: EndpointContext, name: string): Promise<RegisteredModel> {
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

function versionEntity(name: string, v: ModelVersion): Record<string, unknown> {
  return {
    name,
    version: String(v.version),
    creation_timestamp: v.created,
    last_updated_timestamp: v.created,
    current_stage: 'None',
    description: v.description ?? '',
    source: v.runId && v.source ? `runs:/${v.runId}/${v.source}` : (v.source ?? ''),
    run_id: v.runId ?? '',
    status: 'READY',
    aliases: v.aliases,
  };
}

function modelEntity(m: RegisteredModel): Record<string, unknown> {
  const latest = m.versions[0];
  return {
    name: m.name,
    creation_timestamp: m.created,
    last_updated_timestamp: m.updated,
    description: m.description ?? '',
    ...(latest ? { latest_versions: [versionEntity(m.name, latest)] } : {}),
    aliases: m.versions.flatMap((v) => v.aliases.map((alias) => ({ alias, version: String(v.version) }))),
  };
}

function event(action: RegistryEvent['action'], name: string, extra: Partial<RegistryEvent> = {}): RegistryEvent {
  return { t: 'registry', ts: Date.now(), action, model: name, ...extra };
}

/** `runs:/<run>/<path>` or `mlflow-artifacts:/<run>/<path>`: the run and the model's folder in it. */
export function parseModelSource(source: string, runId: string | undefined): { runId: string; path: string } {
  const match = /^(?:runs:|mlflow-artifacts:)\/+([A-Za-z0-9][A-Za-z0-9_.-]{0,127})\/(.+)$/.exec(source);
  if (match?.[1] && match[2]) return { runId: match[1], path: match[2] };
  if (!runId) throw invalid(`Model version source '${source}' names no run: pass 'run_id' or a runs:/ URI.`);
  return { runId, path: source };
}

const createModel: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  if ((await registry(context)).some((m) => m.name === name)) {
    throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
  }
  const description = optionalString(fields, 'description');
  await context.appendRegistry([event('create_model', name, description ? { description } : {})]);
  return { registered_model: modelEntity(await model(context, name)) };
};

const getModel: Handler = async (context, fields) => ({
  registered_model: modelEntity(await model(context, requiredString(fields, 'name'))),
});

const updateModel: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  await model(context, name);
  const description = optionalString(fields, 'description');
  await context.appendRegistry([event('update_model', name, description !== undefined ? { description } : {})]);
  return { registered_model: modelEntity(await model(context, name)) };
};

const deleteModel: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  await model(context, name);
  await context.appendRegistry([event('delete_model', name)]);
  return {};
};

/** `name = 'x'`, `name LIKE 'x%'` (the filters MLflow's client and UI send), optionally `run_id = '…'` for versions. */
function registryFilter(filter: string | undefined): { field: 'name' | 'run_id'; matches: (v: string) => boolean }[] {
  if (!filter?.trim()) return [];
  return filter.split(/\s+and\s+/i).map((clause) => {
    const match = /^\s*(name|run_id)\s*(=|!=|LIKE|ILIKE)\s*'((?:[^']|'')*)'\s*$/i.exec(clause);
    if (!match) throw invalid(`Invalid filter '${filter}': cannot read '${clause.trim()}'.`);
    const field = (match[1] ?? '').toLowerCase() as 'name' | 'run_id';
    return { field, matches: likeComparer((match[2] ?? '').toUpperCase(), (match[3] ?? '').replace(/''/g, "'")) };
  });
}

function page<T>(fields: Fields, list: readonly T[]): { items: T[]; next?: string } {
  const limit = maxResults(fields, 100, 1000);
  const offset = decodePageToken(optionalString(fields, 'page_token'));
  const items = list.slice(offset, offset + limit);
  const end = offset + items.length;
  return end < list.length ? { items, next: encodePageToken(end) } : { items };
}

const searchModels: Handler = async (context, fields) => {
  const clauses = registryFilter(optionalString(fields, 'filter'));
  if (clauses.some((c) => c.field !== 'name')) throw invalid('Registered models can be filtered by name only.');
  const models = (await registry(context)).filter((m) => clauses.every((c) => c.matches(m.name)));
  const { items, next } = page(fields, models);
  return { registered_models: items.map(modelEntity), ...(next ? { next_page_token: next } : {}) };
};

const createVersion: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  const { runId, path } = parseModelSource(requiredString(fields, 'source'), optionalString(fields, 'run_id'));
  await context.run(runId);
  const description = optionalString(fields, 'description');
  const before = (await registry(context)).find((m) => m.name === name);
  await context.appendRegistry([
    event('create_version', name, { run_id: runId, source: path, ...(description ? { description } : {}) }),
  ]);
  const after = await model(context, name);
  const created = after.versions.find((v) => !before?.versions.some((b) => b.version === v.version));
  if (!created) throw new MlflowError('INTERNAL_ERROR', `The new version of '${name}' was not recorded.`);
  return { model_version: versionEntity(name, created) };
};

async function version(context: EndpointContext, fields: Fields): Promise<[string, ModelVersion]> {
  const name = requiredString(fields, 'name');
  const number = versionOf(fields);
  const found = (await model(context, name)).versions.find((v) => v.version === number);
  if (!found) throw missing(`Model Version (name=${name}, version=${number}) not found`);
  return [name, found];
}

const getVersion: Handler = async (context, fields) => {
  const [name, found] = await version(context, fields);
  return { model_version: versionEntity(name, found) };
};

const deleteVersion: Handler = async (context, fields) => {
  const [name, found] = await version(context, fields);
  await context.appendRegistry([event('delete_version', name, { version: found.version })]);
  return {};
};

const searchVersions: Handler = async (context, fields) => {
  const clauses = registryFilter(optionalString(fields, 'filter'));
  const versions = (await registry(context))
    .flatMap((m) => m.versions.map((v) => ({ name: m.name, v })))
    .filter(({ name, v }) => clauses.every((c) => c.matches(c.field === 'name' ? name : (v.runId ?? ''))));
  const { items, next } = page(fields, versions);
  return {
    model_versions: items.map(({ name, v }) => versionEntity(name, v)),
    ...(next ? { next_page_token: next } : {}),
  };
};

const setAlias: Handler = async (context, fields) => {
  const [name, found] = await version(context, fields);
  const alias = requiredString(fields, 'alias');
  await context.appendRegistry([event('set_alias', name, { alias, version: found.version })]);
  return {};
};

const deleteAlias: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  const alias = requiredString(fields, 'alias');
  if (!(await model(context, name)).versions.some((v) => v.aliases.includes(alias))) {
    throw missing(`Registered model alias ${alias} not found.`);
  }
  await context.appendRegistry([event('delete_alias', name, { alias })]);
  return {};
};

const getByAlias: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  const alias = requiredString(fields, 'alias');
  const found = (await model(context, name)).versions.find((v) => v.aliases.includes(alias));
  if (!found) throw missing(`Registered model alias ${alias} not found.`);
  return { model_version: versionEntity(name, found) };
};

type Routes = Readonly<Record<string, { methods: readonly string[]; handler: Handler }>>;

export const REGISTRY_ROUTES: Routes = {
  'registered-models/create': { methods: ['POST'], handler: createModel },
  'registered-models/get': { methods: ['GET'], handler: getModel },
  'registered-models/search': { methods: ['GET', 'POST'], handler: searchModels },
  'registered-models/update': { methods: ['PATCH', 'POST'], handler: updateModel },
  'registered-models/delete': { methods: ['DELETE', 'POST'], handler: deleteModel },
  'model-versions/create': { methods: ['POST'], handler: createVersion },
  'model-versions/get': { methods: ['GET'], handler: getVersion },
  'model-versions/search': { methods: ['GET', 'POST'], handler: searchVersions },
  'model-versions/delete': { methods: ['DELETE', 'POST'], handler: deleteVersion },
  'registered-models/alias': { methods: ['POST', 'DELETE', 'GET'], handler: setAlias },
};

/** The alias path serves three calls, told apart by the method. */
export const ALIAS_HANDLERS: Readonly<Record<string, Handler>> = {
  POST: setAlias,
  DELETE: deleteAlias,
  GET: getByAlias,
};
