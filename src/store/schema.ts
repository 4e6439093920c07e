import type { Db } from './sqlite';

/**
 * The store's SQLite schema and its forward migrations. `SCHEMA_VERSION` is the version this build
 * writes; `MIGRATIONS[n]` takes a database from version n to n + 1. A database whose version is
 * newer than `SCHEMA_VERSION` was written by a newer Runlog and is never touched.
 *
 * The version lives in SQLite's `PRAGMA user_version`.
 *
 * Metric points are most of the data, so they are not one row per point: each (run, key) is a
 * series whose points live in chunks — columnar, compressed blobs of up to CHUNK_POINTS points with
 * per-chunk summaries (count, step/time range, min, max, last) that answer most queries unread.
 * Since version 6 a full chunk's blocks and data live in its run's chunk file (chunkFiles.ts) and
 * its row keeps where; the database holds the index, not the points.
 */

export const SCHEMA_VERSION = 8;

const V1 = `
-- Facts about the database itself, e.g. which Runlog wrote it (for the "newer version" message).
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE experiments (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  experiment_id INTEGER NOT NULL REFERENCES experiments(id),
  status TEXT NOT NULL,
  start_time INTEGER NOT NULL,
  end_time INTEGER,
  command TEXT,
  cwd TEXT,
  entry_point TEXT,
  source TEXT,
  exit_code INTEGER,
  error TEXT,
  user TEXT,
  parent_run_id TEXT,
  -- The process the run depends on and its host: a RUNNING run whose process is gone was interrupted.
  pid INTEGER,
  host TEXT,
  deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_by_experiment ON runs(experiment_id, start_time);

CREATE TABLE params (
  run_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX params_by_key ON params(key, value);

CREATE TABLE tags (
  run_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

-- One row per (run, metric key): the series' running summary.
CREATE TABLE metric_series (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  key TEXT NOT NULL,
  count INTEGER NOT NULL,
  last REAL,
  last_step INTEGER NOT NULL,
  last_time INTEGER NOT NULL,
  min REAL,
  max REAL,
  UNIQUE (run_id, key)
);
CREATE INDEX metric_series_by_key ON metric_series(key);

-- Points of a series in chunks, in arrival order by seq; data is the encoded columns
-- (src/store/chunkCodec.ts); the ranges let a query skip chunks, min/max/last summarise values.
CREATE TABLE metric_chunks (
  series_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  count INTEGER NOT NULL,
  min_step INTEGER NOT NULL,
  max_step INTEGER NOT NULL,
  min_time INTEGER NOT NULL,
  max_time INTEGER NOT NULL,
  min REAL,
  max REAL,
  last REAL,
  -- 1 when steps and times never decrease within the chunk: then its block summaries can stand in
  -- for its points when a chart is zoomed out.
  ordered INTEGER NOT NULL,
  blocks BLOB NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (series_id, seq)
) WITHOUT ROWID;

CREATE TABLE git_state (
  run_id TEXT PRIMARY KEY,
  commit_sha TEXT NOT NULL,
  branch TEXT,
  remote TEXT,
  dirty INTEGER NOT NULL,
  patch TEXT NOT NULL,
  untracked TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE artifacts (
  run_id TEXT NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  PRIMARY KEY (run_id, path)
) WITHOUT ROWID;

-- Models the runs logged (a folder of artifacts with an MLmodel manifest); files as JSON.
CREATE TABLE models (
  run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  flavor TEXT NOT NULL,
  uuid TEXT NOT NULL,
  created INTEGER NOT NULL,
  signature TEXT,
  files TEXT NOT NULL,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;

-- The model registry (its journal is registry/events.jsonl): named models, numbered versions
-- pointing at a run's model, and aliases that each point at one version.
CREATE TABLE registered_models (
  name TEXT PRIMARY KEY,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  description TEXT
) WITHOUT ROWID;

CREATE TABLE model_versions (
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  run_id TEXT,
  source TEXT,
  created INTEGER NOT NULL,
  description TEXT,
  deleted INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (model, version)
) WITHOUT ROWID;

CREATE TABLE model_aliases (
  model TEXT NOT NULL,
  alias TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (model, alias)
) WITHOUT ROWID;

CREATE TABLE inputs (
  run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  path TEXT NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY (run_id, name, path)
) WITHOUT ROWID;
CREATE INDEX inputs_by_digest ON inputs(digest);

-- How far each run's journal has been ingested: the database replays the rest on open.
CREATE TABLE journals (
  run_id TEXT PRIMARY KEY,
  offset INTEGER NOT NULL,
  line INTEGER NOT NULL
) WITHOUT ROWID;

-- Journal lines the store refused (malformed, or a param changing value), kept so nothing is lost silently.
CREATE TABLE rejected_events (
  run_id TEXT NOT NULL,
  line INTEGER NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (run_id, line)
) WITHOUT ROWID;

INSERT INTO experiments (id, name, created) VALUES (0, 'Default', 0);
`;

