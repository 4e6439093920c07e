/**
 * Pushing runs of a store to a tracking server (`runlog push`, Push to Server, autoPush): which
 * runs have anything new (one `stat` each, no request for the others), the server's experiments
 * (found by name, created when missing), runs this store pushed before the map knew them (found by
 * their tags, never created twice), then each run (pushRun.ts), parents before their children, a
 * few at a time, and the versions registered from pushed runs. One run's failure is reported with
 * its reason and the others go on; a server that cannot be reached any more ends the push.
 */
import type { RegisteredModel, RunDetails } from '../store/types';
import type { UploadTuning } from './artifactUpload';
import { DEFAULT_UPLOAD } from './artifactUpload';
import type { MlflowHttp } from './mlflowHttp';
import type { RemoteRun } from './mlflowClient';
import { MlflowClient, artifactRoot, tagOf } from './mlflowClient';
import type { RunResult } from './pushRun';
import { findBySourceId, pushNeeded, pushRun } from './pushRun';
import { SyncState, storeId } from './syncState';
import { REMOTE_TAG, SOURCE_ID_TAG, STORE_ID_TAG } from './syncTags';

export interface PushProgress {
  readonly runsDone: number;
  readonly runsTotal: number;
  readonly points: number;
  readonly bytes: number;
  /** The run that just finished, by name. */
  readonly current?: string;
}

export interface PushOptions {
  readonly storeDir: string;
  /** The runs to push, as the store has them. */
  readonly runs: readonly RunDetails[];
  readonly http: MlflowHttp;
  /** Every run goes into this experiment (created when missing) instead of its own. */
  readonly experiment?: string;
  /** The store's registered models: versions of pushed runs are registered on the server too. */
  readonly models?: readonly RegisteredModel[];
  readonly upload?: UploadTuning;
  /** Runs pushed at once (default 4). */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  readonly progress?: (progress: PushProgress) => void;
}

export interface RunLine {
  readonly id: string;
  readonly name: string;
}

export interface PushSummary {
  readonly server: string;
  readonly pushed: readonly (RunLine & { remote: string; points: number; done: boolean })[];
  readonly unchanged: readonly RunLine[];
  readonly skipped: readonly (RunLine & { reason: string })[];
  readonly failed: readonly (RunLine & { reason: string })[];
  readonly warnings: readonly string[];
  /** Versions registered on the server: `name/version`. */
  readonly versions: readonly string[];
  readonly points: number;
  readonly bytes: number;
  readonly requests: number;
  readonly writes: number;
  readonly cancelled: boolean;
}

/** Parents before children: each run after the runs of this push it hangs under. */
export function parentsFirst(runs: readonly RunDetails[]): RunDetails[][] {
  const ids = new Set(runs.map((r) => r.id));
  const levels: RunDetails[][] = [];
  const level = new Map<string, number>();
  const depth = (run: RunDetails, seen: Set<string>): number => {
    const known = level.get(run.id);
    if (known !== undefined) return known;
    const parent =
      run.parentRunId && ids.has(run.parentRunId) && !seen.has(run.parentRunId)
        ? runs.find((r) => r.id === run.parentRunId)
        : undefined;
    const d = parent ? depth(parent, new Set([...seen, run.id])) + 1 : 0;
    level.set(run.id, d);
    return d;
  };
  for (const run of runs) (levels[depth(run, new Set())] ??= []).push(run);
  return levels.filter((l) => l !== undefined);
}

async function inTurn<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (let item = items[next++]; item !== undefined; item = items[next++]) await work(item);
    }),
  );
}

