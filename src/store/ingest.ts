import type { RunEvent } from './events';
import type { JournalChunk } from './journal';
import { appendPoints } from './metrics';
import type { Db } from './sqlite';

/** A client that joins an editor-created run renames it, or files it under its experiment, with these tags. */
export const RUN_NAME_TAG = 'runlog.name';
export const RUN_EXPERIMENT_TAG = 'runlog.experiment';
/** A pinned run has this tag (set and cleared by lifecycle events); the Runs view lists it first. */
export const RUN_PINNED_TAG = 'runlog.pinned';
/** A run's note (Markdown), where MLflow keeps it: it round-trips through MLflow's tags. */
export const NOTE_TAG = 'mlflow.note.content';

export interface Rejection {
  readonly runId: string;
  readonly line: number;
  readonly reason: string;
}

export interface IngestStats {
  readonly events: number;
  readonly points: number;
  readonly rejected: readonly Rejection[];
}

function experimentId(db: Db, name: string, ts: number): number {
  db.run('INSERT OR IGNORE INTO experiments (name, created) VALUES (?, ?)', [name, ts]);
  return (db.get<{ id: number }>('SELECT id FROM experiments WHERE name = ?', [name]) as { id: number }).id;
}

/**
 * Applies one journal chunk to the database, and records how far the journal has been read — in
 * the same transaction, so the database never claims events it does not hold. Malformed lines and
 * params that try to change value are kept in `rejected_events` with the reason.
 */
export function ingestChunk(db: Db, runId: string, chunk: JournalChunk): IngestStats {
  const rejected: Rejection[] = chunk.malformed.map((m) => ({ runId, line: m.line, reason: m.reason }));
  db.transaction(() => {
    const firstTs = chunk.events[0]?.ts ?? firstMetricTime(chunk) ?? Date.now();
    // A run exists from its first event, even when its run_start line was lost.
    db.run("INSERT OR IGNORE INTO runs (id, name, experiment_id, status, start_time) VALUES (?, ?, 0, 'RUNNING', ?)", [
      runId,
      runId,
      firstTs,
    ]);
    chunk.events.forEach((event, index) => {
      const problem = applyEvent(db, runId, event);
      if (problem) rejected.push({ runId, line: chunk.lines[index], reason: problem });
    });
    for (const [key, columns] of chunk.metrics.series) appendPoints(db, runId, key, columns.view());
    recordProgress(db, runId, chunk, rejected);
  });
  return { events: chunk.events.length + chunk.metrics.count, points: chunk.metrics.count, rejected };
}

function firstMetricTime(chunk: JournalChunk): number | undefined {
  let first: number | undefined;
  for (const columns of chunk.metrics.series.values()) {
    const time = columns.times[0];
    if (columns.length > 0 && (first === undefined || time < first)) first = time;
  }
  return first;
}

