// How a question about runs becomes SQL: the columns of a run row, the WHERE of a run query and its
// ORDER BY. Values always travel as parameters; the only names that reach the SQL text are fixed here.
import type { RunStatus } from './events';
import { compileFilter } from './filterCompile';
import { parseFilter } from './filter';
import { RUN_PINNED_TAG } from './ingest';
import type { SqlValue } from './sqlite';
import type { ListRunsQuery, RunGrouping, RunRecord, RunSort } from './types';

/** A row of `RUN_COLUMNS`. */
export interface RunRow {
  id: string;
  name: string;
  experiment_id: number;
  experiment: string;
  status: RunStatus;
  start_time: number;
  end_time: number | null;
  command: string | null;
  cwd: string | null;
  entry_point: string | null;
  source: string | null;
  exit_code: number | null;
  error: string | null;
  user: string | null;
  parent_run_id: string | null;
  deleted: number;
  pinned: number;
  git_commit: string | null;
  git_branch: string | null;
  git_dirty: number | null;
}

/** A run's columns, from `runs r JOIN experiments e ON e.id = r.experiment_id`. */
export const RUN_COLUMNS = `r.id, r.name, r.experiment_id, e.name AS experiment, r.status, r.start_time, r.end_time, r.command,
  r.cwd, r.entry_point, r.source, r.exit_code, r.error, r.user, r.parent_run_id, r.deleted,
  EXISTS (SELECT 1 FROM tags pin WHERE pin.run_id = r.id AND pin.key = '${RUN_PINNED_TAG}') AS pinned,
  (SELECT g.commit_sha FROM git_state g WHERE g.run_id = r.id) AS git_commit,
  (SELECT g.branch FROM git_state g WHERE g.run_id = r.id) AS git_branch,
  (SELECT g.dirty FROM git_state g WHERE g.run_id = r.id) AS git_dirty`;

/** The SQL value a run is grouped by, for `runGroups` and `ListRunsQuery.group`. */
export const GROUP_VALUE: Readonly<Record<RunGrouping, string>> = {
  branch: '(SELECT gs.branch FROM git_state gs WHERE gs.run_id = r.id)',
  commit: '(SELECT gs.commit_sha FROM git_state gs WHERE gs.run_id = r.id)',
  status: 'r.status',
};

export function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    name: row.name,
    experimentId: row.experiment_id,
    experiment: row.experiment,
    status: row.status,
    startTime: row.start_time,
    endTime: row.end_time,
    command: row.command,
    cwd: row.cwd,
    entryPoint: row.entry_point,
    source: row.source,
    exitCode: row.exit_code,
    error: row.error,
    user: row.user,
    parentRunId: row.parent_run_id,
    deleted: row.deleted !== 0,
    pinned: row.pinned !== 0,
    git:
      row.git_commit === null
        ? null
        : { commit: row.git_commit, branch: row.git_branch, dirty: row.git_dirty !== null && row.git_dirty !== 0 },
  };
}

/** The WHERE clause of a run query, without its order and page. */
export function runConditions(query: Omit<ListRunsQuery, 'sort' | 'offset' | 'limit'>): {
  whereSql: string;
  params: SqlValue[];
} {
  const where: string[] = [];
  const params: SqlValue[] = [];
  const list = (values: readonly SqlValue[]): string => values.map(() => '?').join(', ');
  const deleted = query.deleted ?? 'active';
  if (deleted !== 'all') where.push(deleted === 'active' ? 'r.deleted = 0' : 'r.deleted = 1');
  if (query.experimentIds && query.experimentIds.length > 0) {
    where.push(`r.experiment_id IN (${list(query.experimentIds)})`);
    params.push(...query.experimentIds);
  }
  if (query.runIds) {
    where.push(`r.id IN (${list(query.runIds)})`);
    params.push(...query.runIds);
  }
  if (query.statuses) {
    where.push(`r.status IN (${list(query.statuses)})`);
    params.push(...query.statuses);
  }
  if (query.group) {
    where.push(`${GROUP_VALUE[query.group.by]} IS ?`);
    params.push(query.group.value);
  }
  if (query.filter) {
    const compiled = compileFilter(parseFilter(query.filter), { now: Date.now() });
    where.push(compiled.sql);
    params.push(...compiled.params);
  }
  return { whereSql: where.length > 0 ? `WHERE ${where.join(' AND ')}` : '', params };
}

