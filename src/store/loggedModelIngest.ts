// The logged models journal (`<store>/models/events.jsonl`, journal format 3) into the logged model
// tables, by the rules of docs/JOURNAL.md.
import type { LoggedModelEvent } from './events';
import type { IngestStats, Rejection } from './ingest';
import { recordProgress } from './ingest';
import type { JournalChunk } from './journal';
import type { Db } from './sqlite';

/** The logged models journal's key in the `journals` table: no run id can start with "@". */
export const MODELS_JOURNAL = '@models';

/** Every table the logged models journal fills (emptied when the journal must be read again). */
export const LOGGED_MODEL_TABLES = [
  'logged_model_tags',
  'logged_model_params',
  'logged_model_metrics',
  'logged_model_artifacts',
  'logged_models',
] as const;

/**
 * Applies a chunk of the logged models journal in journal order, recording how far it was read in the
 * same transaction; lines that break the rules are kept in `rejected_events` with the reason.
 */
export function ingestLoggedModelChunk(db: Db, chunk: JournalChunk): IngestStats {
  const rejected: Rejection[] = chunk.malformed.map((m) => ({ runId: MODELS_JOURNAL, line: m.line, reason: m.reason }));
  db.transaction(() => {
    chunk.events.forEach((event, index) => {
      const problem =
        event.t === 'logged_model'
          ? applyLoggedModelEvent(db, event)
          : `a ${event.t} event does not belong in the logged models journal`;
      if (problem) rejected.push({ runId: MODELS_JOURNAL, line: chunk.lines[index], reason: problem });
    });
    if (chunk.metrics.count > 0) {
      rejected.push({
        runId: MODELS_JOURNAL,
        line: 0,
        reason: 'run metric points do not belong in models/events.jsonl',
      });
    }
    recordProgress(db, MODELS_JOURNAL, chunk, rejected);
  });
  return { events: chunk.events.length, points: 0, rejected };
}

function setPairs(db: Db, table: string, modelId: string, pairs: Readonly<Record<string, string>> | undefined): void {
  for (const [key, value] of Object.entries(pairs ?? {})) {
    db.run(`INSERT OR REPLACE INTO ${table} (model_id, key, value) VALUES (?, ?, ?)`, [modelId, key, value]);
  }
}

function applyLoggedModelEvent(db: Db, event: LoggedModelEvent): string | undefined {
  const id = event.model_id;
  const known = db.get<{ deleted: number }>('SELECT deleted FROM logged_models WHERE id = ?', [id]);
  if (event.action === 'create') {
    if (known) return `logged model ${id} already exists`;
    db.run(
      `INSERT INTO logged_models (id, name, experiment_id, model_type, source_run_id, status, created, updated)
       VALUES (?, ?, ?, ?, ?, 'PENDING', ?, ?)`,
      [
        id,
        event.name ?? id,
        event.experiment_id ?? '0',
        event.model_type ?? null,
        event.source_run_id ?? null,
        event.ts,
        event.ts,
      ],
    );
    setPairs(db, 'logged_model_params', id, event.params);
    setPairs(db, 'logged_model_tags', id, event.tags);
    return undefined;
  }
  if (!known || known.deleted) return `logged model ${id} does not exist`;
  switch (event.action) {
    case 'finalize':
      db.run('UPDATE logged_models SET status = ? WHERE id = ?', [event.status ?? 'READY', id]);
      break;
    case 'set_tags':
      setPairs(db, 'logged_model_tags', id, event.tags);
      break;
    case 'delete_tag':
      db.run('DELETE FROM logged_model_tags WHERE model_id = ? AND key = ?', [id, event.key ?? '']);
      break;
    case 'log_params': {
      // Write-once, as a run's params: another value for a logged key refuses the whole line.
      for (const [key, value] of Object.entries(event.params ?? {})) {
        const before = db.get<{ value: string }>(
          'SELECT value FROM logged_model_params WHERE model_id = ? AND key = ?',
          [id, key],
        );
        if (before && before.value !== value) {
          return `param "${key}" of logged model ${id} is already "${before.value}"; params are write-once, so "${value}" was not stored`;
        }
      }
      setPairs(db, 'logged_model_params', id, event.params);
      break;
    }
    case 'log_metrics':
      for (const m of event.metrics ?? []) {
        db.run(
          `INSERT INTO logged_model_metrics (model_id, key, value, step, time, run_id, dataset_name, dataset_digest)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            id,
            m.key,
            Number.isNaN(m.value) ? null : m.value,
            m.step,
            m.ts,
            m.run_id ?? null,
            m.dataset_name ?? null,
            m.dataset_digest ?? null,
          ],
        );
      }
      break;
    case 'artifact':
      db.run('INSERT OR REPLACE INTO logged_model_artifacts (model_id, path, size, sha256) VALUES (?, ?, ?, ?)', [
        id,
        event.path ?? '',
        event.size ?? 0,
        event.sha256 ?? '',
      ]);
      break;
    case 'remove_artifact':
      db.run(
        "DELETE FROM logged_model_artifacts WHERE model_id = ? AND (path = ? OR substr(path, 1, length(?) + 1) = ? || '/')",
        [id, event.path ?? '', event.path ?? '', event.path ?? ''],
      );
      break;
    case 'delete':
      db.run('UPDATE logged_models SET deleted = 1 WHERE id = ?', [id]);
      break;
  }
  db.run('UPDATE logged_models SET updated = ? WHERE id = ?', [event.ts, id]);
  return undefined;
}
