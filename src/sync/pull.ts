/**
 * Pulling a server's runs into a store (`runlog pull`, Pull Runs…, and the editor's cache of remote
 * runs shown in Charts and Compare). A new run's journal is written whole in `<store>/tmp/` with its
 * files and renamed into `runs/`, so the store never reads half a run; a run pulled before gets
 * only what changed since (new points, params, tags, its end). Pulled runs carry `runlog.remote`
 * and `runlog.remote_run_id`: the editor keeps them read-only and pushing leaves them out. Runs this
 * store pushed itself are not pulled back.
 */
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { appendRunEvents } from '../runs/runEdits';
import { eventLine, metricLine } from '../runs/runJournal';
import type { EndStatus, EnvironmentEvent, RunEvent, UntrackedFile } from '../store/events';
import { RUN_NAME_TAG } from '../store/ingest';
import { RUN_ID } from '../store/storeLocation';
import { newTempPath } from '../store/storeTemp';
import type { RunDetails } from '../store/types';
import { pointId, wireValue } from './journalLines';
import type { MlflowHttp } from './mlflowHttp';
import type { FileInfo, RemoteExperiment, RemoteMetric, RemoteRun } from './mlflowClient';
import { ArtifactLocationError, MlflowClient, artifactRoot, tagOf } from './mlflowClient';
import { serverKey } from './serverUri';
import { fingerprint, gitEvent, inputEvents, int, keptTags, modelEvents, parseJson } from './mlflowForm';
import { downloadFiles, downloadText } from './artifactDownload';
import { SyncState } from './syncState';
import {
  ENVIRONMENT_ARTIFACT,
  GIT_BRANCH_TAG,
  GIT_COMMIT_TAG,
  GIT_DIFF_ARTIFACT,
  GIT_REPO_TAG,
  PARENT_TAG,
  REMOTE_RUN_TAG,
  REMOTE_TAG,
  SOURCE_NAME_TAG,
  STORE_ID_TAG,
  UNTRACKED_ARTIFACT,
  USER_TAG,
} from './syncTags';

/** What pulling needs to know of the local copies of runs pulled before. */
export interface LocalRuns {
  getRun(runId: string): Promise<RunDetails | undefined>;
  series(runId: string, key: string): Promise<{ steps: Float64Array; times: Float64Array; values: Float64Array }>;
}

export interface PullOptions {
  readonly storeDir: string;
  readonly http: MlflowHttp;
  readonly local: LocalRuns;
  /** Experiments by name (default: every active one). */
  readonly experiments?: readonly string[];
  /** MLflow's search filter, applied by the server. */
  readonly filter?: string;
  /** Only these runs (the server's ids), whatever their experiment. */
  readonly runIds?: readonly string[];
  /** Download the runs' files too (the git diff comes along either way). */
  readonly artifacts: boolean;
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  readonly progress?: (progress: {
    runsDone: number;
    runsTotal: number;
    points: number;
    bytes: number;
    current?: string;
  }) => void;
}

export interface PullSummary {
  readonly server: string;
  /** Remote id → local id. */
  readonly pulled: readonly { id: string; local: string; name: string; points: number; updated: boolean }[];
  readonly unchanged: readonly { id: string; local: string; name: string }[];
  readonly skipped: readonly { id: string; name: string; reason: string }[];
  readonly failed: readonly { id: string; name: string; reason: string }[];
  readonly warnings: readonly string[];
  readonly points: number;
  readonly bytes: number;
  readonly cancelled: boolean;
}

export class NoSuchExperimentError extends Error {
  override readonly name = 'NoSuchExperimentError';
}

const ENDED: readonly string[] = ['FINISHED', 'FAILED', 'KILLED'];

export async function pullRuns(options: PullOptions): Promise<PullSummary> {
  return new Puller(options).run();
}

class Puller {
  private readonly client: MlflowClient;
  private readonly summary = {
    pulled: [] as PullSummary['pulled'][number][],
    unchanged: [] as PullSummary['unchanged'][number][],
    skipped: [] as PullSummary['skipped'][number][],
    failed: [] as PullSummary['failed'][number][],
    warnings: [] as string[],
    points: 0,
    bytes: 0,
  };
  private state!: SyncState;
  /** Remote id → the local id it has (or gets in this pull). */
  private readonly localIds = new Map<string, string>();
  private bulkOffered = true;
  /** Bytes downloaded, and what was not. */
  private readonly counter = {
    bytes: (n: number): void => {
      this.summary.bytes += n;
    },
    warn: (message: string): void => {
      this.summary.warnings.push(message);
    },
  };
  private runsDone = 0;
  private runsTotal = 0;

