// A store client for command tests: it answers `getRun`, `listRuns` and `status` from the runs it is
// given, counts `sync`s, and keeps its folder on disk so commands that write journals can.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoreClient } from '../../src/store/storeClient';
import type { ListRunsQuery, RunDetails } from '../../src/store/types';

export interface FakeStore {
  readonly client: StoreClient;
  readonly dir: string;
  /** How many times a command asked the store to read its journals now. */
  readonly syncs: () => number;
}

/** Writes a journal for each run under `<dir>/runs/<id>/` and answers for them. */
export async function fakeStore(dir: string, runs: readonly RunDetails[]): Promise<FakeStore> {
  for (const run of runs) {
    await mkdir(join(dir, 'runs', run.id), { recursive: true });
    const start = { t: 'run_start', ts: run.startTime, run_id: run.id, name: run.name, experiment: run.experiment };
    await writeFile(join(dir, 'runs', run.id, 'events.jsonl'), `${JSON.stringify(start)}\n`);
  }
  let syncs = 0;
  const call = (method: string, ...args: unknown[]): Promise<unknown> => {
    switch (method) {
      case 'getRun':
        return Promise.resolve(runs.find((run) => run.id === args[0]));
      case 'listRuns': {
        const query = args[0] as ListRunsQuery;
        const found = runs
          .filter((run) => (query.deleted === 'deleted' ? run.deleted : !run.deleted))
          .filter((run) => !query.statuses || query.statuses.includes(run.status))
          .sort((a, b) => b.startTime - a.startTime);
        return Promise.resolve({ runs: found, total: found.length });
      }
      case 'metricSummaries':
        return Promise.resolve([]);
      case 'status':
        return Promise.resolve({ dir });
      case 'sync':
        syncs++;
        return Promise.resolve([]);
      default:
        return Promise.reject(new Error(`the fake store does not answer ${method}`));
    }
  };
  return { client: { call } as unknown as StoreClient, dir, syncs: () => syncs };
}
