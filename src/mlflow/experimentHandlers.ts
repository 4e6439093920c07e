/**
 * `experiments/*`. An experiment's name is what its runs are filed under, so renaming one appends
 * the `runlog.experiment` tag to each of its runs; the ids, tags and deletion live in the
 * endpoint's experiment journal (experiments.ts).
 */
import type { RunEvent } from '../store/events';
import { RUN_EXPERIMENT_TAG } from '../store/ingest';
import type { EndpointContext, Handler, RouteSet } from './context';
import { experimentEntity } from './entities';
import type { MlflowExperiment } from './experiments';
import { nextId } from './experiments';
import type { Fields } from './wire';
import {
  MlflowError,
  decodePageToken,
  encodePageToken,
  invalid,
  maxResults,
  missing,
  objectList,
  optionalString,
  requiredString,
  stringList,
} from './wire';

/** Every experiment, including those only runs name (given ids now, so they keep them). */
async function allExperiments(context: EndpointContext): Promise<MlflowExperiment[]> {
  await context.fresh();
  // A name no run uses any more (a renamed experiment's old one) is not an experiment.
  const names = (await context.reads.experiments()).filter((e) => e.runCount > 0).map((e) => e.name);
  await context.experiments.ensure(names);
  return [...(await context.experiments.all()).values()];
}

async function experimentById(context: EndpointContext, fields: Fields): Promise<MlflowExperiment> {
  const id = requiredString(fields, 'experiment_id');
  const experiment = (await context.experiments.all()).get(id);
  if (!experiment) throw missing(`No Experiment with id=${id} exists`);
  return experiment;
}

const getByName: Handler = async (context, fields) => {
  const name = requiredString(fields, 'experiment_name');
  const experiment = (await allExperiments(context)).find((e) => e.name === name);
  if (!experiment) throw missing(`Could not find experiment with name '${name}'`);
  return { experiment: experimentEntity(experiment) };
};

