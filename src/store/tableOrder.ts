// The order of the runs table's rows: one SQL query sorts every run the filter selects (each with
// the parent it is shown under and its group's value), another counts the groups; the rows are then
// laid out group by group, each run followed by its children when it is expanded. A scroll asks for
// page after page of the same order, so the last order is kept while the database does not change
// (`Db.generation`) and the same question is asked.
import type { MetricGoal } from '../../shared/metricGoal';
import type { TableEntry, TableGrouping } from '../../shared/runsTable';
import { groupKey } from '../../shared/runsTable';
import { GROUP_VALUE, runConditions, sortClauses } from './runSql';
import type { Db, SqlValue } from './sqlite';
import type { RunSort } from './types';

/** What decides the table's rows and their order (not which columns a page carries). */
export interface TableQuery {
  /** The store's filter language; a bad filter throws FilterError. */
  readonly filter?: string;
  /** The runs in the trash instead of the others. */
  readonly deleted?: boolean;
  /** The first decides; ties go to the next, then to the run id. */
  readonly sorts: readonly RunSort[];
  readonly group?: TableGrouping | null;
  /** The metric whose best value each group row shows. */
  readonly keyMetric?: { readonly key: string; readonly goal: MetricGoal } | null;
  /** Group rows whose runs are hidden, by `groupKey`. */
  readonly collapsed: readonly string[];
  /** Runs whose children follow them; `all` for every parent (the CSV). */
  readonly expanded: readonly string[] | 'all';
}

/** A row of the order: a run by id (its data comes with the page), or a group row whole. */
export type OrderEntry =
  | { readonly kind: 'run'; readonly id: string; readonly depth: number; readonly expanded: boolean }
  | Extract<TableEntry, { kind: 'group' }>;

export interface TableOrder {
  readonly entries: readonly OrderEntry[];
  /** Runs the filter selects. */
  readonly runs: number;
  /** Their ids, in no particular order. */
  readonly all: readonly string[];
  /** The children each run is shown with, in the table's order. */
  readonly children: ReadonlyMap<string, readonly string[]>;
}

/** The value each grouping groups by, as SQL over `runs r`. */
const GROUPINGS = {
  experiment: '(SELECT ge.name FROM experiments ge WHERE ge.id = r.experiment_id)',
  ...GROUP_VALUE,
};

function groupSql(group: TableGrouping): { sql: string; params: SqlValue[] } {
  if (group.startsWith('params.')) {
    return {
      sql: '(SELECT gp.value FROM params gp WHERE gp.run_id = r.id AND gp.key = ?)',
      params: [group.slice('params.'.length)],
    };
  }
  return { sql: GROUPINGS[group as keyof typeof GROUPINGS], params: [] };
}

/** Groups in the order they are shown: commits newest first, params numbers first then text, others A→Z. */
function groupOrder(group: TableGrouping): string {
  if (group === 'commit') return 'value IS NULL, MAX(r.start_time) DESC';
  if (group.startsWith('params.')) {
    return `value IS NULL, CASE WHEN json_valid(value) THEN json_type(value) NOT IN ('integer', 'real') ELSE 1 END,
      CAST(value AS REAL), value COLLATE NOCASE`;
  }
  return 'value IS NULL, value COLLATE NOCASE';
}

const kept = new WeakMap<Db, { readonly question: string; readonly generation: number; readonly order: TableOrder }>();

/** The table's rows in order (kept between calls while the database and the question stay the same). */
export function tableOrder(db: Db, query: TableQuery): TableOrder {
  const question = JSON.stringify(query);
  const last = kept.get(db);
  if (last && last.question === question && last.generation === db.generation) return last.order;
  const order = computeOrder(db, query);
  kept.set(db, { question, generation: db.generation, order });
  return order;
}