// The editor asks about the runs of one script (hovers, inline values, the summary lens) and about
// the latest runs of the store: src/store/insightQueries.ts.
const V2 = `
CREATE INDEX runs_by_source ON runs(source, start_time);
CREATE INDEX runs_by_start ON runs(start_time);
`;

// The Python environment of each run (journal format 2's environment event), and the shape and
// columns of in-memory training data that autolog records as an input.
const V3 = `
CREATE TABLE environments (
  run_id TEXT PRIMARY KEY,
  recorded INTEGER NOT NULL,
  python_version TEXT NOT NULL,
  python_implementation TEXT,
  executable TEXT,
  platform TEXT,
  system TEXT,
  machine TEXT,
  -- JSON object: normalized distribution name -> version.
  packages TEXT NOT NULL,
  -- JSON: {driver_version?, cuda_version?, devices: [{name, memory_total_megabytes?}]}, or NULL.
  gpu TEXT
) WITHOUT ROWID;
ALTER TABLE inputs ADD COLUMN shape TEXT;
ALTER TABLE inputs ADD COLUMN columns TEXT;

-- A journal in which a Runlog of format 1 refused lines of a type it did not know (the environment
-- event of a newer Python client) is read again from its start, so those lines now count.
CREATE TEMP TABLE reread AS
  SELECT DISTINCT run_id FROM rejected_events WHERE reason LIKE 'unknown event type%' AND run_id NOT LIKE '@%';
DELETE FROM metric_chunks WHERE series_id IN (SELECT id FROM metric_series WHERE run_id IN (SELECT run_id FROM reread));
DELETE FROM metric_series WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM params WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM tags WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM artifacts WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM inputs WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM git_state WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM models WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM rejected_events WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM journals WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM runs WHERE id IN (SELECT run_id FROM reread);
DROP TABLE reread;
`;

// Journal format 3: MLflow 3's logged models (models/events.jsonl) and what runs say of them, and
// the rest of the registry — tags on models and versions (version tags were kept only in the
// journal until now), stages, versions of logged models, renames.
const V4 = `
CREATE TABLE logged_models (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  -- MLflow's experiment id, as the endpoint gave it.
  experiment_id TEXT NOT NULL,
  model_type TEXT,
  source_run_id TEXT,
  -- PENDING, READY or FAILED.
  status TEXT NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX logged_models_by_run ON logged_models(source_run_id);

CREATE TABLE logged_model_tags (
  model_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_id, key)
) WITHOUT ROWID;

CREATE TABLE logged_model_params (
  model_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_id, key)
) WITHOUT ROWID;

-- A few points per model (what MLflow logs with a model_id): rows, not chunks. NaN is NULL.
CREATE TABLE logged_model_metrics (
  model_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value REAL,
  step INTEGER NOT NULL,
  time INTEGER NOT NULL,
  run_id TEXT,
  dataset_name TEXT,
  dataset_digest TEXT
);
CREATE INDEX logged_model_metrics_by_model ON logged_model_metrics(model_id, key);

CREATE TABLE logged_model_artifacts (
  model_id TEXT NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  PRIMARY KEY (model_id, path)
) WITHOUT ROWID;

-- A run's model_output (step) and model_input (step NULL) events.
CREATE TABLE run_models (
  run_id TEXT NOT NULL,
  model_id TEXT NOT NULL,
  direction TEXT NOT NULL,
  step INTEGER,
  PRIMARY KEY (run_id, model_id, direction)
) WITHOUT ROWID;
CREATE INDEX run_models_by_model ON run_models(model_id);

CREATE TABLE registered_model_tags (
  model TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model, key)
) WITHOUT ROWID;

CREATE TABLE model_version_tags (
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model, version, key)
) WITHOUT ROWID;

ALTER TABLE model_versions ADD COLUMN model_id TEXT;
ALTER TABLE model_versions ADD COLUMN stage TEXT NOT NULL DEFAULT 'None';
ALTER TABLE model_versions ADD COLUMN updated INTEGER;

-- The registry journal is read again from its start, so the version tags it holds reach the tables.
DELETE FROM model_aliases;
DELETE FROM model_versions;
DELETE FROM registered_models;
DELETE FROM rejected_events WHERE run_id = '@registry';
DELETE FROM journals WHERE run_id = '@registry';
`;

