import type { PointColumns } from '../store/chunkCodec';
import type { Experiment, ListRunsQuery, RegisteredModel, RunDetails, RunPage } from '../store/types';
import type { StoreCalls, StoreMethod } from '../store/storeProtocol';
import type { QueryArgs, QueryName, QueryResult } from '../store/storeQueries';

/**
 * What the endpoint reads from the store. Writes never go through here: they are journal lines.
 * In the extension host it is the store worker (`StoreClient`), so queries never run on the host's
 * event loop; standalone (`runlog serve`) the `StoreService` the process runs; in tests and benchmarks
 * a `RunStore` the process opened itself (test/support/storeReads.ts).
 */
export interface StoreReads {
  /** Reads the journals now, so a read sees what the endpoint just appended. */
  sync(): Promise<unknown>;
  getRun(runId: string): Promise<RunDetails | undefined>;
  listRuns(query: ListRunsQuery): Promise<RunPage>;
  experiments(): Promise<Experiment[]>;
  series(runId: string, key: string): Promise<PointColumns>;
  registeredModels(): Promise<RegisteredModel[]>;
  /** Any other query of the store (storeQueries.ts), by name. */
  query<K extends QueryName>(name: K, ...args: QueryArgs<K>): Promise<QueryResult<K>>;
}

/** Reads through StoreApi calls: the host's `StoreClient`, or a `StoreService` in this process. */
export function readsFromClient(client: StoreCalls): StoreReads {
  return {
    sync: () => client.call('sync'),
    getRun: (runId) => client.call('getRun', runId),
    listRuns: (query) => client.call('listRuns', query),
    experiments: () => client.call('experiments'),
    series: (runId, key) => client.call('series', runId, key, 'step'),
    registeredModels: () => client.call('registeredModels'),
    query: <K extends QueryName>(name: K, ...args: QueryArgs<K>) => {
      // A query's StoreApi method takes and answers exactly its QueryArgs and QueryResult; TypeScript
      // cannot follow K through StoreApi's mapped type.
      const call = client.call.bind(client) as (method: StoreMethod, ...rest: unknown[]) => Promise<unknown>;
      return call(name, ...args) as Promise<QueryResult<K>>;
    },
  };
}