/** The ORDER BY of several sorts, each metric or param through a join of its own. */
export function sortClauses(sorts: readonly (RunSort | undefined)[]): {
  join: string;
  order: string;
  params: SqlValue[];
} {
  const parts = sorts.map((sort, i) => sortClause(sort, i));
  return {
    join: parts.map((p) => p.join).join(' '),
    order: parts.map((p) => p.order).join(', '),
    params: parts.flatMap((p) => p.params),
  };
}

function sortClause(sort: RunSort | undefined, index: number): { join: string; order: string; params: SqlValue[] } {
  const direction = sort?.descending === false ? 'ASC' : 'DESC';
  const key = sort?.key ?? 'start_time';
  if (key.startsWith('metrics.')) {
    // The value arrives from another thread: only these three column names reach the SQL.
    const m = `sort_m${index}`;
    const column = sort?.value === 'min' ? `${m}.min` : sort?.value === 'max' ? `${m}.max` : `${m}.last`;
    return {
      join: `LEFT JOIN metric_series ${m} ON ${m}.run_id = r.id AND ${m}.key = ?`,
      order: `${column} IS NULL, ${column} ${direction}`,
      params: [key.slice('metrics.'.length)],
    };
  }
  if (key.startsWith('tags.')) {
    const t = `sort_t${index}`;
    return {
      join: `LEFT JOIN tags ${t} ON ${t}.run_id = r.id AND ${t}.key = ?`,
      order: `${t}.value IS NULL, ${t}.value ${direction}`,
      params: [key.slice('tags.'.length)],
    };
  }
  if (key.startsWith('params.')) {
    const p = `sort_p${index}`;
    return {
      join: `LEFT JOIN params ${p} ON ${p}.run_id = r.id AND ${p}.key = ?`,
      order: `${p}.value IS NULL, CAST(${p}.value AS REAL) ${direction}, ${p}.value ${direction}`,
      params: [key.slice('params.'.length)],
    };
  }
  if (key.startsWith('git_')) {
    // A run without git state sorts last either way, as a missing metric does.
    const g = `sort_g${index}`;
    const column = key === 'git_commit' ? `${g}.commit_sha` : key === 'git_branch' ? `${g}.branch` : `${g}.dirty`;
    return {
      join: `LEFT JOIN git_state ${g} ON ${g}.run_id = r.id`,
      order: `${column} IS NULL, ${column} ${direction}`,
      params: [],
    };
  }
  const column =
    key === 'name'
      ? 'r.name COLLATE NOCASE'
      : key === 'status'
        ? 'r.status'
        : key === 'experiment'
          ? '(SELECT se.name FROM experiments se WHERE se.id = r.experiment_id) COLLATE NOCASE'
          : key === 'end_time'
            ? `r.end_time IS NULL, r.end_time`
            : key === 'duration'
              ? `(COALESCE(r.end_time, ${Date.now()}) - r.start_time)`
              : 'r.start_time';
  return { join: '', order: `${column} ${direction}`, params: [] };
}

/**
 * The common table expressions of a query that shows runs under their parents (the Runs view):
 * `matched` (the runs `whereSql` selects over `runs r`, with their parent) and `nested` (those of
 * them shown under their parent: the parent is matched too, and the run is in no cycle of parents,
 * which would hide every run in it). Everything else matched is top-level. The runs table lays out
 * its rows the same way in tableOrder.ts, where a group must match too.
 */
export function nestingCtes(whereSql: string): string {
  return `WITH RECURSIVE
  matched AS MATERIALIZED (SELECT r.id, r.parent_run_id AS parent FROM runs r ${whereSql}),
  linked AS MATERIALIZED (SELECT m.id, m.parent FROM matched m WHERE m.parent IN (SELECT id FROM matched)),
  up(id, anc, n) AS (SELECT id, parent, 1 FROM linked
    UNION ALL SELECT up.id, l.parent, up.n + 1 FROM up JOIN linked l ON l.id = up.anc WHERE up.anc != up.id AND up.n < 64),
  nested AS MATERIALIZED (SELECT id, parent FROM linked WHERE id NOT IN (SELECT id FROM up WHERE anc = id))`;
}