const create: Handler = async (context, fields) => {
  const name = requiredString(fields, 'name');
  const tags = objectList(fields, 'tags').map((t) => [requiredString(t, 'key'), optionalString(t, 'value') ?? '']);
  await allExperiments(context);
  let id = '';
  await context.experiments.append((experiments) => {
    if ([...experiments.values()].some((e) => e.name === name)) {
      throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Experiment '${name}' already exists.`);
    }
    id = String(nextId(experiments));
    const ts = Date.now();
    return [
      { t: 'experiment', ts, action: 'create', id, name },
      ...tags.map(([key = '', value = '']) => ({
        t: 'experiment' as const,
        ts,
        action: 'tag' as const,
        id,
        key,
        value,
      })),
    ];
  });
  return { experiment_id: id };
};

const get: Handler = async (context, fields) => {
  await allExperiments(context);
  return { experiment: experimentEntity(await experimentById(context, fields)) };
};

/** MLflow's experiment filter, the common part: `name = 'x'`, `name LIKE '%x%'`, `tags.k = 'v'`, with AND. */
export function experimentMatcher(filter: string | undefined): (e: MlflowExperiment) => boolean {
  if (!filter?.trim()) return () => true;
  const clauses = filter.split(/\s+and\s+/i).map((clause) => {
    const match =
      /^\s*(?:attributes?\.)?(name|tags?\.(?:`[^`]+`|"[^"]+"|[\w.-]+))\s*(=|!=|LIKE|ILIKE)\s*(?:'((?:[^']|'')*)'|"([^"]*)")\s*$/i.exec(
        clause,
      );
    if (!match) throw invalid(`Invalid experiment filter '${filter}': cannot read '${clause.trim()}'.`);
    const [, field = '', op = '', single, double] = match;
    const value = single !== undefined ? single.replace(/''/g, "'") : (double ?? '');
    const tagKey = field.toLowerCase().startsWith('tag')
      ? field.slice(field.indexOf('.') + 1).replace(/^[`"]|[`"]$/g, '')
      : undefined;
    const compare = likeComparer(op.toUpperCase(), value);
    return (e: MlflowExperiment): boolean => {
      const actual = tagKey === undefined ? e.name : e.tags.get(tagKey);
      return actual !== undefined && compare(actual);
    };
  });
  return (e) => clauses.every((matches) => matches(e));
}

export function likeComparer(op: string, value: string): (actual: string) => boolean {
  if (op === '=') return (actual) => actual === value;
  if (op === '!=') return (actual) => actual !== value;
  const source = value
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  const pattern = new RegExp(`^${source}$`, op === 'ILIKE' ? 'is' : 's');
  return (actual) => pattern.test(actual);
}

const search: Handler = async (context, fields) => {
  const viewType = optionalString(fields, 'view_type') ?? 'ACTIVE_ONLY';
  if (!['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'].includes(viewType)) {
    throw invalid(`Invalid value '${viewType}' for parameter 'view_type'.`);
  }
  const limit = maxResults(fields, 1000, 50_000);
  const offset = decodePageToken(optionalString(fields, 'page_token'));
  const matches = experimentMatcher(optionalString(fields, 'filter'));
  const orderBy = stringList(fields, 'order_by')[0];
  const list = (await allExperiments(context))
    .filter((e) => viewType === 'ALL' || e.deleted === (viewType === 'DELETED_ONLY'))
    .filter(matches);
  const order = /^\s*(?:attributes?\.)?(name|experiment_id|creation_time|last_update_time)\s*(asc|desc)?\s*$/i.exec(
    orderBy ?? 'creation_time DESC',
  );
  if (!order) throw invalid(`Invalid order_by clause '${orderBy ?? ''}'.`);
  const field = (order[1] ?? '').toLowerCase();
  const sign = (order[2] ?? 'asc').toLowerCase() === 'desc' ? -1 : 1;
  const value = (e: MlflowExperiment): string | number =>
    field === 'name'
      ? e.name
      : field === 'experiment_id'
        ? Number(e.id)
        : field === 'creation_time'
          ? e.created
          : e.updated;
  list.sort((a, b) => {
    const x = value(a);
    const y = value(b);
    return (x < y ? -1 : x > y ? 1 : 0) * sign || Number(b.id) - Number(a.id);
  });
  const page = list.slice(offset, offset + limit);
  const next = offset + page.length;
  return {
    experiments: page.map(experimentEntity),
    ...(next < list.length ? { next_page_token: encodePageToken(next) } : {}),
  };
};

const update: Handler = async (context, fields) => {
  const experiment = await experimentById(context, fields);
  const newName = requiredString(fields, 'new_name');
  if (newName === experiment.name) return {};
  if ((await allExperiments(context)).some((e) => e.name === newName)) {
    throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Experiment '${newName}' already exists.`);
  }
  const oldName = experiment.name;
  await context.experiments.append(() => [
    { t: 'experiment', ts: Date.now(), action: 'rename', id: experiment.id, name: newName },
  ]);
  // The runs follow: each is re-filed under the new name with the tag a joining client would use.
  const storeExperiment = (await context.reads.experiments()).find((e) => e.name === oldName);
  if (storeExperiment) {
    const page = await context.reads.listRuns({ experimentIds: [storeExperiment.id], deleted: 'all' });
    const event: RunEvent = { t: 'tag', ts: Date.now(), key: RUN_EXPERIMENT_TAG, value: newName };
    for (const run of page.runs) await context.append(run.id, [event]);
  }
  return {};
};

const lifecycle =
  (action: 'delete' | 'restore'): Handler =>
  async (context, fields) => {
    const experiment = await experimentById(context, fields);
    if (action === 'delete' && experiment.id === '0') {
      throw invalid('The default experiment (id 0) cannot be deleted.');
    }
    await context.experiments.append(() => [{ t: 'experiment', ts: Date.now(), action, id: experiment.id }]);
    return {};
  };

const setTag: Handler = async (context, fields) => {
  const experiment = await experimentById(context, fields);
  const key = requiredString(fields, 'key');
  const value = optionalString(fields, 'value') ?? '';
  await context.experiments.append(() => [
    { t: 'experiment', ts: Date.now(), action: 'tag', id: experiment.id, key, value },
  ]);
  return {};
};

const deleteTag: Handler = async (context, fields) => {
  const experiment = await experimentById(context, fields);
  const key = requiredString(fields, 'key');
  if (!experiment.tags.has(key)) throw missing(`No tag with name: ${key} in experiment ${experiment.id}.`);
  await context.experiments.append(() => [
    { t: 'experiment', ts: Date.now(), action: 'delete_tag', id: experiment.id, key },
  ]);
  return {};
};

/** The datasets the experiments' runs read (`log_input`), each name and digest once, newest first. */
const searchDatasets: Handler = async (context, fields) => {
  const ids = stringList(fields, 'experiment_ids');
  const known = await context.experiments.all();
  const byName = new Map<string, string>();
  for (const id of ids) {
    const experiment = known.get(id);
    if (experiment) byName.set(experiment.name, id);
  }
  await context.fresh();
  const storeIds = (await context.reads.experiments()).filter((e) => byName.has(e.name)).map((e) => e.id);
  const summaries = await context.reads.query('datasetSummaries', storeIds);
  return {
    dataset_summaries: summaries.map((s) => ({
      experiment_id: byName.get(s.experiment),
      name: s.name,
      digest: s.digest,
    })),
  };
};

export const EXPERIMENT_ROUTES: RouteSet = {
  'experiments/get-by-name': { methods: ['GET'], handler: getByName },
  'experiments/create': { methods: ['POST'], handler: create },
  'experiments/get': { methods: ['GET'], handler: get },
  'experiments/search': { methods: ['POST', 'GET'], handler: search },
  'experiments/update': { methods: ['POST'], handler: update },
  'experiments/delete': { methods: ['POST'], handler: lifecycle('delete') },
  'experiments/restore': { methods: ['POST'], handler: lifecycle('restore') },
  'experiments/set-experiment-tag': { methods: ['POST'], handler: setTag },
  'experiments/delete-experiment-tag': { methods: ['POST'], handler: deleteTag },
  'experiments/search-datasets': { methods: ['POST'], handler: searchDatasets },
};