// A journal in which a Runlog before format 4 refused batched metric lines (a "metrics" line's "ts"
// is a list: docs/JOURNAL.md) is read again from its start, so their points now count.
const V5 = `
CREATE TEMP TABLE reread AS
  SELECT DISTINCT run_id FROM rejected_events WHERE reason LIKE '"ts" must be a number%' AND run_id NOT LIKE '@%';
DELETE FROM metric_chunks WHERE series_id IN (SELECT id FROM metric_series WHERE run_id IN (SELECT run_id FROM reread));
DELETE FROM metric_series WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM params WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM tags WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM artifacts WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM inputs WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM git_state WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM models WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM environments WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM run_models WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM rejected_events WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM journals WHERE run_id IN (SELECT run_id FROM reread);
DELETE FROM runs WHERE id IN (SELECT run_id FROM reread);
DROP TABLE reread;
`;

// Full chunks move to the runs' chunk files (chunkFiles.ts): a row whose file_offset is set keeps
// empty blocks and data, which are at file_offset in its run's file (blocks, then data_size bytes of
// data), and coarse blocks. Rows written before stay as they are (no coarse blocks) and are read as before.
const V6 = `
ALTER TABLE metric_chunks ADD COLUMN file_offset INTEGER;
ALTER TABLE metric_chunks ADD COLUMN data_size INTEGER;
-- Summaries of 1024-point blocks (chunkCodec.ts, COARSE_POINTS), for charts of very long series.
ALTER TABLE metric_chunks ADD COLUMN coarse BLOB;
-- Each run's chunk file, and how many of its bytes the rows above point into (its vouched size).
CREATE TABLE chunk_files (
  run_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  size INTEGER NOT NULL
) WITHOUT ROWID;
`;

// A journal can be replaced by its compaction (compaction.ts): each row keeps the generation the
// journal's first line names ('' for one never compacted) and the file's identity (device:inode) when
// it was read, so a database that read another file than the one there now notices and reads the run
// again instead of reading the new file at the old offsets.
const V7 = `
ALTER TABLE journals ADD COLUMN generation TEXT NOT NULL DEFAULT '';
ALTER TABLE journals ADD COLUMN file_id TEXT;
-- The offset at which compacting the journal was found not worth it: not read for it again until it grows.
ALTER TABLE journals ADD COLUMN compact_skip INTEGER;
-- Set when the chunk's points are the batched line of its run's compacted journal at journal_offset
-- (journal_length bytes with its newline): its chunk file keeps only its block summaries at file_offset,
-- so a sealed run's points are on disk once.
ALTER TABLE metric_chunks ADD COLUMN journal_offset INTEGER;
ALTER TABLE metric_chunks ADD COLUMN journal_length INTEGER;
`;

// Journal format 5 (pointsFile.ts): a journal in which a Runlog of format 4 refused the lines naming a
// compacted run's points file (they have no "value") is read again from its start: its row is made to
// name a file and generation no journal has, so the next sync forgets the run and reads it whole
// (journalSync.ts), as it does for a journal replaced since it was read.
const V8 = `
UPDATE journals SET file_id = 'format 5', generation = 'format 5'
  WHERE run_id IN (SELECT DISTINCT run_id FROM rejected_events
                   WHERE reason LIKE 'metrics: "value" must be base64 text%' AND run_id NOT LIKE '@%');
`;

/** MIGRATIONS[n] upgrades version n to n + 1; version 0 is an empty database. */
export const MIGRATIONS: readonly string[] = [V1, V2, V3, V4, V5, V6, V7, V8];

export class NewerStoreError extends Error {
  constructor(
    readonly found: number,
    readonly writtenBy: string | undefined,
  ) {
    super(
      `This run store was written by a newer Runlog${writtenBy ? ` (${writtenBy})` : ''} (schema version ${found}; this Runlog reads up to ${SCHEMA_VERSION}). Update Runlog to open it; nothing was changed.`,
    );
    this.name = 'NewerStoreError';
  }
}

interface Versioned {
  user_version: number;
}

/**
 * Brings a database up to `SCHEMA_VERSION`, one migration per transaction. A database from a newer
 * Runlog throws `NewerStoreError` before anything is written.
 */
export function migrate(db: Db, writtenBy: string): void {
  const version = db.get<Versioned>('PRAGMA user_version')?.user_version ?? 0;
  if (version > SCHEMA_VERSION) {
    let by: string | undefined;
    try {
      by = db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'written_by'")?.value;
    } catch {
      by = undefined;
    }
    throw new NewerStoreError(version, by);
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
  db.run("INSERT OR REPLACE INTO meta (key, value) VALUES ('written_by', ?)", [writtenBy]);
}
