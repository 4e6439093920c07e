// The registry journal (`<store>/registry/events.jsonl`) into the registry tables, by the rules of
// docs/JOURNAL.md. python/runlog/_registry_state.py applies the same rules (the Python client numbers
// versions from its own reading); test/unit/store/registryMirror.test.ts holds the two together.
import type { RegistryEvent } from './events';
import type { IngestStats, Rejection } from './ingest';
import { recordProgress } from './ingest';
import type { JournalChunk } from './journal';
import type { Db } from './sqlite';

/** The registry journal's key in the `journals` table: no run id can start with "@". */
export const REGISTRY_JOURNAL = '@registry';

/** Every table the registry journal fills (emptied when the journal must be read again). */
export const REGISTRY_TABLES = [
  'model_aliases',
  'model_version_tags',
  'model_versions',
  'registered_model_tags',
  'registered_models',
] as const;

/**
 * Applies a chunk of the registry journal, in journal order, recording how far it was read in the
 * same transaction. Changes that break the registry's rules (a version that exists, an alias to a
 * missing version, …) are kept in `rejected_events` with the reason, like bad run events.
 */
export function ingestRegistryChunk(db: Db, chunk: JournalChunk): IngestStats {
  const rejected: Rejection[] = chunk.malformed.map((m) => ({
    runId: REGISTRY_JOURNAL,
    line: m.line,
    reason: m.reason,
  }));
  db.transaction(() => {
    chunk.events.forEach((event, index) => {
      const problem =
        event.t === 'registry'
          ? applyRegistryEvent(db, event)
          : `a ${event.t} event does not belong in the registry journal`;
      if (problem) rejected.push({ runId: REGISTRY_JOURNAL, line: chunk.lines[index], reason: problem });
    });
    if (chunk.metrics.count > 0) {
      rejected.push({
        runId: REGISTRY_JOURNAL,
        line: 0,
        reason: 'metric points do not belong in the registry journal',
      });
    }
    recordProgress(db, REGISTRY_JOURNAL, chunk, rejected);
  });
  return { events: chunk.events.length, points: 0, rejected };
}

