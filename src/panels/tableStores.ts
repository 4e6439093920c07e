// The runs table over several stores (a multi-root workspace): each workspace folder's store sorts,
// filters and groups its own runs in SQL, and the table shows them one folder after another, each
// under a group row naming the folder (collapsible like any group). A page of rows, a range of run
// ids and each metric's spread are asked of the stores whose rows they cover. No `vscode` here:
// the panel adapts its StoreFolders, the unit tests fakes.
import type { MetricSpread, TableEntry, TableKeys, TablePage } from '../../shared/runsTable';
import { folderGroupKey } from '../../shared/runsTable';
import type { TableColumns, TableCsvColumns, TableQuery } from '../store/tableQueries';
import type { StoreFolder } from '../workspaceStores';

/** One workspace folder's store, as the table asks it. */
export interface TableSource {
  readonly name: string;
  rows(query: TableQuery, offset: number, limit: number, columns: TableColumns): Promise<TablePage>;
  ids(query: TableQuery, from: number, to: number): Promise<readonly string[]>;
  bests(query: TableQuery, metrics: readonly string[]): Promise<readonly (readonly [string, MetricSpread])[]>;
}

const NO_COLUMNS: TableColumns = { params: [], metrics: [], sparks: [] };

/**
 * A folder's group rows (grouped by experiment, status…) are keyed under its folder's key, so
 * folding FINISHED in one folder leaves the other's: the store is asked with its own keys.
 */
function innerKey(source: TableSource, key: string): string {
  return `${folderGroupKey(source.name)}/${key}`;
}

function queryOf(source: TableSource, query: TableQuery): TableQuery {
  const prefix = innerKey(source, '');
  const collapsed = query.collapsed.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  return { ...query, collapsed };
}

interface Section {
  readonly source: TableSource;
  readonly query: TableQuery;
  /** The row of the folder's group row; its own rows follow it. */
  readonly at: number;
  readonly rows: number;
  readonly runs: number;
  readonly folded: boolean;
}

/** Where each folder's rows are; folders without a run are left out. */
async function sections(sources: readonly TableSource[], query: TableQuery): Promise<Section[]> {
  const queries = sources.map((source) => queryOf(source, query));
  const heads = await Promise.all(sources.map((source, i) => source.rows(queries[i] ?? query, 0, 0, NO_COLUMNS)));
  const collapsed = new Set(query.collapsed);
  let at = 0;
  return sources.flatMap((source, i) => {
    const head = heads[i];
    if (!head || head.runs === 0) return [];
    const folded = collapsed.has(folderGroupKey(source.name));
    const section = { source, query: queries[i] ?? query, at, rows: folded ? 0 : head.total, runs: head.runs, folded };
    at += 1 + section.rows;
    return [section];
  });
}

/** Rows `offset` to `offset + limit` of every folder's table, one after another. */
export async function combinedRows(
  sources: readonly TableSource[],
  query: TableQuery,
  offset: number,
  limit: number,
  columns: TableColumns,
): Promise<TablePage> {
  if (sources.length === 1 && sources[0]) return sources[0].rows(query, offset, limit, columns);
  const parts = await sections(sources, query);
  const end = offset + limit;
  const pages = await Promise.all(
    parts.map(async ({ source, query: own, at, rows, runs, folded }) => {
      const entries: TableEntry[] = [];
      if (at >= offset && at < end) {
        entries.push({
          kind: 'group',
          key: folderGroupKey(source.name),
          value: source.name,
          runs,
          best: null,
          collapsed: folded,
        });
      }
      const from = Math.max(offset, at + 1);
      const to = Math.min(end, at + 1 + rows);
      if (to > from) {
        const page = await source.rows(own, from - at - 1, to - from, columns);
        entries.push(...page.entries.map((e) => (e.kind === 'group' ? { ...e, key: innerKey(source, e.key) } : e)));
      }
      return entries;
    }),
  );
  const last = parts.at(-1);
  return {
    total: last ? last.at + 1 + last.rows : 0,
    runs: parts.reduce((sum, part) => sum + part.runs, 0),
    offset,
    entries: pages.flat(),
  };
}

