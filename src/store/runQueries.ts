// The store's queries about runs: experiments, pages and groups of runs, one run's details, and the
// params and metric summaries of many runs at once. Each is a function of the database and its
// arguments; `runQueries` lists them, and storeQueries.ts makes every one a StoreApi method.
import { runLoggedModels } from './registryQueries';
import type { EnvironmentEvent } from './events';
import { NOTE_TAG } from './ingest';
import { nanFromNull } from './metrics';
import type { SeriesSummaryRow } from './metrics';
import type { RunRow } from './runSql';
import { GROUP_VALUE, RUN_COLUMNS, nestingCtes, runConditions, sortClauses, toRun } from './runSql';
import type { Db, SqlValue } from './sqlite';
import type {
  Experiment,
  GitState,
  LineageChange,
  ListRunsQuery,
  LoggedModel,
  MetricSummary,
  RunDetails,
  RunEnvironment,
  RunGroup,
  RunGrouping,
  RunPage,
} from './types';

/** How many parents up a child run looks for the environment of the process it ran in. */
const ENVIRONMENT_ANCESTORS = 8;

/** Experiments that are not deleted, with how many runs (not in the trash) each has. */
function experiments(db: Db): Experiment[] {
  return db
    .all<{ id: number; name: string; runs: number }>(
      `SELECT e.id, e.name, COUNT(r.id) AS runs FROM experiments e
       LEFT JOIN runs r ON r.experiment_id = e.id AND r.deleted = 0
       WHERE e.deleted = 0 GROUP BY e.id ORDER BY e.name`,
    )
    .map((row) => ({ id: row.id, name: row.name, runCount: row.runs }));
}

/** A page of the runs a query selects, in its order, with how many it selects in all. */
function listRuns(db: Db, query: ListRunsQuery = {}): RunPage {
  const { whereSql, params } = runConditions(query);
  if (query.nesting) return nestedRuns(db, query, query.nesting.parent, whereSql, params);
  const total = db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM runs r ${whereSql}`, params)?.n ?? 0;

  const { join: sortJoin, order, params: sortParams } = sortClauses([query.sort, ...(query.thenBy ?? [])]);
  const pinned = query.pinnedFirst ? 'pinned DESC, ' : '';
  const rows = db.all<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id ${sortJoin}
     ${whereSql} ORDER BY ${pinned}${order}, r.id LIMIT ? OFFSET ?`,
    [...sortParams, ...params, query.limit ?? -1, query.offset ?? 0],
  );
  return { runs: rows.map(toRun), total };
}

/** `listRuns` with runs under their parents: the top-level runs, or one run's children. */
function nestedRuns(
  db: Db,
  query: ListRunsQuery,
  parent: string | null,
  whereSql: string,
  params: SqlValue[],
): RunPage {
  const ctes = nestingCtes(whereSql);
  const scope =
    parent === null
      ? 'r.id IN (SELECT id FROM matched) AND r.id NOT IN (SELECT id FROM nested)'
      : 'r.id IN (SELECT id FROM nested WHERE parent = ?)';
  const scopeParams = parent === null ? [] : [parent];
  const total =
    db.get<{ n: number }>(`${ctes} SELECT COUNT(*) AS n FROM runs r WHERE ${scope}`, [...params, ...scopeParams])?.n ??
    0;
  const { join: sortJoin, order, params: sortParams } = sortClauses([query.sort, ...(query.thenBy ?? [])]);
  const pinned = query.pinnedFirst ? 'pinned DESC, ' : '';
  const rows = db.all<RunRow>(
    `${ctes} SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id ${sortJoin}
     WHERE ${scope} ORDER BY ${pinned}${order}, r.id LIMIT ? OFFSET ?`,
    [...params, ...sortParams, ...scopeParams, query.limit ?? -1, query.offset ?? 0],
  );
  const children = db.all<{ parent: string; n: number }>(
    `${ctes} SELECT parent, COUNT(*) AS n FROM nested WHERE parent IN (SELECT value FROM json_each(?)) GROUP BY parent`,
    [...params, JSON.stringify(rows.map((row) => row.id))],
  );
  return {
    runs: rows.map(toRun),
    total,
    children: Object.fromEntries(children.map((c) => [c.parent, c.n])),
  };
}

/** The branches, commits or statuses of the runs a query selects, with how many runs each has. */
function runGroups(
  db: Db,
  by: RunGrouping,
  query: Omit<ListRunsQuery, 'group' | 'sort' | 'offset' | 'limit'> = {},
): RunGroup[] {
  const { whereSql, params } = runConditions(query);
  const value = GROUP_VALUE[by];
  return db
    .all<{ value: string | null; n: number }>(
      `SELECT ${value} AS value, COUNT(*) AS n FROM runs r ${whereSql} GROUP BY 1
       ORDER BY value IS NULL, ${by === 'commit' ? 'MAX(r.start_time) DESC' : 'value COLLATE NOCASE'}`,
      params,
    )
    .map((row) => ({ value: row.value, runCount: row.n }));
}

