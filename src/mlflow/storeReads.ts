import type { PointColumns } from '../store/chunkCodec';
import type { RunStore } from '../store/runStore';
import type { Experiment, ListRunsQuery, RegisteredModel, RunDetails, RunPage } from '../store/types';
import type { StoreClient } from '../store/storeClient';
import type { StoreApi } from '../store/storeProtocol';

/**
 * What the endpoint reads from the store. Writes never go through here: they are journal lines.
 * In the extension host it is the store worker (`StoreClient`), so queries never run on the host's
 * event loop; standalone (`runlog serve`, tests) it is a store the process opened itself.
 */
export interface StoreReads {
  /** Reads the journals now, so a read sees what the endpoint just appended. */
  sync(): Promise<unknown>;
  getRun(runId: string): Promise<RunDetails | undefined>;
  listRuns(query: ListRunsQuery): Promise<RunPage>;
  experiments(): Promise<Experiment[]>;
  series(runId: string, key: string): Promise<PointColumns>;
  registeredModels(): Promise<RegisteredModel[]>;
}

export function readsFromClient(client: StoreClient): StoreReads {
  return {
    sync: () => client.call('sync'),
    getRun: (runId) => client.call('getRun', runId),
    listRuns: (query) => client.call('listRuns', query),
    experiments: () => client.call('experiments'),
    series: (runId, key) => client.call('series', runId, key, 'step'),
    registeredModels: () => client.call('registeredModels'),
  };
}

/** A store in this process: a `RunStore`, or the `StoreService` that holds one with its lock. */
export function readsFromStore(store: RunStore | StoreApi): StoreReads {
  const sync = 'syncJournals' in store ? () => store.syncJournals() : () => store.sync();
  return {
    sync,
    getRun: (runId) => Promise.resolve(store.getRun(runId)),
    listRuns: (query) => Promise.resolve(store.listRuns(query)),
    experiments: () => Promise.resolve(store.experiments()),
    series: (runId, key) => Promise.resolve(store.series(runId, key, 'step')),
    registeredModels: () => Promise.resolve(store.registeredModels()),
  };
}
