/**
 * The model registry's versions (`model-versions/…` of model_registry.proto): create from a run's
 * model folder (`runs:/`, `mlflow-artifacts:/`) or from an MLflow 3 logged model (`models:/<id>`),
 * update, delete, search, tags, MLflow's deprecated stages, and the download URI that
 * `load_model("models:/<name>/<version>")` resolves through.
 */
import { MODEL_ID } from '../store/eventParse';
import type { ModelVersion } from '../store/types';
import type { EndpointContext, Handler, RouteSet } from './context';
import { artifactUri } from './entities';
import { loggedModelArtifactUri } from './loggedModels';
import {
  modelVersion,
  page,
  registeredModel,
  registry,
  registryEvent,
  registryFilter,
  stageOf,
  tagsOf,
  versionEntity,
  versionSource,
} from './registryHandlers';
import type { Fields } from './wire';
import { MlflowError, invalid, missing, optionalString, requiredString } from './wire';

/** What a version's `source` names: a run's model folder, or a logged model. */
export type ModelSource = { readonly runId: string; readonly path: string } | { readonly modelId: string };

const RUN = '[A-Za-z0-9][A-Za-z0-9_.-]{0,127}';

/**
 * `runs:/<run>/<path>`, `mlflow-artifacts:/<run>/<path>`, a path with `run_id` given, or a logged
 * model: `models:/<model id>` or its artifact URI (`mlflow-artifacts:/[experiments/]<exp>/models/<id>/artifacts`).
 */
export function parseModelSource(source: string, runId: string | undefined): ModelSource {
  const logged =
    /^models:\/([^/]+)\/?$/.exec(source)?.[1] ??
    new RegExp(`^mlflow-artifacts:/+(?:experiments/)?[^/]+/models/(${RUN})/artifacts/?$`).exec(source)?.[1];
  if (logged !== undefined) {
    if (!MODEL_ID.test(logged)) throw invalid(`Model version source '${source}' names no logged model.`);
    return { modelId: logged };
  }
  if (/^models:\//.test(source)) {
    throw invalid(`Model version source '${source}': register a logged model (models:/<model_id>) or a run's model.`);
  }
  const match = new RegExp(`^(?:runs:|mlflow-artifacts:)/+(${RUN})/(.+)$`).exec(source);
  if (match?.[1] && match[2]) return { runId: match[1], path: match[2] };
  if (!runId) throw invalid(`Model version source '${source}' names no run: pass 'run_id' or a runs:/ URI.`);
  return { runId, path: source };
}

const createVersion: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  const given = optionalString(fields, 'model_id');
  const source = parseModelSource(
    given && !optionalString(fields, 'source') ? `models:/${given}` : requiredString(fields, 'source'),
    optionalString(fields, 'run_id') || undefined,
  );
  let origin: { run_id?: string; source?: string; model_id?: string };
  if ('modelId' in source) {
    const model = await context.loggedModel(given ?? source.modelId);
    const runId = optionalString(fields, 'run_id') || model.sourceRunId;
    origin = { model_id: model.id, ...(runId ? { run_id: runId } : {}) };
  } else {
    await context.run(source.runId);
    origin = { run_id: source.runId, source: source.path };
  }
  const description = optionalString(fields, 'description');
  const tags = tagsOf(fields);
  const before = (await registry(context)).find((m) => m.name === name);
  await context.appendRegistry([
    registryEvent('create_version', name, {
      ...origin,
      ...(description ? { description } : {}),
      ...(Object.keys(tags).length > 0 ? { tags } : {}),
    }),
  ]);
  const after = await registeredModel(context, name);
  const created = after.versions.find((v) => !before?.versions.some((b) => b.version === v.version));
  if (!created) throw new MlflowError('INTERNAL_ERROR', `The new version of '${name}' was not recorded.`);
  return { model_version: versionEntity(name, created) };
};

const getVersion: Handler = async (context, fields) => {
  const [name, found] = await modelVersion(context, fields);
  return { model_version: versionEntity(name, found) };
};