/** Applies one non-metric event; returns why it was refused, if it was. */
function applyEvent(db: Db, runId: string, event: RunEvent): string | undefined {
  switch (event.t) {
    case 'run_start':
      db.run(
        `UPDATE runs SET name = ?, experiment_id = ?, start_time = ?, command = ?, cwd = ?, entry_point = ?,
           source = ?, user = ?, parent_run_id = ?, pid = ?, host = ? WHERE id = ?`,
        [
          event.name,
          experimentId(db, event.experiment, event.ts),
          event.ts,
          event.command ?? null,
          event.cwd ?? null,
          event.entry_point ?? null,
          event.source ?? null,
          event.user ?? null,
          event.parent_run_id ?? null,
          event.pid ?? null,
          event.host ?? null,
          runId,
        ],
      );
      return undefined;
    case 'run_end':
      db.run('UPDATE runs SET status = ?, end_time = ?, exit_code = ?, error = ? WHERE id = ?', [
        event.status,
        event.ts,
        event.exit_code ?? null,
        event.error ?? null,
        runId,
      ]);
      return undefined;
    case 'status':
      // A run that already ended keeps its end: a late status line (a queue that learns of a
      // cancel, say) cannot revive it.
      db.run(
        `UPDATE runs SET status = ?, pid = COALESCE(?, pid), host = COALESCE(?, host)
         WHERE id = ? AND status NOT IN ('FINISHED', 'FAILED', 'KILLED')`,
        [event.status, event.pid ?? null, event.host ?? null, runId],
      );
      return undefined;
    case 'param': {
      const existing = db.get<{ value: string }>('SELECT value FROM params WHERE run_id = ? AND key = ?', [
        runId,
        event.key,
      ]);
      if (!existing) {
        db.run('INSERT INTO params (run_id, key, value) VALUES (?, ?, ?)', [runId, event.key, event.value]);
      } else if (existing.value !== event.value) {
        return `param "${event.key}" is already "${existing.value}"; params are write-once, so "${event.value}" was not stored`;
      }
      return undefined;
    }
    case 'tag':
      db.run('INSERT OR REPLACE INTO tags (run_id, key, value) VALUES (?, ?, ?)', [runId, event.key, event.value]);
      if (event.key === RUN_NAME_TAG && event.value !== '') {
        db.run('UPDATE runs SET name = ? WHERE id = ?', [event.value, runId]);
      }
      if (event.key === RUN_EXPERIMENT_TAG && event.value !== '') {
        db.run('UPDATE runs SET experiment_id = ? WHERE id = ?', [experimentId(db, event.value, event.ts), runId]);
      }
      return undefined;
    case 'artifact':
      db.run('INSERT OR REPLACE INTO artifacts (run_id, path, size, sha256) VALUES (?, ?, ?, ?)', [
        runId,
        event.path,
        event.size,
        event.sha256,
      ]);
      return undefined;
    case 'artifact_removed':
      db.run("DELETE FROM artifacts WHERE run_id = ? AND (path = ? OR substr(path, 1, length(?) + 1) = ? || '/')", [
        runId,
        event.path,
        event.path,
        event.path,
      ]);
      return undefined;
    case 'input':
      db.run('INSERT OR REPLACE INTO inputs (run_id, name, path, digest, shape, columns) VALUES (?, ?, ?, ?, ?, ?)', [
        runId,
        event.name,
        event.path,
        event.digest,
        event.shape ? JSON.stringify(event.shape) : null,
        event.columns ? JSON.stringify(event.columns) : null,
      ]);
      return undefined;
    case 'environment':
      // A later environment event (a second process logging into the run) replaces the first.
      db.run(
        `INSERT OR REPLACE INTO environments (run_id, recorded, python_version, python_implementation, executable,
           platform, system, machine, packages, gpu) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          runId,
          event.ts,
          event.python_version,
          event.python_implementation ?? null,
          event.executable ?? null,
          event.platform ?? null,
          event.system ?? null,
          event.machine ?? null,
          JSON.stringify(event.packages),
          event.gpu ? JSON.stringify(event.gpu) : null,
        ],
      );
      return undefined;
    case 'metric':
      // Metric points travel in chunk.metrics; a metric event here would be a reader bug.
      return 'metric event outside the metric batch';
    case 'model':
      db.run(
        'INSERT OR REPLACE INTO models (run_id, name, flavor, uuid, created, signature, files) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [runId, event.name, event.flavor, event.uuid, event.ts, event.signature ?? null, JSON.stringify(event.files)],
      );
      return undefined;
    case 'registry':
      return 'registry events belong in registry/events.jsonl, not in a run journal';
    case 'logged_model':
      return 'logged_model events belong in models/events.jsonl, not in a run journal';
    case 'model_output':
    case 'model_input':
      db.run('INSERT OR REPLACE INTO run_models (run_id, model_id, direction, step) VALUES (?, ?, ?, ?)', [
        runId,
        event.model_id,
        event.t === 'model_output' ? 'output' : 'input',
        event.t === 'model_output' ? event.step : null,
      ]);
      return undefined;
    case 'lifecycle':
      switch (event.action) {
        case 'delete':
        case 'restore':
          db.run('UPDATE runs SET deleted = ? WHERE id = ?', [event.action === 'delete' ? 1 : 0, runId]);
          return undefined;
        case 'pin':
          db.run('INSERT OR REPLACE INTO tags (run_id, key, value) VALUES (?, ?, ?)', [runId, RUN_PINNED_TAG, 'true']);
          return undefined;
        case 'unpin':
          db.run('DELETE FROM tags WHERE run_id = ? AND key = ?', [runId, RUN_PINNED_TAG]);
          return undefined;
        case 'remove_tag':
          db.run('DELETE FROM tags WHERE run_id = ? AND key = ?', [runId, event.key ?? '']);
          return undefined;
      }
      return undefined;
    case 'git':
      db.run(
        `INSERT OR REPLACE INTO git_state (run_id, commit_sha, branch, remote, dirty, patch, untracked)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [
          runId,
          event.commit,
          event.branch ?? null,
          event.remote ?? null,
          event.dirty ? 1 : 0,
          event.patch,
          JSON.stringify(event.untracked),
        ],
      );
      return undefined;
  }
}

/**
 * Keeps a chunk's refused lines and how far its journal has been read. Called inside the chunk's
 * transaction, so the database never claims events it does not hold.
 */
export function recordProgress(db: Db, journal: string, chunk: JournalChunk, rejected: readonly Rejection[]): void {
  for (const r of rejected) {
    db.run('INSERT OR REPLACE INTO rejected_events (run_id, line, reason) VALUES (?, ?, ?)', [
      r.runId,
      r.line,
      r.reason,
    ]);
  }
  // An upsert: the row's generation and file identity (journalSync.ts) stay as they are.
  db.run(
    'INSERT INTO journals (run_id, offset, line) VALUES (?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET offset = excluded.offset, line = excluded.line',
    [journal, chunk.nextOffset, chunk.nextLine],
  );
}
