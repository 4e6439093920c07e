// Every question the store answers, by name: the queries of each room, as one table. A query is a
// function of the database and its arguments, written once in the room of what it serves; from this
// table come the host's typed `StoreClient.call(name, …args)` (StoreApi, storeProtocol.ts), the
// worker's forwarding (StoreService.call) and `RunStore.query(name, …args)` in this process.
import { insightQueries } from './insightQueries';
import { mediaQueries } from './mediaQueries';
import { metricQueries } from './metricQueries';
import { registryQueries } from './registryQueries';
import { runQueries } from './runQueries';
import type { Db } from './sqlite';
import { tableQueries } from './tableQueries';

/** The rooms' tables in one; no two rooms share a name (storeQueries.test.ts checks). */
export const STORE_QUERIES = {
  ...runQueries,
  ...metricQueries,
  ...insightQueries,
  ...registryQueries,
  ...mediaQueries,
  ...tableQueries,
};

type Queries = typeof STORE_QUERIES;
export type QueryName = keyof Queries;
/** A query's arguments, after the database. */
export type QueryArgs<K extends QueryName> = Queries[K] extends (db: Db, ...args: infer A) => unknown ? A : never;
export type QueryResult<K extends QueryName> = ReturnType<Queries[K]>;

/** Whether `name` is a query (an own name of the table, never an inherited one such as "constructor"). */
export function isQueryName(name: unknown): name is QueryName {
  return typeof name === 'string' && Object.hasOwn(STORE_QUERIES, name);
}

/** Answers one query. */
export function runQuery<K extends QueryName>(db: Db, name: K, args: QueryArgs<K>): QueryResult<K> {
  // The table's entry for K takes QueryArgs<K>; TypeScript cannot follow K through the lookup.
  const query = STORE_QUERIES[name] as unknown as (db: Db, ...args: QueryArgs<K>) => QueryResult<K>;
  return query(db, ...args);
}