const updateVersion: Handler = async (context, fields) => {
  const [name, found] = await modelVersion(context, fields);
  const description = optionalString(fields, 'description');
  if (description !== undefined) {
    await context.appendRegistry([registryEvent('update_version', name, { version: found.version, description })]);
  }
  const [, updated] = await modelVersion(context, fields);
  return { model_version: versionEntity(name, updated) };
};

const deleteVersion: Handler = async (context, fields) => {
  const [name, found] = await modelVersion(context, fields);
  await context.appendRegistry([registryEvent('delete_version', name, { version: found.version })]);
  return {};
};

function flag(fields: Fields, name: string): boolean {
  const raw = fields[name];
  return raw === true || raw === 'true' || raw === 'True';
}

/** MLflow's deprecated stages: stored and shown; aliases are the way to point at a version. */
const transitionStage: Handler = async (context, fields) => {
  const [name, found] = await modelVersion(context, fields);
  const stage = stageOf(requiredString(fields, 'stage'));
  const archive = flag(fields, 'archive_existing_versions');
  await context.appendRegistry([
    registryEvent('transition_stage', name, {
      version: found.version,
      stage,
      ...(archive ? { archive_existing: true } : {}),
    }),
  ]);
  const [, moved] = await modelVersion(context, fields);
  return { model_version: versionEntity(name, moved) };
};

const setVersionTag: Handler = async (context, fields) => {
  const [name, found] = await modelVersion(context, fields);
  const key = requiredString(fields, 'key');
  const value = optionalString(fields, 'value') ?? '';
  await context.appendRegistry([registryEvent('set_version_tag', name, { version: found.version, key, value })]);
  return {};
};

const deleteVersionTag: Handler = async (context, fields) => {
  const [name, found] = await modelVersion(context, fields);
  const key = requiredString(fields, 'key');
  if (!(key in found.tags)) throw missing(`No tag with name: ${key} for model ${name} version ${found.version}.`);
  await context.appendRegistry([registryEvent('delete_version_tag', name, { version: found.version, key })]);
  return {};
};

/** Where a version's files can be downloaded: the logged model's folder, or the run's model folder. */
async function downloadUri(context: EndpointContext, v: ModelVersion): Promise<string> {
  if (v.modelId) return loggedModelArtifactUri(await context.loggedModel(v.modelId));
  if (!v.runId || !v.source) throw missing(`Model version ${v.version} names no files.`);
  return `${artifactUri(v.runId)}/${v.source}`;
}

const getDownloadUri: Handler = async (context, fields) => {
  const [, found] = await modelVersion(context, fields);
  return { artifact_uri: await downloadUri(context, found) };
};

const searchVersions: Handler = async (context, fields) => {
  const clauses = registryFilter(optionalString(fields, 'filter'));
  const value = (name: string, v: ModelVersion, field: string): string => {
    if (field === 'name') return name;
    if (field === 'run_id') return v.runId ?? '';
    if (field === 'version_number') return String(v.version);
    return versionSource(v);
  };
  const versions = (await registry(context))
    .flatMap((m) => m.versions.map((v) => ({ name: m.name, v })))
    .filter(({ name, v }) => clauses.every((c) => c.matches(value(name, v, c.field))));
  const { items, next } = page(fields, versions, 10_000, 200_000);
  return {
    model_versions: items.map(({ name, v }) => versionEntity(name, v)),
    ...(next ? { next_page_token: next } : {}),
  };
};

export const VERSION_ROUTES: RouteSet = {
  'model-versions/create': { methods: ['POST'], handler: createVersion },
  'model-versions/get': { methods: ['GET'], handler: getVersion },
  'model-versions/update': { methods: ['PATCH', 'POST'], handler: updateVersion },
  'model-versions/search': { methods: ['GET', 'POST'], handler: searchVersions },
  'model-versions/delete': { methods: ['DELETE', 'POST'], handler: deleteVersion },
  'model-versions/transition-stage': { methods: ['POST'], handler: transitionStage },
  'model-versions/set-tag': { methods: ['POST'], handler: setVersionTag },
  'model-versions/delete-tag': { methods: ['DELETE'], handler: deleteVersionTag },
  'model-versions/get-download-uri': { methods: ['GET'], handler: getDownloadUri },
};
