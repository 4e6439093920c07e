// The store's queries about models: the registry (`registry/events.jsonl`) and MLflow 3's logged
// models (`models/events.jsonl`), both ingested by their own modules (registryIngest.ts,
// loggedModelIngest.ts). `registryQueries` lists them; storeQueries.ts makes every one a StoreApi method.
import type { LoggedModelStatus, ModelStage } from './events';
import type { Db } from './sqlite';
import type {
  LoggedModelPoint,
  LoggedModelQuery,
  LoggedModelRecord,
  ModelVersion,
  RegisteredModel,
  RunLoggedModel,
} from './types';

/** key → value pairs of rows grouped by `group(row)`. */
function pairsBy<R extends { key: string; value: string }>(
  rows: readonly R[],
  group: (row: R) => string,
): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const row of rows) {
    const pairs = out.get(group(row)) ?? {};
    pairs[row.key] = row.value;
    out.set(group(row), pairs);
  }
  return out;
}

/** The model registry: every registered model with its tags and its live versions (aliases, tags, stage). */
function registeredModels(db: Db): RegisteredModel[] {
  const aliases = new Map<string, string[]>();
  for (const row of db.all<{ model: string; alias: string; version: number }>(
    'SELECT model, alias, version FROM model_aliases ORDER BY alias',
  )) {
    const key = `${row.model}\0${row.version}`;
    aliases.set(key, [...(aliases.get(key) ?? []), row.alias]);
  }
  const versionTags = pairsBy(
    db.all<{ model: string; version: number; key: string; value: string }>(
      'SELECT model, version, key, value FROM model_version_tags ORDER BY key',
    ),
    (row) => `${row.model}\0${row.version}`,
  );
  const modelTags = pairsBy(
    db.all<{ model: string; key: string; value: string }>(
      'SELECT model, key, value FROM registered_model_tags ORDER BY key',
    ),
    (row) => row.model,
  );
  const versions = new Map<string, ModelVersion[]>();
  for (const row of db.all<{
    model: string;
    version: number;
    run_id: string | null;
    source: string | null;
    model_id: string | null;
    created: number;
    updated: number | null;
    description: string | null;
    stage: ModelStage;
  }>(
    `SELECT model, version, run_id, source, model_id, created, updated, description, stage
     FROM model_versions WHERE deleted = 0 ORDER BY version DESC`,
  )) {
    const list = versions.get(row.model) ?? [];
    const key = `${row.model}\0${row.version}`;
    list.push({
      version: row.version,
      runId: row.run_id,
      source: row.source,
      modelId: row.model_id,
      created: row.created,
      updated: row.updated ?? row.created,
      description: row.description,
      aliases: aliases.get(key) ?? [],
      stage: row.stage,
      tags: versionTags.get(key) ?? {},
    });
    versions.set(row.model, list);
  }
  return db
    .all<{ name: string; created: number; updated: number; description: string | null }>(
      'SELECT name, created, updated, description FROM registered_models ORDER BY name',
    )
    .map((m) => ({ ...m, tags: modelTags.get(m.name) ?? {}, versions: versions.get(m.name) ?? [] }));
}

interface LoggedModelRow {
  id: string;
  name: string;
  experiment_id: string;
  model_type: string | null;
  source_run_id: string | null;
  status: LoggedModelStatus;
  created: number;
  updated: number;
  deleted: number;
}

/** The logged models a run logged (its source run) or named in model_output / model_input events. */
export function runLoggedModels(db: Db, runId: string): RunLoggedModel[] {
  return db
    .all<LoggedModelRow & { output_step: number | null; input: number }>(
      `SELECT m.*,
         (SELECT step FROM run_models WHERE run_id = ? AND model_id = m.id AND direction = 'output') AS output_step,
         EXISTS (SELECT 1 FROM run_models WHERE run_id = ? AND model_id = m.id AND direction = 'input') AS input
       FROM logged_models m WHERE m.deleted = 0 AND
         (m.source_run_id = ? OR m.id IN (SELECT model_id FROM run_models WHERE run_id = ?))
       ORDER BY m.created, m.id`,
      [runId, runId, runId, runId],
    )
    .map((row) => ({
      id: row.id,
      name: row.name,
      status: row.status,
      modelType: row.model_type,
      created: row.created,
      source: row.source_run_id === runId,
      outputStep: row.output_step,
      input: row.input !== 0,
    }));
}

