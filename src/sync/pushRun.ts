/**
 * One run pushed to a tracking server: its journal, from where the server last confirmed, turned
 * into MLflow requests in journal order — points, params and tags in log-batches within MLflow's
 * limits, then each other event as its own request (an artifact, a dataset input, a removed tag) —
 * and after every answer the journal offset it covers written to the push state (syncState.ts).
 *
 * Where the server may already hold part of what is about to go (a run found by its tag after the
 * map was lost, a range sent before a kill and never confirmed, a request whose answer was lost),
 * the server is asked first: points it has are not sent twice, nor datasets, nor files of the same
 * size. Params and tags are idempotent in MLflow: sending them again changes nothing.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readGeneration } from '../store/journalRewrite';
import type { InputEvent, RunEvent } from '../store/events';
import { readJournal } from '../store/journal';
import { runJournalPath } from '../store/journalAppend';
import type { RunDetails } from '../store/types';
import type { UploadTuning } from './artifactUpload';
import { safeArtifactPath, uploadArtifact, uploadBytes } from './artifactUpload';
import type { JournalLine, WireMetric } from './journalLines';
import { forEachLine, metricId, pointId, wireValue } from './journalLines';
import type { Entry } from './logBatch';
import { LogBatch, keyValueJson } from './logBatch';
import type { MlflowClient, RemoteRun } from './mlflowClient';
import { ArtifactLocationError, artifactRoot } from './mlflowClient';
import { inputDataset, limitProblems, mlflowStatus, modelJson, runInputIds } from './mlflowForm';
import { ConnectionError } from './httpErrors';
import type { PushedRun, SyncState } from './syncState';
import {
  ENVIRONMENT_ARTIFACT,
  GIT_BRANCH_TAG,
  GIT_COMMIT_TAG,
  GIT_DIFF_ARTIFACT,
  GIT_REPO_TAG,
  PARENT_TAG,
  RUN_NAME_MLFLOW_TAG,
  SOURCE_ID_TAG,
  SOURCE_NAME_TAG,
  STORE_ID_TAG,
  UNTRACKED_ARTIFACT,
  USER_TAG,
  serverTagKey,
} from './syncTags';

export interface PushEnv {
  readonly client: MlflowClient;
  readonly state: SyncState;
  readonly storeDir: string;
  readonly storeId: string;
  readonly upload: UploadTuning;
  readonly onPoints: (n: number) => void;
  readonly onBytes: (n: number) => void;
}

export interface RunPlan {
  readonly details: RunDetails;
  /** The server's experiment the run goes into (when it is created). */
  readonly experimentId: string;
  readonly parentRemote?: string;
  /** This run, found on the server by its `runlog.source_id` tag although the push state did not know it. */
  readonly found?: RemoteRun;
}

export type RunResult =
  | { readonly outcome: 'unchanged' }
  | {
      readonly outcome: 'pushed';
      readonly remote: string;
      readonly points: number;
      readonly done: boolean;
      readonly warnings: readonly string[];
    }
  | {
      readonly outcome: 'failed';
      readonly reason: string;
      readonly remote?: string;
      readonly points: number;
      /** The server could not be reached (after the retries): the runs after this one need not try. */
      readonly unreachable?: boolean;
    };

/** A problem that stops this run's push (the others go on). */
export class RunPushError extends Error {
  override readonly name = 'RunPushError';
}

const ENDED = ['FINISHED', 'FAILED', 'KILLED', 'INTERRUPTED'];
/** Log-batches of one run sent before the first is answered. */
const PIPELINE = 3;

/**
 * Whether the run has anything the server has not confirmed: new journal lines, a range whose
 * answer never came, or (for a run that has ended) its end and files. One `stat`, no request.
 */
export async function pushNeeded(state: SyncState, storeDir: string, details: RunDetails): Promise<boolean> {
  const before = state.get(details.id);
  if (!before) return true;
  const file = await runJournalPath(storeDir, details.id);
  return needsPush(before, details, (await stat(file)).size, await readGeneration(file));
}

/** `pushNeeded` once the journal's size and generation are known. */
function needsPush(before: PushedRun, details: RunDetails, size: number, generation: string): boolean {
  return (
    before.offset < size ||
    before.unconfirmed !== undefined ||
    (!before.done && ENDED.includes(details.status)) ||
    // Compacted since (and the state not told): its offsets count in the journal as it was.
    before.generation !== generation
  );
}