  constructor(private readonly options: PullOptions) {
    this.client = new MlflowClient(options.http);
  }

  async run(): Promise<PullSummary> {
    const { options } = this;
    const experiments = await this.experiments();
    const names = new Map(experiments.map((e) => [e.experiment_id, e.name]));
    const runs = await this.remoteRuns(experiments);
    this.runsTotal = runs.length;
    const ours = await this.ownStoreId();
    this.state = await SyncState.open(options.storeDir, options.http.uri);
    try {
      const todo: RemoteRun[] = [];
      for (const run of runs) {
        const name = run.info.run_name ?? run.info.run_id;
        if (ours && tagOf(run, STORE_ID_TAG) === ours) {
          this.summary.skipped.push({ id: run.info.run_id, name, reason: 'pushed from this store' });
          this.runsDone++;
        } else {
          todo.push(run);
        }
      }
      for (const run of todo) this.localIds.set(run.info.run_id, await this.localIdFor(run.info.run_id));
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(options.concurrency ?? 4, todo.length) }, async () => {
          while (next < todo.length && !options.signal?.aborted) {
            const run = todo[next++];
            if (!run) break;
            await this.one(run, names.get(run.info.experiment_id ?? '') ?? 'Default');
            this.runsDone++;
            this.report(run.info.run_name);
          }
        }),
      );
    } finally {
      await this.state.close();
    }
    return { server: options.http.uri, ...this.summary, cancelled: options.signal?.aborted ?? false };
  }

  private report(current?: string): void {
    this.options.progress?.({
      runsDone: this.runsDone,
      runsTotal: this.runsTotal,
      points: this.summary.points,
      bytes: this.summary.bytes,
      ...(current ? { current } : {}),
    });
  }

  private async ownStoreId(): Promise<string | undefined> {
    try {
      const text = await readFile(join(this.options.storeDir, 'sync', 'store.json'), 'utf8');
      return (parseJson<{ store_id?: string }>(text) ?? {}).store_id;
    } catch {
      return undefined;
    }
  }

  private async experiments(): Promise<RemoteExperiment[]> {
    const wanted = this.options.experiments ?? [];
    if (wanted.length === 0) return this.client.searchExperiments();
    const found: RemoteExperiment[] = [];
    for (const name of wanted) {
      const experiment = await this.client.experimentByName(name);
      if (!experiment) throw new NoSuchExperimentError(`the server has no experiment "${name}"`);
      found.push(experiment);
    }
    return found;
  }

  private async remoteRuns(experiments: readonly RemoteExperiment[]): Promise<RemoteRun[]> {
    const { runIds, filter } = this.options;
    if (runIds && runIds.length > 0) {
      const runs: RemoteRun[] = [];
      for (const id of runIds) {
        const run = await this.client.getRun(id);
        if (run) runs.push(run);
        else this.summary.failed.push({ id, name: id, reason: 'the server has no such run' });
      }
      return runs;
    }
    const runs: RemoteRun[] = [];
    for (const experiment of experiments) {
      runs.push(
        ...(await this.client.searchAllRuns({
          experimentIds: [experiment.experiment_id],
          orderBy: ['attributes.start_time ASC'],
          ...(filter ? { filter } : {}),
        })),
      );
    }
    return runs;
  }

  /** The remote id itself when it is a free run id here, else the id with the server's key. */
  private async localIdFor(remote: string): Promise<string> {
    const before = this.state.pulled(remote);
    if (before) return before.local;
    const base = RUN_ID.test(remote)
      ? remote
      : remote
          .replace(/[^A-Za-z0-9_.-]/g, '_')
          .replace(/^[^A-Za-z0-9]/, 'r')
          .slice(0, 100);
    for (const candidate of [base, `${base.slice(0, 100)}-${serverKey(this.options.http.uri).slice(0, 8)}`]) {
      const taken =
        [...this.localIds.values()].includes(candidate) ||
        (await exists(join(this.options.storeDir, 'runs', candidate)));
      if (!taken) return candidate;
    }
    throw new Error(`no free local id for remote run ${remote}`);
  }

  private async one(run: RemoteRun, experiment: string): Promise<void> {
    const id = run.info.run_id;
    const name = run.info.run_name ?? id;
    const local = this.localIds.get(id) ?? id;
    const print = fingerprint(run);
    try {
      const before = this.state.pulled(id);
      const copy = before ? await this.options.local.getRun(before.local) : undefined;
      const folder = before ? await exists(join(this.options.storeDir, 'runs', before.local)) : false;
      if (before && folder && before.fingerprint === print) {
        this.summary.unchanged.push({ id, local, name });
        return;
      }
      let points: number;
      if (before && folder) {
        if (!copy) throw new Error(`its local copy ${before.local} is not in the store yet; pull again in a moment`);
        points = await this.update(run, copy);
      } else {
        points = await this.create(run, local, experiment);
      }
      await this.state.recordPull(id, local, print);
      this.summary.pulled.push({ id, local, name, points, updated: Boolean(before && folder) });
    } catch (error) {
      if (this.options.signal?.aborted) return;
      this.summary.failed.push({ id, name, reason: error instanceof Error ? error.message : String(error) });
    }
  }

  /** A metric's every point: get-history-bulk-interval when it gives the whole series, else get-history paged. */
  private async history(runId: string, key: string): Promise<RemoteMetric[]> {
    if (this.bulkOffered) {
      const points = await this.client.metricHistoryBulk(runId, key);
      if (Array.isArray(points)) return points;
      if (points === 'unsupported') this.bulkOffered = false;
    }
    return this.client.metricHistory(runId, key);
  }

  private root(run: RemoteRun): string | undefined {
    try {
      return artifactRoot(this.options.http.uri, run.info.artifact_uri);
    } catch (error) {
      if (error instanceof ArtifactLocationError) return undefined;
      throw error;
    }
  }

  private async create(run: RemoteRun, local: string, experiment: string): Promise<number> {
    const { storeDir } = this.options;
    const info = run.info;
    const start = Number(int(info.start_time));
    const tag = (key: string): string | undefined => tagOf(run, key);
    const parentRemote = tag(PARENT_TAG);
    const parent = parentRemote
      ? (this.localIds.get(parentRemote) ?? this.state.pulled(parentRemote)?.local)
      : undefined;
    const building = await newTempPath(storeDir, 'pull');
    await mkdir(join(building, 'artifacts'), { recursive: true });
    const journal = await open(join(building, 'events.jsonl'), 'wx');
    let points = 0;
    try {
      const user = tag(USER_TAG) || info.user_id || undefined;
      const source = tag(SOURCE_NAME_TAG);
      const events: RunEvent[] = [
        {
          t: 'run_start',
          ts: start,
          run_id: local,
          name: info.run_name || info.run_id,
          experiment,
          ...(user ? { user } : {}),
          ...(source ? { source } : {}),
          ...(parent ? { parent_run_id: parent } : {}),
        },
        { t: 'tag', ts: start, key: REMOTE_TAG, value: this.options.http.uri },
        { t: 'tag', ts: start, key: REMOTE_RUN_TAG, value: info.run_id },
        ...keptTags(run).map(([key, value]): RunEvent => ({ t: 'tag', ts: start, key, value })),
        ...(run.data?.params ?? []).map((p): RunEvent => ({ t: 'param', ts: start, key: p.key, value: p.value ?? '' })),
      ];
      const root = this.root(run);
      const files = root === undefined ? [] : await this.client.listArtifacts(info.run_id);
      if (root === undefined && this.options.artifacts) {
        this.summary.warnings.push(
          `${info.run_name ?? info.run_id}: its files were not pulled: the server does not serve them (${info.artifact_uri ?? 'no artifact URI'})`,
        );
      }
      events.push(...(await this.gitAndEnvironment(run, root, files, building, start)));
      events.push(...inputEvents(run, start));
      await journal.write(events.map(eventLine).join(''));
      for (const metric of run.data?.metrics ?? []) {
        const history = await this.history(info.run_id, metric.key);
        for (let i = 0; i < history.length; i += 10_000) {
          await journal.write(
            history
              .slice(i, i + 10_000)
              .map((p) => metricLine(int(p.timestamp), metric.key, wireValue(p.value), int(p.step)))
              .join(''),
          );
        }
        points += history.length;
        this.summary.points += history.length;
      }
      const tail: RunEvent[] = [];
      if (this.options.artifacts && root !== undefined)
        tail.push(
          ...(await downloadFiles(
            this.client,
            root,
            files,
            join(building, 'artifacts'),
            new Map(),
            start,
            this.counter,
          )),
        );
      tail.push(...modelEvents(run, files, tail, start));
      if (ENDED.includes(info.status ?? '')) {
        tail.push({
          t: 'run_end',
          ts: info.end_time !== undefined ? Number(int(info.end_time)) : start,
          status: info.status as EndStatus,
        });
      }
      await journal.write(tail.map(eventLine).join(''));
      await journal.sync();
    } catch (error) {
      await journal.close();
      await rm(building, { recursive: true, force: true });
      throw error;
    }
    await journal.close();
    await mkdir(join(storeDir, 'runs'), { recursive: true });
    try {
      await rename(building, join(storeDir, 'runs', local));
    } catch (error) {
      await rm(building, { recursive: true, force: true });
      throw new Error(
        `runs/${local} appeared while it was being pulled (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        {
          cause: error,
        },
      );
    }
    return points;
  }

  /** The git state (its tags, `runlog/git.diff`, `runlog/untracked.json`) and environment, as journal events. */
  private async gitAndEnvironment(
    run: RemoteRun,
    root: string | undefined,
    files: readonly FileInfo[],
    dir: string,
    ts: number,
  ): Promise<RunEvent[]> {
    const events: RunEvent[] = [];
    const commit = tagOf(run, GIT_COMMIT_TAG);
    if (commit) {
      const patch = (await downloadText(this.client, root, files, GIT_DIFF_ARTIFACT, dir)) ?? '';
      const untracked =
        parseJson<UntrackedFile[]>((await downloadText(this.client, root, files, UNTRACKED_ARTIFACT, dir)) ?? '[]') ??
        [];
      const branch = tagOf(run, GIT_BRANCH_TAG);
      const remote = tagOf(run, GIT_REPO_TAG);
      events.push(gitEvent(commit, branch, remote, patch, untracked, ts));
    }
    const environment = parseJson<EnvironmentEvent>(
      (await downloadText(this.client, root, files, ENVIRONMENT_ARTIFACT, dir)) ?? '',
    );
    if (environment?.t === 'environment' && typeof environment.python_version === 'string') events.push(environment);
    return events;
  }

  /** A run pulled before: what changed on the server since, appended to its journal. */
  private async update(run: RemoteRun, copy: RunDetails): Promise<number> {
    const now = Date.now();
    const events: RunEvent[] = [];
    const name = run.info.run_name;
    if (name && name !== copy.name) events.push({ t: 'tag', ts: now, key: RUN_NAME_TAG, value: name });
    for (const p of run.data?.params ?? []) {
      if (copy.params[p.key] === undefined) events.push({ t: 'param', ts: now, key: p.key, value: p.value ?? '' });
    }
    const remoteTags = new Map(keptTags(run));
    for (const [key, value] of remoteTags) if (copy.tags[key] !== value) events.push({ t: 'tag', ts: now, key, value });
    for (const key of Object.keys(copy.tags)) {
      if (!key.startsWith('runlog.') && !remoteTags.has(key))
        events.push({ t: 'lifecycle', ts: now, action: 'remove_tag', key });
    }
    const have = new Set(copy.inputs.map((i) => `${i.name}\u0000${i.digest}`));
    events.push(...inputEvents(run, now).filter((e) => e.t === 'input' && !have.has(`${e.name}\u0000${e.digest}`)));
    let lines = '';
    let points = 0;
    for (const metric of run.data?.metrics ?? []) {
      const series = await this.options.local.series(copy.id, metric.key);
      const known = new Set<string>();
      for (let i = 0; i < series.values.length; i++) {
        known.add(pointId(metric.key, series.steps[i], series.times[i], series.values[i] ?? Number.NaN));
      }
      for (const p of await this.history(run.info.run_id, metric.key)) {
        const value = wireValue(p.value);
        if (known.has(pointId(metric.key, p.step, p.timestamp, value))) continue;
        lines += metricLine(int(p.timestamp), metric.key, value, int(p.step));
        points++;
      }
    }
    this.summary.points += points;
    const root = this.options.artifacts ? this.root(run) : undefined;
    if (root !== undefined) {
      const files = await this.client.listArtifacts(run.info.run_id);
      const dir = join(this.options.storeDir, 'runs', copy.id, 'artifacts');
      events.push(
        ...(await downloadFiles(
          this.client,
          root,
          files,
          dir,
          new Map(copy.artifacts.map((a) => [a.path, a.size])),
          now,
          this.counter,
        )),
      );
    }
    if (ENDED.includes(run.info.status ?? '') && (copy.status !== run.info.status || copy.endTime === null)) {
      events.push({ t: 'run_end', ts: Number(int(run.info.end_time ?? now)), status: run.info.status as EndStatus });
    }
    if (events.length > 0 || lines !== '') await appendRunEvents(this.options.storeDir, copy.id, events, lines);
    return points;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