/** Everything known about one run: its params, tags, metric summaries, code, files, inputs, models, environment. */
function getRun(db: Db, runId: string): RunDetails | undefined {
  const row = db.get<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?`,
    [runId],
  );
  if (!row) return undefined;
  const pairs = (table: string): Record<string, string> =>
    Object.fromEntries(
      db
        .all<{ key: string; value: string }>(`SELECT key, value FROM ${table} WHERE run_id = ? ORDER BY key`, [runId])
        .map((p) => [p.key, p.value]),
    );
  const git = db.get<{
    commit_sha: string;
    branch: string | null;
    remote: string | null;
    dirty: number;
    patch: string;
    untracked: string;
  }>('SELECT commit_sha, branch, remote, dirty, patch, untracked FROM git_state WHERE run_id = ?', [runId]);
  return {
    ...toRun(row),
    params: pairs('params'),
    tags: pairs('tags'),
    metrics: metricSummaries(db, [runId])[0]?.[1] ?? [],
    git: git
      ? {
          commit: git.commit_sha,
          branch: git.branch,
          remote: git.remote,
          dirty: git.dirty !== 0,
          patch: git.patch,
          untracked: JSON.parse(git.untracked) as GitState['untracked'],
        }
      : null,
    artifacts: db.all('SELECT path, size, sha256 FROM artifacts WHERE run_id = ? ORDER BY path', [runId]),
    inputs: db
      .all<{ name: string; path: string; digest: string; shape: string | null; columns: string | null }>(
        'SELECT name, path, digest, shape, columns FROM inputs WHERE run_id = ? ORDER BY name, path',
        [runId],
      )
      .map(({ shape, columns, ...input }) => ({
        ...input,
        ...(shape ? { shape: JSON.parse(shape) as number[] } : {}),
        ...(columns ? { columns: JSON.parse(columns) as string[] } : {}),
      })),
    rejected: db.all('SELECT line, reason FROM rejected_events WHERE run_id = ? ORDER BY line', [runId]),
    models: db
      .all<{ name: string; flavor: string; uuid: string; created: number; signature: string | null; files: string }>(
        'SELECT name, flavor, uuid, created, signature, files FROM models WHERE run_id = ? ORDER BY name',
        [runId],
      )
      .map((m) => ({ ...m, files: JSON.parse(m.files) as LoggedModel['files'] })),
    environment: environment(db, runId, row.parent_run_id),
    loggedModels: runLoggedModels(db, runId),
  };
}

interface EnvironmentRow {
  run_id: string;
  recorded: number;
  python_version: string;
  python_implementation: string | null;
  executable: string | null;
  platform: string | null;
  system: string | null;
  machine: string | null;
  packages: string;
  gpu: string | null;
}

/**
 * A run's environment: its own `environment` event, else the nearest parent's (a child run logged
 * by the same process records none of its own).
 */
function environment(db: Db, runId: string, parentRunId: string | null): RunEnvironment | null {
  let id: string | null = runId;
  let parent = parentRunId;
  for (let hops = 0; id !== null && hops <= ENVIRONMENT_ANCESTORS; hops++) {
    const row = db.get<EnvironmentRow>('SELECT * FROM environments WHERE run_id = ?', [id]);
    if (row) return toEnvironment(row);
    id = parent;
    parent =
      id === null
        ? null
        : (db.get<{ parent_run_id: string | null }>('SELECT parent_run_id FROM runs WHERE id = ?', [id])
            ?.parent_run_id ?? null);
  }
  return null;
}

function toEnvironment(row: EnvironmentRow): RunEnvironment {
  const gpu = row.gpu ? (JSON.parse(row.gpu) as NonNullable<EnvironmentEvent['gpu']>) : null;
  return {
    runId: row.run_id,
    recorded: row.recorded,
    pythonVersion: row.python_version,
    pythonImplementation: row.python_implementation,
    executable: row.executable,
    platform: row.platform,
    system: row.system,
    machine: row.machine,
    packages: JSON.parse(row.packages) as Record<string, string>,
    gpu: gpu
      ? {
          driverVersion: gpu.driver_version ?? null,
          cudaVersion: gpu.cuda_version ?? null,
          devices: gpu.devices.map((d) => ({ name: d.name, memoryTotalMegabytes: d.memory_total_megabytes ?? null })),
        }
      : null,
  };
}

/** Metric summaries of many runs at once (for a page of the Runs view), by run; runs without metrics are left out. */
function metricSummaries(db: Db, runIds: readonly string[]): [string, MetricSummary[]][] {
  if (runIds.length === 0) return [];
  const result = new Map<string, MetricSummary[]>();
  const rows = db.all<SeriesSummaryRow & { run_id: string }>(
    `SELECT run_id, key, count, last, last_step, last_time, min, max FROM metric_series
     WHERE run_id IN (${runIds.map(() => '?').join(', ')}) ORDER BY run_id, key`,
    [...runIds],
  );
  for (const row of rows) {
    const list = result.get(row.run_id);
    if (list) list.push(toSummary(row));
    else result.set(row.run_id, [toSummary(row)]);
  }
  return [...result];
}

function toSummary(row: SeriesSummaryRow): MetricSummary {
  return {
    key: row.key,
    count: row.count,
    last: nanFromNull(row.last),
    lastStep: row.last_step,
    lastTime: row.last_time,
    min: nanFromNull(row.min),
    max: nanFromNull(row.max),
  };
}

/** Params of many runs at once, by run; runs without params are left out. */
function params(db: Db, runIds: readonly string[]): [string, Record<string, string>][] {
  if (runIds.length === 0) return [];
  const result = new Map<string, Record<string, string>>();
  for (const row of db.all<{ run_id: string; key: string; value: string }>(
    `SELECT run_id, key, value FROM params WHERE run_id IN (${runIds.map(() => '?').join(', ')}) ORDER BY key`,
    [...runIds],
  )) {
    const map = result.get(row.run_id) ?? {};
    map[row.key] = row.value;
    result.set(row.run_id, map);
  }
  return [...result];
}

/** The notes of those of these runs that have one (the tag `mlflow.note.content`). */
function notes(db: Db, runIds: readonly string[]): [string, string][] {
  return tagValues(db, runIds, NOTE_TAG);
}

/** One tag's value on each of these runs that has it (where a pulled run came from, for the Runs view). */
function tagValues(db: Db, runIds: readonly string[], key: string): [string, string][] {
  if (runIds.length === 0) return [];
  return db
    .all<{ run_id: string; value: string }>(
      'SELECT run_id, value FROM tags WHERE key = ? AND run_id IN (SELECT value FROM json_each(?))',
      [key, JSON.stringify(runIds)],
    )
    .map((row) => [row.run_id, row.value]);
}

/** Every metric key (or param key) in use, for columns, sort menus and hovers. */
function keys(db: Db, kind: 'metrics' | 'params'): string[] {
  const table = kind === 'metrics' ? 'metric_series' : 'params';
  return db.all<{ key: string }>(`SELECT DISTINCT key FROM ${table} ORDER BY key`).map((row) => row.key);
}

/**
 * Data lineage of relaunched runs: for each of these runs that reran or reproduced another
 * (tags `runlog.rerun_of`, `reproduces`), the inputs it read whose digest differs from the
 * original's input of the same name. Runs with no such change are left out.
 */
function lineage(db: Db, runIds: readonly string[]): [string, LineageChange][] {
  const result: [string, LineageChange][] = [];
  for (const runId of runIds) {
    const origin = db.get<{ value: string }>(
      "SELECT value FROM tags WHERE run_id = ? AND key IN ('reproduces', 'runlog.rerun_of') ORDER BY key LIMIT 1",
      [runId],
    );
    if (!origin) continue;
    const changed = db.all<{ name: string; path: string; was: string; now: string }>(
      `SELECT n.name, n.path, o.digest AS was, n.digest AS now FROM inputs n
       JOIN inputs o ON o.run_id = ? AND o.name = n.name
       WHERE n.run_id = ? AND o.digest != n.digest ORDER BY n.name`,
      [origin.value, runId],
    );
    if (changed.length > 0) result.push([runId, { original: origin.value, inputs: changed }]);
  }
  return result;
}

/** Runs that are RUNNING or QUEUED and name the process they depend on (reconcile.ts checks it is alive). */
function runsInFlight(db: Db): { id: string; pid: number; host: string | null }[] {
  return db.all(
    "SELECT id, pid, host FROM runs WHERE status IN ('RUNNING', 'QUEUED') AND pid IS NOT NULL AND deleted = 0",
  );
}

/**
 * The datasets the runs of these experiments read (MLflow's `search-datasets`): each name and digest
 * once, with the experiment, the most recently used first, at most `limit`.
 */
function datasetSummaries(
  db: Db,
  experimentIds: readonly number[],
  limit = 1000,
): { experiment: string; name: string; digest: string }[] {
  if (experimentIds.length === 0) return [];
  return db.all<{ experiment: string; name: string; digest: string }>(
    `SELECT e.name AS experiment, i.name AS name, i.digest AS digest FROM inputs i
       JOIN runs r ON r.id = i.run_id JOIN experiments e ON e.id = r.experiment_id
     WHERE r.deleted = 0 AND r.experiment_id IN (${experimentIds.map(() => '?').join(', ')})
     GROUP BY e.name, i.name, i.digest ORDER BY MAX(r.start_time) DESC LIMIT ?`,
    [...experimentIds, limit],
  );
}

export const runQueries = {
  experiments,
  listRuns,
  runGroups,
  getRun,
  metricSummaries,
  params,
  notes,
  tagValues,
  keys,
  lineage,
  runsInFlight,
  datasetSummaries,
};