export async function pushRun(env: PushEnv, plan: RunPlan, signal?: AbortSignal): Promise<RunResult> {
  return new RunPush(env, plan, signal).run();
}

class RunPush {
  private readonly details: RunDetails;
  private file = '';
  /** The generation of the journal as this push reads it (compaction.ts). */
  private generation = '';
  private remote: RemoteRun | undefined;
  private confirmed = 0;
  private processed = 0;
  private batch: LogBatch | undefined;
  /** The last batch sent, answered and confirmed (with all before it), and those not yet waited for. */
  private inFlight: Promise<void> = Promise.resolve();
  private sent: Promise<void>[] = [];
  private points = 0;
  private readonly warnings: string[] = [];
  /** Lines before this offset may already be on the server. */
  private unsureUntil = 0;
  private lineEnd = 0; // the end of the batched line whose points are being added, else 0
  private readonly serverPoints = new Map<string, Set<string>>();
  private serverFiles: Map<string, number> | undefined;
  private verifyFiles = false;
  private artifactProblem: string | undefined;
  /** For a run pushed before: the tags as last pushed, and as the server has them now. */
  private pushedTags: Map<string, string> | undefined;
  private serverTags: Map<string, string> | undefined;
  private readonly sentParams = new Set<string>();

  constructor(
    private readonly env: PushEnv,
    private readonly plan: RunPlan,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.details = plan.details;
  }

  async run(): Promise<RunResult> {
    const id = this.details.id;
    const ended = ENDED.includes(this.details.status);
    const before = this.env.state.get(id);
    try {
      this.file = await runJournalPath(this.env.storeDir, id);
      this.generation = await readGeneration(this.file);
      if (before && !needsPush(before, this.details, (await stat(this.file)).size, this.generation)) {
        return { outcome: 'unchanged' };
      }
      const problems = limitProblems(this.details);
      if (problems.length > 0) return { outcome: 'failed', reason: problems.slice(0, 5).join('; '), points: 0 };
      await this.start(before);
      await forEachLine(this.file, this.confirmed, (line) => this.line(line), this.generation);
      await this.flush();
      const done = ended ? await this.finish() : false;
      await this.env.state.confirmed(id, this.processed, done, this.generation);
      if (this.artifactProblem) {
        return { outcome: 'failed', reason: this.artifactProblem, remote: this.remoteId, points: this.points };
      }
      return { outcome: 'pushed', remote: this.remoteId, points: this.points, done, warnings: this.warnings };
    } catch (error) {
      if (this.signal?.aborted) throw error;
      return {
        outcome: 'failed',
        reason: error instanceof Error ? error.message : String(error),
        ...(this.remote ? { remote: this.remoteId } : {}),
        points: this.points,
        ...(error instanceof ConnectionError ? { unreachable: true } : {}),
      };
    }
  }

  private get remoteId(): string {
    return this.remote?.info.run_id ?? '';
  }

  /** Finds or creates the remote run, and decides where reading starts and what may be there already. */
  private async start(before: ReturnType<SyncState['get']>): Promise<void> {
    const id = this.details.id;
    const { client, state } = this.env;
    if (!before) {
      if (this.plan.found) {
        this.remote = this.plan.found;
        this.unsureUntil = Number.MAX_SAFE_INTEGER;
        this.verifyFiles = true;
      } else {
        this.remote = await this.create();
      }
      await state.mapped(id, this.remoteId, this.generation);
      return;
    }
    const remote = await client.getRun(before.remote);
    if (!remote)
      throw new RunPushError(
        `its run ${before.remote} is no longer on the server (deleted for good there); it is not created again`,
      );
    if (remote.info.lifecycle_stage === 'deleted') {
      throw new RunPushError(`its run ${before.remote} was deleted on the server; restore it there to push again`);
    }
    this.remote = remote;
    if (before.generation !== this.generation) {
      // The journal was compacted since: its offsets are another file's. Everything is read again,
      // and what the server has already is left out, as for a run found on the server by its tag.
      this.unsureUntil = Number.MAX_SAFE_INTEGER;
      this.verifyFiles = true;
      return;
    }
    this.confirmed = this.processed = before.offset;
    if (before.unconfirmed && before.unconfirmed[1] > before.offset) this.unsureUntil = before.unconfirmed[1];
    // Pushed before, not finished then: its files may have been skipped (verified at the end).
    this.verifyFiles = !before.done;
    if (before.offset > 0) await this.loadTagBaseline(this.file, before.offset, remote);
  }