/**
 * MLflow 3's logged models with their params, tags, metric points, files, registered versions and
 * the runs that name them: those asked for, oldest first.
 */
function loggedModels(db: Db, query: LoggedModelQuery = {}): LoggedModelRecord[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (!query.deleted) where.push('deleted = 0');
  if (query.ids) {
    where.push(`id IN (${query.ids.map(() => '?').join(', ') || 'NULL'})`);
    args.push(...query.ids);
  }
  if (query.runId !== undefined) {
    where.push('(source_run_id = ? OR id IN (SELECT model_id FROM run_models WHERE run_id = ?))');
    args.push(query.runId, query.runId);
  }
  const rows = db.all<LoggedModelRow>(
    `SELECT * FROM logged_models ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created, id`,
    args,
  );
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const inIds = `(${ids.map(() => '?').join(', ')})`;
  const byModel = <R extends { model_id: string }>(sql: string): Map<string, R[]> => {
    const out = new Map<string, R[]>();
    for (const row of db.all<R>(sql.replace('$IDS', inIds), ids)) {
      out.set(row.model_id, [...(out.get(row.model_id) ?? []), row]);
    }
    return out;
  };
  const params = pairsBy(
    db.all<{ model_id: string; key: string; value: string }>(
      `SELECT model_id, key, value FROM logged_model_params WHERE model_id IN ${inIds} ORDER BY key`,
      ids,
    ),
    (row) => row.model_id,
  );
  const tags = pairsBy(
    db.all<{ model_id: string; key: string; value: string }>(
      `SELECT model_id, key, value FROM logged_model_tags WHERE model_id IN ${inIds} ORDER BY key`,
      ids,
    ),
    (row) => row.model_id,
  );
  const metrics = byModel<{
    model_id: string;
    key: string;
    value: number | null;
    step: number;
    time: number;
    run_id: string | null;
    dataset_name: string | null;
    dataset_digest: string | null;
  }>('SELECT * FROM logged_model_metrics WHERE model_id IN $IDS ORDER BY rowid');
  const files = byModel<{ model_id: string; path: string; size: number; sha256: string }>(
    'SELECT model_id, path, size, sha256 FROM logged_model_artifacts WHERE model_id IN $IDS ORDER BY path',
  );
  const versions = new Map<string, { name: string; version: number }[]>();
  for (const row of db.all<{ model: string; version: number; model_id: string }>(
    `SELECT model, version, model_id FROM model_versions WHERE deleted = 0 AND model_id IN ${inIds}
     ORDER BY model, version`,
    ids,
  )) {
    versions.set(row.model_id, [...(versions.get(row.model_id) ?? []), { name: row.model, version: row.version }]);
  }
  const runs = byModel<{ model_id: string; run_id: string; direction: 'output' | 'input'; step: number | null }>(
    'SELECT model_id, run_id, direction, step FROM run_models WHERE model_id IN $IDS ORDER BY run_id, direction',
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    experimentId: row.experiment_id,
    modelType: row.model_type,
    sourceRunId: row.source_run_id,
    status: row.status,
    created: row.created,
    updated: row.updated,
    deleted: row.deleted !== 0,
    params: params.get(row.id) ?? {},
    tags: tags.get(row.id) ?? {},
    metrics: (metrics.get(row.id) ?? []).map((m): LoggedModelPoint => ({
      key: m.key,
      value: m.value ?? Number.NaN,
      step: m.step,
      time: m.time,
      runId: m.run_id,
      datasetName: m.dataset_name,
      datasetDigest: m.dataset_digest,
    })),
    files: (files.get(row.id) ?? []).map(({ path, size, sha256 }) => ({ path, size, sha256 })),
    registrations: versions.get(row.id) ?? [],
    runs: (runs.get(row.id) ?? []).map((r) => ({ runId: r.run_id, direction: r.direction, step: r.step })),
  }));
}

export const registryQueries = { registeredModels, loggedModels };