/** The ids of the runs among rows `from` to `to` of every folder's table. */
export async function combinedIds(
  sources: readonly TableSource[],
  query: TableQuery,
  from: number,
  to: number,
): Promise<readonly string[]> {
  if (sources.length === 1 && sources[0]) return sources[0].ids(query, from, to);
  const parts = await sections(sources, query);
  const ids = await Promise.all(
    parts.map(({ source, query: own, at, rows }) => {
      const lo = Math.max(from, at + 1);
      const hi = Math.min(to, at + 1 + rows);
      return hi > lo ? source.ids(own, lo - at - 1, hi - at - 1) : Promise.resolve([]);
    }),
  );
  return ids.flat();
}

/** Each metric's spread over every folder's runs: the widest of the folders' spreads. */
export async function combinedBests(
  sources: readonly TableSource[],
  query: TableQuery,
  metrics: readonly string[],
): Promise<[string, MetricSpread][]> {
  const all = await Promise.all(sources.map((source) => source.bests(query, metrics)));
  const merged = new Map<string, MetricSpread>();
  const widest = (
    a: readonly [number | null, number | null],
    b: readonly [number | null, number | null],
  ): [number | null, number | null] => [lowest(a[0], b[0]), highest(a[1], b[1])];
  for (const [key, spread] of all.flat()) {
    const seen = merged.get(key);
    merged.set(
      key,
      seen
        ? { last: widest(seen.last, spread.last), min: widest(seen.min, spread.min), max: widest(seen.max, spread.max) }
        : spread,
    );
  }
  return [...merged];
}

function lowest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function highest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/** The folders' stores as the table asks them. */
export function tableSources(folders: readonly StoreFolder[]): TableSource[] {
  return folders.map(({ name, store }) => ({
    name,
    rows: (query, offset, limit, columns) => store.call('tableRows', query, offset, limit, columns),
    ids: (query, from, to) => store.call('tableIds', query, from, to),
    bests: (query, metrics) => store.call('tableBests', query, metrics),
  }));
}

/** Every param, metric and tag key of any of the folders' stores: the columns the table can show. */
export async function combinedKeys(folders: readonly StoreFolder[]): Promise<TableKeys> {
  const all = await Promise.all(folders.map(({ store }) => store.call('tableKeys')));
  const union = (pick: (keys: TableKeys) => readonly string[]): string[] =>
    [...new Set(all.flatMap(pick))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { params: union((k) => k.params), metrics: union((k) => k.metrics), tags: union((k) => k.tags) };
}

/** The CSV of every folder's rows, one folder after another, under one header (with several, each line names its folder). */
export async function combinedCsv(
  folders: readonly StoreFolder[],
  query: TableQuery,
  spec: TableCsvColumns,
): Promise<string> {
  const several = folders.length > 1;
  const parts = await Promise.all(
    folders.map(({ name, store }, i) =>
      store.call('tableCsv', query, several ? { ...spec, folder: name } : spec, i === 0),
    ),
  );
  return parts.join('');
}

/** The values a param takes in any of the folders' stores, the most common first (a quick filter's pick). */
export async function combinedParamValues(
  folders: readonly StoreFolder[],
  key: string,
): Promise<{ value: string; runs: number }[]> {
  const all = await Promise.all(folders.map(({ store }) => store.call('paramValues', key)));
  const runs = new Map<string, number>();
  for (const { value, runs: n } of all.flat()) runs.set(value, (runs.get(value) ?? 0) + n);
  return [...runs]
    .map(([value, n]) => ({ value, runs: n }))
    .sort((a, b) => b.runs - a.runs || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
    .slice(0, 500);
}