  private async loadTagBaseline(path: string, offset: number, remote: RemoteRun): Promise<void> {
    const prefix = await readJournal(path, 0, 1, offset);
    const pushed = new Map<string, string>();
    for (const event of prefix.events) {
      if (event.t === 'tag') {
        const key = serverTagKey(event.key);
        if (key) pushed.set(key, event.value);
      } else if (event.t === 'lifecycle' && event.action === 'remove_tag' && event.key) {
        pushed.delete(serverTagKey(event.key) ?? '');
      }
    }
    this.pushedTags = pushed;
    this.serverTags = new Map((remote.data?.tags ?? []).map((t) => [t.key, t.value ?? '']));
  }

  private async create(): Promise<RemoteRun> {
    const { details } = this;
    const tags = [
      { key: SOURCE_ID_TAG, value: details.id },
      { key: STORE_ID_TAG, value: this.env.storeId },
      ...(details.user ? [{ key: USER_TAG, value: details.user }] : []),
      ...(details.source ? [{ key: SOURCE_NAME_TAG, value: details.source }] : []),
      ...(this.plan.parentRemote ? [{ key: PARENT_TAG, value: this.plan.parentRemote }] : []),
    ];
    const body = {
      experiment_id: this.plan.experimentId,
      run_name: details.name,
      start_time: details.startTime,
      ...(details.user ? { user_id: details.user } : {}),
      tags,
    };
    // A create whose answer was lost may have made the run: look for it before making another.
    return this.env.client.createRun(body, async () => {
      const found = await findBySourceId(this.env.client, this.plan.experimentId, details.id);
      return found ? { done: { run: found } } : { resend: JSON.stringify(body) };
    });
  }

  private line(line: JournalLine): boolean | Promise<boolean> {
    if (this.signal?.aborted) return false;
    if (line.kind === 'metric') return this.metric(line.metric, line.end);
    if (line.kind === 'metrics') return this.batchedMetrics(line.metrics, line.end);
    if (line.kind === 'skipped') {
      this.processed = line.end;
      return true;
    }
    return this.event(line.event, line.end);
  }

  private metric(metric: WireMetric, end: number): boolean | Promise<boolean> {
    // The common case without a promise: a point that fits the batch being filled.
    const entry: Entry = { kind: 'metric', metric };
    if (end > this.unsureUntil && this.batch && this.batch.fits(entry)) {
      this.batch.add(entry);
      this.processed = end;
      return true;
    }
    return this.slowMetric(metric, end);
  }

  // A batched line's points may span requests: the line stays unconfirmed till its last point is
  // in a batch, and each request meanwhile marks it possibly sent (lineEnd), so a resume asks first.
  private async batchedMetrics(metrics: readonly WireMetric[], end: number): Promise<boolean> {
    this.lineEnd = end;
    try {
      for (const metric of metrics) {
        if (end <= this.unsureUntil && (await this.serverHas(metric))) continue;
        await this.addEntry({ kind: 'metric', metric });
      }
    } finally {
      this.lineEnd = 0;
    }
    this.processed = end;
    return true;
  }

  private async slowMetric(metric: WireMetric, end: number): Promise<boolean> {
    if (end <= this.unsureUntil && (await this.serverHas(metric))) {
      this.processed = end;
      return true;
    }
    await this.addEntry({ kind: 'metric', metric });
    this.processed = end;
    return true;
  }

  private async addEntry(entry: Entry): Promise<void> {
    this.batch ??= new LogBatch(this.remoteId);
    if (!this.batch.fits(entry)) await this.send();
    this.batch ??= new LogBatch(this.remoteId);
    this.batch.add(entry);
  }

  private async serverHas(metric: WireMetric): Promise<boolean> {
    let known = this.serverPoints.get(metric.key);
    if (!known) {
      const points = await this.env.client.metricHistory(this.remoteId, metric.key);
      known = new Set(points.map((p) => pointId(metric.key, p.step, p.timestamp, wireValue(p.value))));
      this.serverPoints.set(metric.key, known);
    }
    return known.has(metricId(metric));
  }

  /** Sends the batch being filled and waits for every answer, confirming the journal up to the last line sent. */
  private async flush(): Promise<void> {
    if (this.batch && this.batch.size > 0) await this.send();
    await this.inFlight;
    this.sent = [];
    if (this.processed > this.confirmed) await this.confirm(this.processed);
  }

