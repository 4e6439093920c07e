// The store's queries about the model registry (`registry/events.jsonl`, ingested by ingest.ts).
// `registryQueries` lists them; storeQueries.ts makes every one a StoreApi method.
import type { Db } from './sqlite';
import type { ModelVersion, RegisteredModel } from './types';

/** The model registry: every registered model with its live versions and their aliases. */
function registeredModels(db: Db): RegisteredModel[] {
  const aliases = new Map<string, string[]>();
  for (const row of db.all<{ model: string; alias: string; version: number }>(
    'SELECT model, alias, version FROM model_aliases ORDER BY alias',
  )) {
    const key = `${row.model}\0${row.version}`;
    aliases.set(key, [...(aliases.get(key) ?? []), row.alias]);
  }
  const versions = new Map<string, ModelVersion[]>();
  for (const row of db.all<{
    model: string;
    version: number;
    run_id: string | null;
    source: string | null;
    created: number;
    description: string | null;
  }>(
    'SELECT model, version, run_id, source, created, description FROM model_versions WHERE deleted = 0 ORDER BY version DESC',
  )) {
    const list = versions.get(row.model) ?? [];
    list.push({
      version: row.version,
      runId: row.run_id,
      source: row.source,
      created: row.created,
      description: row.description,
      aliases: aliases.get(`${row.model}\0${row.version}`) ?? [],
    });
    versions.set(row.model, list);
  }
  return db
    .all<{ name: string; created: number; updated: number; description: string | null }>(
      'SELECT name, created, updated, description FROM registered_models ORDER BY name',
    )
    .map((m) => ({ ...m, versions: versions.get(m.name) ?? [] }));
}

export const registryQueries = { registeredModels };
