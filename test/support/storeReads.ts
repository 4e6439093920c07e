import type { StoreReads } from '../../src/mlflow/storeReads';
import type { RunStore } from '../../src/store/runStore';

/** The endpoint's reads from a `RunStore` this process opened (tests and benchmarks; Runlog reads through StoreApi). */
export function readsFromStore(store: RunStore): StoreReads {
  return {
    sync: () => store.syncJournals(),
    getRun: (runId) => Promise.resolve(store.query('getRun', runId)),
    listRuns: (query) => Promise.resolve(store.query('listRuns', query)),
    experiments: () => Promise.resolve(store.query('experiments')),
    series: (runId, key) => Promise.resolve(store.query('series', runId, key, 'step')),
    registeredModels: () => Promise.resolve(store.query('registeredModels')),
    query: (name, ...args) => Promise.resolve(store.query(name, ...args)),
  };
}