  /**
   * Sends the batch without waiting for its answer when it holds only points: reading goes on while
   * the server works, up to PIPELINE batches of a run in flight. Points are a set on the server, so
   * their order does not matter; a batch with params or tags waits for those before it (a tag's last
   * value wins). Answers are confirmed in journal order: each confirmation waits for the batches
   * before it, and the `sending` line before each request spans everything unconfirmed so far, which
   * a confirmation of an earlier batch does not clear (syncState.ts).
   */
  private async send(): Promise<void> {
    const batch = this.batch;
    if (!batch) return;
    this.batch = undefined;
    const pointsOnly = batch.params.length + batch.tags.length === 0;
    if (!pointsOnly) await this.inFlight;
    while (this.sent.length >= PIPELINE) await this.sent.shift();
    const { state, client } = this.env;
    const to = this.processed;
    if (batch.metrics.length > 0) await state.sending(this.details.id, this.confirmed, Math.max(to, this.lineEnd));
    // The answer was lost: send only the points the server does not have.
    const request = client.logBatch(batch.body(), () => batch.missing(client, this.remoteId));
    const before = this.inFlight;
    const answered = Promise.all([request, before]).then(async () => {
      this.points += batch.metrics.length;
      this.env.onPoints(batch.metrics.length);
      await this.confirm(to);
    });
    // Awaited by flush() or the next send(); a failure meanwhile must not count as unhandled.
    answered.catch(() => undefined);
    this.inFlight = answered;
    this.sent.push(answered);
    if (!pointsOnly) await answered;
  }

  private async confirm(offset: number): Promise<void> {
    this.confirmed = offset;
    await this.env.state.confirmed(this.details.id, offset, false, this.generation);
  }

  /** Everything but metric points; returns whether to read on. */
  private async event(event: RunEvent, end: number): Promise<boolean> {
    switch (event.t) {
      case 'param':
        // Params are write-once: a later value was ignored by the store, and would be refused by the server.
        if (this.details.params[event.key] === event.value && !this.sentParams.has(event.key)) {
          this.sentParams.add(event.key);
          await this.addEntry({ kind: 'param', json: keyValueJson(event.key, event.value) });
        }
        break;
      case 'tag': {
        const key = serverTagKey(event.key);
        if (key) {
          this.checkTag(key, event.value);
          await this.addEntry({ kind: 'tag', json: keyValueJson(key, event.value) });
        } else if (event.key === 'runlog.experiment' && event.value !== this.details.experiment) {
          this.warnings.push(`it moved to experiment "${event.value}" after it was pushed; a server cannot move runs`);
        }
        break;
      }
      case 'lifecycle': {
        const key = event.action === 'remove_tag' && event.key ? serverTagKey(event.key) : undefined;
        if (key) {
          await this.flush();
          await this.env.client.deleteTag(this.remoteId, key);
          this.pushedTags?.delete(key);
        }
        break;
      }
      case 'artifact':
        await this.flush();
        await this.artifact(event.path, { size: event.size, sha256: event.sha256 });
        break;
      case 'input':
        await this.flush();
        await this.input(event, end);
        break;
      case 'git':
        await this.addEntry({ kind: 'tag', json: keyValueJson(GIT_COMMIT_TAG, event.commit) });
        if (event.branch) await this.addEntry({ kind: 'tag', json: keyValueJson(GIT_BRANCH_TAG, event.branch) });
        if (event.remote) await this.addEntry({ kind: 'tag', json: keyValueJson(GIT_REPO_TAG, event.remote) });
        await this.flush();
        if (event.patch !== '') await this.bytes(GIT_DIFF_ARTIFACT, Buffer.from(event.patch, 'utf8'));
        if (event.untracked.length > 0)
          await this.bytes(UNTRACKED_ARTIFACT, Buffer.from(JSON.stringify(event.untracked)));
        break;
      case 'environment':
        await this.flush();
        await this.bytes(ENVIRONMENT_ARTIFACT, Buffer.from(JSON.stringify(event)));
        break;
      case 'model': {
        await this.flush();
        await this.env.client.logModel(this.remoteId, modelJson(event, this.remoteId));
        break;
      }
      default:
        // run_start (the run exists), run_end and status (the final state is sent at the end).
        break;
    }
    this.processed = end;
    if (!this.batch || this.batch.size === 0) {
      if (end > this.confirmed && event.t !== 'param' && event.t !== 'tag') await this.confirm(end);
    }
    return true;
  }