function computeOrder(db: Db, query: TableQuery): TableOrder {
  const { whereSql, params } = runConditions({
    ...(query.filter ? { filter: query.filter } : {}),
    deleted: query.deleted ? 'deleted' : 'active',
  });
  const group = query.group ? groupSql(query.group) : { sql: 'NULL', params: [] };
  const sorts = query.sorts.length > 0 ? query.sorts : [undefined];
  const { join, order, params: sortParams } = sortClauses(sorts);
  const sorted = db.get<{ v: string | null }>(
    `SELECT json_group_array(json_array(r.id, r.parent_run_id, ${group.sql}) ORDER BY ${order}, r.id) AS v
     FROM runs r ${join} ${whereSql}`,
    [...group.params, ...sortParams, ...params],
  );
  const rows = JSON.parse(sorted?.v ?? '[]') as [string, string | null, string | number | null][];
  const shownUnder = parents(rows);

  const all: string[] = [];
  const top = new Map<string | null, string[]>();
  const children = new Map<string, string[]>();
  for (const [id, , value] of rows) {
    all.push(id);
    const parent = shownUnder.get(id);
    if (parent === undefined) {
      const gv = value === null ? null : String(value);
      const list = top.get(gv);
      if (list) list.push(id);
      else top.set(gv, [id]);
    } else {
      const list = children.get(parent);
      if (list) list.push(id);
      else children.set(parent, [id]);
    }
  }

  const expanded = query.expanded === 'all' ? undefined : new Set(query.expanded);
  const entries: OrderEntry[] = [];
  const layOut = (roots: readonly string[]): void => {
    // Depth first without recursion: a chain of thousands of nested runs must not exhaust the stack.
    const stack: { id: string; depth: number }[] = roots.map((id) => ({ id, depth: 0 })).reverse();
    while (stack.length > 0) {
      const { id, depth } = stack.pop() as { id: string; depth: number };
      const kids = children.get(id) ?? [];
      const open = kids.length > 0 && (expanded === undefined || expanded.has(id));
      entries.push({ kind: 'run', id, depth, expanded: open });
      if (open) for (let i = kids.length - 1; i >= 0; i--) stack.push({ id: kids[i], depth: depth + 1 });
    }
  };
  if (!query.group) {
    layOut(top.get(null) ?? []);
  } else {
    const collapsed = new Set(query.collapsed);
    for (const g of groups(db, query, query.group, whereSql, params)) {
      const key = groupKey(query.group, g.value);
      const folded = collapsed.has(key);
      entries.push({ kind: 'group', key, value: g.value, runs: g.runs, best: g.best, collapsed: folded });
      if (!folded) layOut(top.get(g.value) ?? []);
    }
  }
  return { entries, runs: all.length, all, children };
}

function groups(
  db: Db,
  query: TableQuery,
  group: TableGrouping,
  whereSql: string,
  params: readonly SqlValue[],
): { value: string | null; runs: number; best: number | null }[] {
  const value = groupSql(group);
  const metric = query.keyMetric;
  const best = metric ? (metric.goal === 'min' ? 'MIN(ms.min)' : 'MAX(ms.max)') : 'NULL';
  const join = metric ? 'LEFT JOIN metric_series ms ON ms.run_id = r.id AND ms.key = ?' : '';
  return db
    .all<{ value: string | number | null; n: number; best: number | null }>(
      `SELECT ${value.sql} AS value, COUNT(*) AS n, ${best} AS best FROM runs r ${join} ${whereSql}
       GROUP BY 1 ORDER BY ${groupOrder(group)}`,
      [...value.params, ...(metric ? [metric.key] : []), ...params],
    )
    .map((row) => ({ value: row.value === null ? null : String(row.value), runs: row.n, best: row.best }));
}

/**
 * The parent each run is shown under: its parent when the query selects the parent too, in the
 * same group, and the run is in no cycle of parents (a cycle would hide every run in it). Runs
 * not in the map are top-level.
 */
function parents(rows: readonly (readonly [string, string | null, string | number | null])[]): Map<string, string> {
  const group = new Map(rows.map(([id, , value]) => [id, value]));
  const linked = new Map<string, string>();
  for (const [id, parent, value] of rows) {
    if (parent !== null && parent !== id && group.has(parent) && group.get(parent) === value) linked.set(id, parent);
  }
  // A run in a cycle reaches itself going up; the others reach a run with no parent shown.
  const cyclic = new Set<string>();
  const settled = new Set<string>();
  for (const start of linked.keys()) {
    const path: string[] = [];
    const onPath = new Set<string>();
    let at: string | undefined = start;
    while (at !== undefined && !settled.has(at) && !onPath.has(at)) {
      path.push(at);
      onPath.add(at);
      at = linked.get(at);
    }
    if (at !== undefined && onPath.has(at)) for (const id of path.slice(path.indexOf(at))) cyclic.add(id);
    for (const id of path) settled.add(id);
  }
  for (const id of cyclic) linked.delete(id);
  return linked;
}