export async function pushRuns(options: PushOptions): Promise<PushSummary> {
  const { http, storeDir, signal } = options;
  const client = new MlflowClient(http);
  const line = (run: RunDetails): RunLine => ({ id: run.id, name: run.name });
  const pushed: (RunLine & { remote: string; points: number; done: boolean })[] = [];
  const unchanged: RunLine[] = [];
  const skipped: (RunLine & { reason: string })[] = [];
  const failed: (RunLine & { reason: string })[] = [];
  const warnings: string[] = [];
  const versions: string[] = [];
  let points = 0;
  let bytes = 0;
  let runsDone = 0;
  const report = (current?: string): void =>
    options.progress?.({ runsDone, runsTotal: options.runs.length, points, bytes, ...(current ? { current } : {}) });

  const store = await storeId(storeDir);
  const state = await SyncState.open(storeDir, http.uri);
  try {
    const candidates: RunDetails[] = [];
    for (const run of options.runs) {
      const origin = run.tags[REMOTE_TAG];
      if (origin !== undefined) {
        skipped.push({ ...line(run), reason: `pulled from ${origin}: pulled runs are not pushed` });
        runsDone++;
      } else if (await pushNeeded(state, storeDir, run)) {
        candidates.push(run);
      } else {
        unchanged.push(line(run));
        runsDone++;
      }
    }
    report();

    // The experiments of runs the server does not have yet, and those runs if it has them after all.
    const experimentIds = new Map<string, string>();
    const found = new Map<string, RemoteRun>();
    const unmapped = candidates.filter((run) => !state.get(run.id));
    for (const name of new Set(unmapped.map((run) => options.experiment ?? run.experiment))) {
      const experiment = await client.ensureExperiment(name);
      if (experiment.lifecycle_stage === 'deleted') {
        for (const run of unmapped.filter((r) => (options.experiment ?? r.experiment) === name)) {
          failed.push({
            ...line(run),
            reason: `experiment "${name}" is deleted on the server; restore it there first`,
          });
        }
        continue;
      }
      experimentIds.set(name, experiment.experiment_id);
      if (!store.fresh) {
        // Every run this store pushed carries its id: one search finds those the map lost.
        const ours = await client.searchAllRuns({
          experimentIds: [experiment.experiment_id],
          filter: `tags.\`${STORE_ID_TAG}\` = '${store.id}'`,
          viewType: 'ALL',
        });
        for (const run of ours) {
          const source = tagOf(run, SOURCE_ID_TAG);
          if (source) found.set(source, run);
        }
      }
    }
    if (store.fresh) {
      // A store without an id of its own yet may still have pushed under one it lost: ask per run.
      for (const run of unmapped) {
        const experimentId = experimentIds.get(options.experiment ?? run.experiment);
        const remote = experimentId ? await findBySourceId(client, experimentId, run.id) : undefined;
        if (remote) found.set(run.id, remote);
      }
    }

    let unreachable: string | undefined;
    const failedIds = new Set(failed.map((f) => f.id));
    for (const level of parentsFirst(candidates.filter((run) => !failedIds.has(run.id)))) {
      await inTurn(level, options.concurrency ?? 4, async (run) => {
        if (signal?.aborted) return;
        const experimentId = experimentIds.get(options.experiment ?? run.experiment) ?? '';
        let result: RunResult;
        if (unreachable) {
          result = { outcome: 'failed', reason: `not tried: ${unreachable}`, points: 0 };
        } else {
          const parentRemote = run.parentRunId ? state.get(run.parentRunId)?.remote : undefined;
          const remote = found.get(run.id);
          result = await pushRun(
            {
              client,
              state,
              storeDir,
              storeId: store.id,
              upload: options.upload ?? DEFAULT_UPLOAD,
              onPoints: (n) => (points += n),
              onBytes: (n) => (bytes += n),
            },
            {
              details: run,
              experimentId,
              ...(parentRemote ? { parentRemote } : {}),
              ...(remote ? { found: remote } : {}),
            },
            signal,
          );
          if (run.parentRunId && !parentRemote && result.outcome === 'pushed') {
            warnings.push(`${run.name}: its parent run was never pushed to this server, so it is not nested there`);
          }
        }
        if (signal?.aborted) return;
        runsDone++;
        if (result.outcome === 'unchanged') unchanged.push(line(run));
        else if (result.outcome === 'pushed') {
          pushed.push({ ...line(run), remote: result.remote, points: result.points, done: result.done });
          warnings.push(...result.warnings.map((w) => `${run.name}: ${w}`));
        } else {
          failed.push({ ...line(run), reason: result.reason });
          if (result.unreachable) unreachable ??= result.reason;
        }
        report(run.name);
      });
    }
    if (!signal?.aborted && !unreachable) {
      await registerVersions(client, state, options, pushed, versions, warnings);
    }
  } finally {
    await state.close();
  }
  return {
    server: http.uri,
    pushed,
    unchanged,
    skipped,
    failed,
    warnings,
    versions,
    points,
    bytes,
    requests: http.stats.requests,
    writes: http.stats.writes,
    cancelled: signal?.aborted ?? false,
  };
}

/**
 * Model versions registered locally from runs that are now whole on the server, registered there
 * from the pushed run's files (each once: the push state remembers `models:/name/N`).
 */
async function registerVersions(
  client: MlflowClient,
  state: SyncState,
  options: PushOptions,
  pushed: readonly { id: string; remote: string; done: boolean }[],
  versions: string[],
  warnings: string[],
): Promise<void> {
  const whole = new Set(pushed.filter((p) => p.done).map((p) => p.id));
  for (const run of options.runs) if (state.get(run.id)?.done) whole.add(run.id);
  for (const model of options.models ?? []) {
    for (const version of model.versions) {
      if (!version.runId || !version.source || !whole.has(version.runId)) continue;
      const key = `models:/${model.name}/${version.version}`;
      if (state.get(key)) continue;
      const remoteRun = state.get(version.runId)?.remote;
      if (!remoteRun) continue;
      try {
        const run = await client.getRun(remoteRun);
        const root = artifactRoot(client.http.uri, run?.info.artifact_uri);
        const source = `${run?.info.artifact_uri ?? `mlflow-artifacts:/${root}`}/${version.source}`;
        const existing = (await client.versionsFrom(model.name, remoteRun)).find((v) => v.source === source);
        let number = existing?.version;
        if (!number) {
          await client.ensureRegisteredModel(model.name);
          number = await client.createModelVersion({
            name: model.name,
            source,
            run_id: remoteRun,
            ...(version.description ? { description: version.description } : {}),
          });
          versions.push(`${model.name}/${number}`);
        }
        await state.mapped(key, number);
        await state.confirmed(key, 0, true);
      } catch (error) {
        warnings.push(
          `model ${model.name} version ${version.version}: not registered on the server (${(error as Error).message})`,
        );
      }
    }
  }
}