  /** A tag a teammate changed on the server since it was pushed (and that this push would overwrite). */
  private checkTag(key: string, value: string): void {
    if (!this.pushedTags || !this.serverTags || key === RUN_NAME_MLFLOW_TAG) return;
    const there = this.serverTags.get(key);
    if (there === undefined || there === value || there === this.pushedTags.get(key)) return;
    throw new RunPushError(
      `tag "${key}" was changed on the server to "${there.slice(0, 60)}" since it was pushed; here it is now "${value.slice(0, 60)}" (change one of them so they agree, then push again)`,
    );
  }

  private async input(event: InputEvent, end: number): Promise<void> {
    const dataset = inputDataset(event);
    const id = `${dataset.name}\u0000${dataset.digest}`;
    if (end <= this.unsureUntil && runInputIds(await this.env.client.getRun(this.remoteId)).has(id)) return;
    await this.env.state.sending(this.details.id, this.confirmed, end);
    await this.env.client.logInputs(this.remoteId, [dataset], async () =>
      runInputIds(await this.env.client.getRun(this.remoteId)).has(id)
        ? { done: undefined }
        : { resend: JSON.stringify({ run_id: this.remoteId, datasets: [{ tags: [], dataset }] }) },
    );
  }

  /** The artifact root on the server, or undefined (said once) when the server does not take files. */
  private root(): string | undefined {
    try {
      return artifactRoot(this.env.client.http.uri, this.remote?.info.artifact_uri);
    } catch (error) {
      if (!(error instanceof ArtifactLocationError)) throw error;
      this.artifactProblem ??= `its artifacts were not pushed: ${error.message}`;
      return undefined;
    }
  }

  private async remoteFiles(): Promise<Map<string, number>> {
    this.serverFiles ??= new Map(
      (await this.env.client.listArtifacts(this.remoteId)).map((f) => [f.path, Number(f.file_size ?? -1)]),
    );
    return this.serverFiles;
  }

  private async artifact(path: string, expected: { size: number; sha256: string }): Promise<void> {
    if (!safeArtifactPath(path)) {
      this.warnings.push(`artifact "${path.slice(0, 80)}" names a path outside the run's folder; not pushed`);
      return;
    }
    // A file logged again later: the last event stands, and is the one pushed.
    const last = this.details.artifacts.find((a) => a.path === path);
    if (!last || last.sha256 !== expected.sha256) return;
    const root = this.root();
    if (root === undefined) return;
    if (this.unsureUntil > this.processed && (await this.remoteFiles()).get(path) === expected.size) return;
    const local = join(this.env.storeDir, 'runs', this.details.id, 'artifacts', ...path.split('/'));
    await uploadArtifact(this.env.client, root, path, local, expected, this.env.upload, this.env.onBytes);
  }

  private async bytes(path: string, data: Buffer): Promise<void> {
    const root = this.root();
    if (root === undefined) return;
    if (this.unsureUntil > this.processed && (await this.remoteFiles()).get(path) === data.length) return;
    await uploadBytes(this.env.client, root, path, data, this.env.onBytes);
  }

  /**
   * The run has ended: its status and end time, and its files checked on the server when an earlier
   * push may have left some out. Returns whether the run is whole there.
   */
  private async finish(): Promise<boolean> {
    const { details } = this;
    await this.env.client.updateRun(this.remoteId, {
      status: mlflowStatus(details.status),
      ...(details.endTime !== null ? { end_time: details.endTime } : {}),
    });
    if (this.verifyFiles && this.root() !== undefined) {
      this.serverFiles = undefined;
      const there = await this.remoteFiles();
      for (const a of details.artifacts) {
        if (!safeArtifactPath(a.path) || there.get(a.path) === a.size) continue;
        const local = join(this.env.storeDir, 'runs', details.id, 'artifacts', ...a.path.split('/'));
        await uploadArtifact(this.env.client, this.root() ?? '', a.path, local, a, this.env.upload, this.env.onBytes);
      }
    }
    return this.artifactProblem === undefined;
  }
}

/** A run of this store on the server, by the tag every pushed run carries. */
export async function findBySourceId(
  client: MlflowClient,
  experimentId: string,
  runId: string,
): Promise<RemoteRun | undefined> {
  const page = await client.searchRuns({
    experimentIds: [experimentId],
    filter: `tags.\`${SOURCE_ID_TAG}\` = '${runId}'`,
    maxResults: 10,
    viewType: 'ALL',
  });
  return page.runs[0];
}