function applyRegistryEvent(db: Db, event: RegistryEvent): string | undefined {
  const name = event.model;
  const model = db.get<{ name: string }>('SELECT name FROM registered_models WHERE name = ?', [name]);
  const touch = (): void => db.run('UPDATE registered_models SET updated = ? WHERE name = ?', [event.ts, name]);
  const version = event.version ?? 0;
  const versionExists =
    event.version !== undefined &&
    db.get('SELECT 1 AS x FROM model_versions WHERE model = ? AND version = ? AND deleted = 0', [name, version]) !==
      undefined;
  const missingVersion = `version ${String(event.version)} of "${name}" does not exist`;
  const touchVersion = (): void =>
    db.run('UPDATE model_versions SET updated = ? WHERE model = ? AND version = ?', [event.ts, name, version]);
  switch (event.action) {
    case 'create_model':
      if (model) return `registered model "${name}" already exists`;
      db.run('INSERT INTO registered_models (name, created, updated, description) VALUES (?, ?, ?, ?)', [
        name,
        event.ts,
        event.ts,
        event.description ?? null,
      ]);
      return undefined;
    case 'update_model':
      if (!model) return `registered model "${name}" does not exist`;
      db.run('UPDATE registered_models SET description = ?, updated = ? WHERE name = ?', [
        event.description ?? null,
        event.ts,
        name,
      ]);
      return undefined;
    case 'delete_model':
      if (!model) return `registered model "${name}" does not exist`;
      for (const table of REGISTRY_TABLES) {
        db.run(`DELETE FROM ${table} WHERE ${table === 'registered_models' ? 'name' : 'model'} = ?`, [name]);
      }
      return undefined;
    case 'rename_model': {
      const newName = event.new_name ?? '';
      if (!model) return `registered model "${name}" does not exist`;
      if (db.get('SELECT 1 AS x FROM registered_models WHERE name = ?', [newName])) {
        return `registered model "${newName}" already exists`;
      }
      for (const table of REGISTRY_TABLES) {
        db.run(
          `UPDATE ${table} SET ${table === 'registered_models' ? 'name' : 'model'} = ? WHERE ${
            table === 'registered_models' ? 'name' : 'model'
          } = ?`,
          [newName, name],
        );
      }
      db.run('UPDATE registered_models SET updated = ? WHERE name = ?', [event.ts, newName]);
      return undefined;
    }
    case 'create_version': {
      if (!event.model_id && (!event.run_id || !event.source)) {
        return 'create_version needs "run_id" and "source", or "model_id"';
      }
      const next =
        (db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM model_versions WHERE model = ?', [name])?.v ?? 0) +
        1;
      const number = event.version ?? next;
      // Checked before the model is created, so a refused line changes nothing.
      if (number !== next) return `version ${number} of "${name}" cannot be created: the next version is ${next}`;
      if (!model) {
        // Registering into a model that does not exist yet creates it, as MLflow's register_model does.
        db.run('INSERT INTO registered_models (name, created, updated) VALUES (?, ?, ?)', [name, event.ts, event.ts]);
      }
      db.run(
        `INSERT INTO model_versions (model, version, run_id, source, model_id, created, updated, description)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          name,
          number,
          event.run_id ?? null,
          event.source ?? null,
          event.model_id ?? null,
          event.ts,
          event.ts,
          event.description ?? null,
        ],
      );
      for (const [key, value] of Object.entries(event.tags ?? {})) {
        db.run('INSERT OR REPLACE INTO model_version_tags (model, version, key, value) VALUES (?, ?, ?, ?)', [
          name,
          number,
          key,
          value,
        ]);
      }
      touch();
      return undefined;
    }
    case 'update_version':
      if (!versionExists) return missingVersion;
      db.run('UPDATE model_versions SET description = ? WHERE model = ? AND version = ?', [
        event.description ?? null,
        name,
        version,
      ]);
      touchVersion();
      touch();
      return undefined;
    case 'delete_version':
      if (!versionExists) return missingVersion;
      db.run('UPDATE model_versions SET deleted = 1 WHERE model = ? AND version = ?', [name, version]);
      db.run('DELETE FROM model_aliases WHERE model = ? AND version = ?', [name, version]);
      db.run('DELETE FROM model_version_tags WHERE model = ? AND version = ?', [name, version]);
      touch();
      return undefined;
    case 'set_alias':
      if (!event.alias) return 'set_alias needs "alias"';
      if (!versionExists) {
        return `alias "${event.alias}" cannot point at version ${String(event.version)} of "${name}": it does not exist`;
      }
      // An alias points at one version: setting it again moves it.
      db.run('INSERT OR REPLACE INTO model_aliases (model, alias, version) VALUES (?, ?, ?)', [
        name,
        event.alias,
        version,
      ]);
      touch();
      return undefined;
    case 'delete_alias':
      if (!event.alias) return 'delete_alias needs "alias"';
      if (!db.get('SELECT 1 AS x FROM model_aliases WHERE model = ? AND alias = ?', [name, event.alias])) {
        return `"${name}" has no alias "${event.alias}"`;
      }
      db.run('DELETE FROM model_aliases WHERE model = ? AND alias = ?', [name, event.alias]);
      touch();
      return undefined;
    case 'set_model_tag':
    case 'delete_model_tag':
      if (!model) return `registered model "${name}" does not exist`;
      if (event.action === 'set_model_tag') {
        db.run('INSERT OR REPLACE INTO registered_model_tags (model, key, value) VALUES (?, ?, ?)', [
          name,
          event.key ?? '',
          event.value ?? '',
        ]);
      } else {
        db.run('DELETE FROM registered_model_tags WHERE model = ? AND key = ?', [name, event.key ?? '']);
      }
      touch();
      return undefined;
    case 'set_version_tag':
    case 'delete_version_tag':
      if (!versionExists) return missingVersion;
      if (event.action === 'set_version_tag') {
        db.run('INSERT OR REPLACE INTO model_version_tags (model, version, key, value) VALUES (?, ?, ?, ?)', [
          name,
          version,
          event.key ?? '',
          event.value ?? '',
        ]);
      } else {
        db.run('DELETE FROM model_version_tags WHERE model = ? AND version = ? AND key = ?', [
          name,
          version,
          event.key ?? '',
        ]);
      }
      touchVersion();
      touch();
      return undefined;
    case 'transition_stage': {
      if (!versionExists) return missingVersion;
      const stage = event.stage ?? 'None';
      if (event.archive_existing && (stage === 'Staging' || stage === 'Production')) {
        db.run(
          `UPDATE model_versions SET stage = 'Archived', updated = ?
           WHERE model = ? AND stage = ? AND version != ? AND deleted = 0`,
          [event.ts, name, stage, version],
        );
      }
      db.run('UPDATE model_versions SET stage = ? WHERE model = ? AND version = ?', [stage, name, version]);
      touchVersion();
      touch();
      return undefined;
    }
  }
}
