/**
 * How the command line names a run: its id, a unique prefix of its id (6 characters or more), its
 * name (the newest run with that name), `latest` (the newest run, after `--filter` when given), or
 * a `models:/` URI (the run the model version came from). Every lookup is a store query in the
 * store's own filter language, so a name means what the Runs view's filter would find.
 */
import type { RunStore } from '../store/runStore';
import type { ListRunsQuery, MetricSummary, RegisteredModel, RunDetails, RunPage, RunRecord } from '../store/types';
import { CliError, EXIT, missing } from './errors';
import type { ResolvedVersion } from './modelUris';
import { isModelUri, resolveModelUri } from './modelUris';

/**
 * What the CLI reads of a store: the store's own queries (`RunStore.query`), nothing of its own;
 * the per-run answers as Maps, and `sync` to read what another process wrote since.
 */
export interface StoreReads {
  listRuns(query: ListRunsQuery): RunPage;
  getRun(runId: string): RunDetails | undefined;
  registeredModels(): RegisteredModel[];
  metricSummaries(runIds: readonly string[]): Map<string, MetricSummary[]>;
  params(runIds: readonly string[]): Map<string, Record<string, string>>;
  extremeSteps(runId: string): [string, { minStep: number | null; maxStep: number | null }][];
  sync(): Promise<void>;
}

export function storeReads(store: RunStore): StoreReads {
  return {
    listRuns: (query) => store.query('listRuns', query),
    getRun: (runId) => store.query('getRun', runId),
    registeredModels: () => store.query('registeredModels'),
    metricSummaries: (runIds) => new Map(store.query('metricSummaries', runIds)),
    params: (runIds) => new Map(store.query('params', runIds)),
    extremeSteps: (runId) => store.query('extremeSteps', runId),
    sync: async () => {
      await store.syncJournals();
    },
  };
}

export const MIN_PREFIX = 6;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export interface NamedRun {
  readonly run: RunRecord;
  /** The model version when the run was named by a `models:/` URI. */
  readonly model?: ResolvedVersion;
}

/** A string as a filter literal: backslashes and quotes escaped, everything else as written. */
export function filterString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The newest run that matches a filter, or undefined. */
export function newestRun(store: StoreReads, filter?: string): RunRecord | undefined {
  return store.listRuns({ ...(filter ? { filter } : {}), sort: { key: 'start_time', descending: true }, limit: 1 })
    .runs[0];
}

export function resolveRun(store: StoreReads, text: string, filter?: string): NamedRun {
  if (text === 'latest') {
    const run = newestRun(store, filter);
    if (!run) throw missing(filter ? `no run matches the filter ${filter}` : 'the store has no runs yet');
    return { run };
  }
  if (isModelUri(text)) {
    const model = resolveModelUri(store.registeredModels(), text);
    const runId = model.version.runId;
    const run = runId ? store.listRuns({ runIds: [runId], deleted: 'all', limit: 1 }).runs[0] : undefined;
    if (!run) {
      throw missing(
        `${text} is version ${model.version.version} of "${model.model.name}", whose run ${runId ?? '(none recorded)'} is not in the store`,
      );
    }
    return { run, model };
  }
  if (text.trim() === '') throw new CliError('a run name is empty', EXIT.usage);
  const exact = RUN_ID.test(text) ? store.listRuns({ runIds: [text], deleted: 'all', limit: 1 }).runs[0] : undefined;
  if (exact) return { run: exact };
  const byName = newestRun(store, `attributes.run_name = ${filterString(text)}`);
  if (byName) return { run: byName };
  if (RUN_ID.test(text) && text.length >= MIN_PREFIX) {
    // LIKE's own wildcards are escaped; run ids hold no quote or backslash (RUN_ID).
    const pattern = `${text.replace(/[%_]/g, (c) => `\\${c}`)}%`;
    const { runs, total } = store.listRuns({
      filter: `attributes.run_id LIKE '${pattern}'`,
      deleted: 'all',
      sort: { key: 'start_time', descending: true },
      limit: 5,
    });
    if (total === 1 && runs[0]) return { run: runs[0] };
    if (total > 1) {
      const listed = runs.map((r) => `${r.id} (${r.name})`).join(', ');
      throw new CliError(
        `"${text}" is the start of ${total} run ids: ${listed}${total > runs.length ? ', …' : ''}; give more of the id`,
        EXIT.usage,
      );
    }
  }
  const hint =
    /^[0-9a-f]+$/i.test(text) && text.length < MIN_PREFIX
      ? ` (an id prefix needs ${MIN_PREFIX} characters or more)`
      : '';
  throw missing(`no run "${text}": no run has that id or name${hint}`);
}
