/**
 * MLflow's tracking REST API as a typed client: only what service.proto and mlflow_artifacts.proto
 * define, with their field names and limits, so it speaks to any MLflow server (and to `runlog
 * serve`). Paging always sends `max_results` and stops when the page token does not advance (a
 * server that hands back the same token forever: MLflow #23916, #23702).
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { CallOptions, MlflowHttp, Uncertain } from './mlflowHttp';
import { HttpError, cleanText } from './httpErrors';

/** MLflow's limits (service.proto's LogBatch, and the server's validation of keys and values). */
export const LIMITS = {
  batchMetrics: 1000,
  batchParams: 100,
  batchTags: 100,
  batchTotal: 1000,
  /** A request body: "up to 1 MB". */
  batchBytes: 1_000_000,
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  /** runs/search pages; every server takes at least 50,000, 1000 is MLflow's default. */
  searchPage: 1000,
  /** get-history pages (MLflow's MAX_RESULTS_GET_METRIC_HISTORY). */
  historyPage: 25_000,
  /** get-history-bulk-interval's most per run (MLflow's MAX_RESULTS_PER_RUN). */
  bulkIntervalMax: 2500,
} as const;

/** int64 fields: a number, or the digits as a string when past 2^53 (mlflowHttp keeps them). */
export type Int64 = number | string;

export interface RemoteRunInfo {
  readonly run_id: string;
  readonly run_name?: string;
  readonly experiment_id?: string;
  readonly user_id?: string;
  readonly status?: string;
  readonly start_time?: Int64;
  readonly end_time?: Int64;
  readonly artifact_uri?: string;
  readonly lifecycle_stage?: string;
}

export interface KeyValue {
  readonly key: string;
  readonly value?: string;
}

export interface RemoteMetric {
  readonly key: string;
  readonly value?: number | string;
  readonly timestamp?: Int64;
  readonly step?: Int64;
}

export interface RemoteDataset {
  readonly name: string;
  readonly digest: string;
  readonly source_type?: string;
  readonly source?: string;
  readonly schema?: string;
  readonly profile?: string;
}

export interface RemoteRun {
  readonly info: RemoteRunInfo;
  readonly data?: {
    readonly metrics?: readonly RemoteMetric[];
    readonly params?: readonly KeyValue[];
    readonly tags?: readonly KeyValue[];
  };
  readonly inputs?: { readonly dataset_inputs?: readonly { readonly dataset: RemoteDataset }[] };
}

export interface RemoteExperiment {
  readonly experiment_id: string;
  readonly name: string;
  readonly lifecycle_stage?: string;
}

export interface FileInfo {
  readonly path: string;
  readonly is_dir?: boolean;
  readonly file_size?: Int64;
}

export interface ModelVersionInfo {
  readonly name: string;
  readonly version: string;
  readonly source?: string;
  readonly run_id?: string;
}

/** Where a run's artifacts live, when the tracking server serves them (`--serve-artifacts`). */
export class ArtifactLocationError extends Error {
  override readonly name = 'ArtifactLocationError';
}

/** A tag's value on a run as the server returned it. */
export function tagOf(run: RemoteRun, key: string): string | undefined {
  return run.data?.tags?.find((t) => t.key === key)?.value;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof HttpError && (error.status === 404 || error.code === 'RESOURCE_DOES_NOT_EXIST');
}

/** The server does not offer this endpoint (Flask's HTML 404, MLflow's ENDPOINT_NOT_FOUND, 501). */
export function isUnsupported(error: unknown): boolean {
  return (
    error instanceof HttpError &&
    ((error.status === 404 && error.code !== 'RESOURCE_DOES_NOT_EXIST') ||
      error.status === 501 ||
      error.code === 'NOT_IMPLEMENTED' ||
      error.code === 'ENDPOINT_NOT_FOUND')
  );
}

function encodePath(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');
}

/**
 * The part of a run's `artifact_uri` the artifact proxy is addressed by
 * (`/api/2.0/mlflow-artifacts/artifacts/<it>/<path>`): from `mlflow-artifacts:/…` (MLflow's
 * default since 2.0), or an `http(s)` URI of this server's proxy. Any other store (s3://, gs://, a
 * local path) is reached only with that store's own credentials: an ArtifactLocationError says so.
 */
export function artifactRoot(trackingUri: string, artifactUri: string | undefined): string {
  const uri = artifactUri ?? '';
  const tracking = new URL(trackingUri);
  const proxied = /^mlflow-artifacts:(?:\/\/([^/]*))?\/*(.*)$/.exec(uri);
  if (proxied) {
    const [, authority, rest = ''] = proxied;
    if (authority && authority !== tracking.host) {
      throw new ArtifactLocationError(
        `the run's artifacts are served by another server (${cleanText(authority, 100)}), not ${trackingUri}`,
      );
    }
    return rest.replace(/\/+$/, '');
  }
  if (/^https?:\/\//.test(uri)) {
    const url = new URL(uri);
    const marker = '/mlflow-artifacts/artifacts/';
    const at = url.pathname.indexOf(marker);
    if (url.origin === tracking.origin && at !== -1) {
      return decodeURIComponent(url.pathname.slice(at + marker.length)).replace(/\/+$/, '');
    }
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1] ?? 'a local path';
  throw new ArtifactLocationError(
    `the server keeps this run's artifacts in ${cleanText(scheme, 40)} storage (${cleanText(uri, 120)}), which only that store's own credentials reach; a server started with --serve-artifacts (MLflow's default since 2.0) takes them through its own API`,
  );
}

/** Pages a listing until its token is gone or stops advancing. */
async function allPages<T>(fetch: (token: string | undefined) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  for (;;) {
    const page = await fetch(token);
    items.push(...page.items);
    if (!page.next || seen.has(page.next) || page.next === token) return items;
    seen.add(page.next);
    token = page.next;
  }
}

export class MlflowClient {
  constructor(readonly http: MlflowHttp) {}

  private call<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', endpoint: string, options?: CallOptions<T>): Promise<T> {
    return this.http.call<T>(method, `mlflow/${endpoint}`, options);
  }

  async experimentByName(name: string): Promise<RemoteExperiment | undefined> {
    try {
      const reply = await this.call<{ experiment?: RemoteExperiment }>('GET', 'experiments/get-by-name', {
        query: { experiment_name: name },
      });
      return reply.experiment;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The experiment's id, creating it when the server has none of that name. */
  async ensureExperiment(name: string): Promise<RemoteExperiment> {
    const found = await this.experimentByName(name);
    if (found) return found;
    try {
      const reply = await this.call<{ experiment_id?: string }>('POST', 'experiments/create', { body: { name } });
      return { experiment_id: String(reply.experiment_id), name, lifecycle_stage: 'active' };
    } catch (error) {
      // Created meanwhile (a teammate, or a retry whose first answer was lost).
      if (error instanceof HttpError && error.code === 'RESOURCE_ALREADY_EXISTS') {
        const again = await this.experimentByName(name);
        if (again) return again;
      }
      throw error;
    }
  }

  /** Active experiments, every page. */
  searchExperiments(filter?: string): Promise<RemoteExperiment[]> {
    return allPages(async (token) => {
      const reply = await this.call<{ experiments?: RemoteExperiment[]; next_page_token?: string }>(
        'POST',
        'experiments/search',
        { body: { max_results: 1000, ...(filter ? { filter } : {}), ...(token ? { page_token: token } : {}) } },
      );
      return { items: reply.experiments ?? [], ...(reply.next_page_token ? { next: reply.next_page_token } : {}) };
    });
  }

  searchRuns(query: {
    readonly experimentIds: readonly string[];
    readonly filter?: string;
    readonly maxResults?: number;
    readonly orderBy?: readonly string[];
    readonly pageToken?: string;
    readonly viewType?: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
  }): Promise<{ runs: RemoteRun[]; next_page_token?: string }> {
    return this.call<{ runs?: RemoteRun[]; next_page_token?: string }>('POST', 'runs/search', {
      body: {
        experiment_ids: query.experimentIds,
        max_results: query.maxResults ?? LIMITS.searchPage,
        run_view_type: query.viewType ?? 'ACTIVE_ONLY',
        ...(query.filter ? { filter: query.filter } : {}),
        ...(query.orderBy ? { order_by: query.orderBy } : {}),
        ...(query.pageToken ? { page_token: query.pageToken } : {}),
      },
    }).then((reply) => ({
      runs: reply.runs ?? [],
      ...(reply.next_page_token ? { next_page_token: reply.next_page_token } : {}),
    }));
  }

  /** Every run that matches, page by page. */
  searchAllRuns(query: Omit<Parameters<MlflowClient['searchRuns']>[0], 'pageToken'>): Promise<RemoteRun[]> {
    return allPages(async (token) => {
      const page = await this.searchRuns({ ...query, ...(token ? { pageToken: token } : {}) });
      return { items: page.runs, ...(page.next_page_token ? { next: page.next_page_token } : {}) };
    });
  }

  async createRun(body: object, uncertain: () => Promise<Uncertain<{ run: RemoteRun }>>): Promise<RemoteRun> {
    const reply = await this.call<{ run?: RemoteRun }>('POST', 'runs/create', { body, uncertain });
    if (!reply.run?.info?.run_id) throw new Error('the server created a run but did not say its id');
    return reply.run;
  }

  async getRun(runId: string): Promise<RemoteRun | undefined> {
    try {
      return (await this.call<{ run?: RemoteRun }>('GET', 'runs/get', { query: { run_id: runId } })).run;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async updateRun(runId: string, fields: { status?: string; end_time?: Int64; run_name?: string }): Promise<void> {
    await this.call('POST', 'runs/update', { body: { run_id: runId, ...fields } });
  }

  /** A log-batch body already encoded (push.ts builds it as text), and what to do when its fate is unknown. */
  async logBatch(body: string, uncertain?: () => Promise<Uncertain<unknown>>): Promise<void> {
    await this.call('POST', 'runs/log-batch', { body, ...(uncertain ? { uncertain } : {}) });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    try {
      await this.call('POST', 'runs/delete-tag', { body: { run_id: runId, key } });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async logInputs(
    runId: string,
    datasets: readonly RemoteDataset[],
    uncertain: () => Promise<Uncertain<unknown>>,
  ): Promise<void> {
    await this.call('POST', 'runs/log-inputs', {
      body: { run_id: runId, datasets: datasets.map((dataset) => ({ tags: [], dataset })) },
      uncertain,
    });
  }

  /** MLflow 2's `runs/log-model` (the run's model history tag); false when the server does not offer it. */
  async logModel(runId: string, modelJson: string): Promise<boolean> {
    try {
      await this.call('POST', 'runs/log-model', { body: { run_id: runId, model_json: modelJson } });
      return true;
    } catch (error) {
      if (isUnsupported(error)) return false;
      throw error;
    }
  }

  /** Every point of a metric, page by page (`get-history`). */
  metricHistory(runId: string, key: string): Promise<RemoteMetric[]> {
    return allPages(async (token) => {
      const reply = await this.call<{ metrics?: RemoteMetric[]; next_page_token?: string }>(
        'GET',
        'metrics/get-history',
        {
          query: { run_id: runId, metric_key: key, max_results: LIMITS.historyPage, page_token: token },
        },
      );
      return { items: reply.metrics ?? [], ...(reply.next_page_token ? { next: reply.next_page_token } : {}) };
    });
  }

  /**
   * A metric's points through `get-history-bulk-interval` for one run: all of them, or 'sampled'
   * when the answer may be a sample (MLflow samples steps only when a run has more than
   * `max_results` of them, so fewer distinct steps than that is the whole series), or
   * 'unsupported' when the server does not offer it (or refuses the request: an older server).
   */
  async metricHistoryBulk(runId: string, key: string): Promise<RemoteMetric[] | 'sampled' | 'unsupported'> {
    let reply: { metrics?: RemoteMetric[] };
    try {
      reply = await this.call('GET', 'metrics/get-history-bulk-interval', {
        query: { run_ids: [runId], metric_key: key, max_results: LIMITS.bulkIntervalMax },
      });
    } catch (error) {
      if (isUnsupported(error) || (error instanceof HttpError && error.status === 400)) return 'unsupported';
      throw error;
    }
    const metrics = reply.metrics ?? [];
    const steps = new Set(metrics.map((m) => String(m.step ?? 0)));
    return steps.size < LIMITS.bulkIntervalMax ? metrics : 'sampled';
  }

  /** The files under a run's artifact folder (`artifacts/list`), recursively. */
  async listArtifacts(runId: string, path = '', depth = 0): Promise<FileInfo[]> {
    if (depth > 64)
      throw new Error(`the server lists artifact folders more than 64 deep under ${cleanText(path, 100)}`);
    const files = await allPages(async (token) => {
      const reply = await this.call<{ files?: FileInfo[]; next_page_token?: string }>('GET', 'artifacts/list', {
        query: { run_id: runId, ...(path ? { path } : {}), page_token: token },
      });
      return { items: reply.files ?? [], ...(reply.next_page_token ? { next: reply.next_page_token } : {}) };
    });
    const all: FileInfo[] = [];
    for (const file of files) {
      if (file.is_dir) {
        if (file.path === path || !file.path.startsWith(path)) continue;
        all.push(...(await this.listArtifacts(runId, file.path, depth + 1)));
      } else {
        all.push(file);
      }
    }
    return all;
  }

  uploadArtifact(root: string, path: string, open: () => Promise<Readable>, size: number): Promise<void> {
    return this.http.put(`mlflow-artifacts/artifacts/${encodePath(`${root}/${path}`)}`, open, size);
  }

  downloadArtifact(root: string, path: string, sink: (stream: IncomingMessage) => Promise<void>): Promise<void> {
    return this.http.download(`mlflow-artifacts/artifacts/${encodePath(`${root}/${path}`)}`, sink);
  }

  /**
   * Starts a multipart upload (`mlflow-artifacts/mpu/create`); undefined when the server's artifact
   * store does not offer one (MLflow answers 501, an older server or `runlog serve` 404).
   */
  async createMultipart(
    root: string,
    path: string,
    parts: number,
  ): Promise<
    | { upload_id: string; credentials: { url: string; part_number: number; headers?: Record<string, string> }[] }
    | undefined
  > {
    const slash = path.lastIndexOf('/');
    const folder = slash === -1 ? '' : path.slice(0, slash);
    try {
      const reply = await this.http.call<{
        upload_id?: string;
        credentials?: { url: string; part_number: number; headers?: Record<string, string> }[];
      }>('POST', `mlflow-artifacts/mpu/create/${encodePath(`${root}/${folder}`)}`, {
        body: { path: path.slice(slash + 1), num_parts: parts },
      });
      if (!reply.upload_id || !Array.isArray(reply.credentials) || reply.credentials.length !== parts) return undefined;
      return { upload_id: reply.upload_id, credentials: reply.credentials };
    } catch (error) {
      if (
        isUnsupported(error) ||
        (error instanceof HttpError && /multipart upload is not supported/i.test(error.serverMessage))
      )
        return undefined;
      throw error;
    }
  }

  async finishMultipart(
    root: string,
    path: string,
    uploadId: string,
    parts: readonly { part_number: number; etag: string; url: string }[] | undefined,
  ): Promise<void> {
    const slash = path.lastIndexOf('/');
    const folder = slash === -1 ? '' : path.slice(0, slash);
    const action = parts ? 'complete' : 'abort';
    await this.http.call('POST', `mlflow-artifacts/mpu/${action}/${encodePath(`${root}/${folder}`)}`, {
      body: { path: path.slice(slash + 1), upload_id: uploadId, ...(parts ? { parts } : {}) },
    });
  }

  async ensureRegisteredModel(name: string): Promise<void> {
    try {
      await this.call('POST', 'registered-models/create', { body: { name } });
    } catch (error) {
      if (!(error instanceof HttpError && error.code === 'RESOURCE_ALREADY_EXISTS')) throw error;
    }
  }

  /** Versions of a registered model made from one run. */
  async versionsFrom(name: string, runId: string): Promise<ModelVersionInfo[]> {
    const escape = (text: string): string => text.replace(/'/g, "\\'");
    return allPages(async (token) => {
      const reply = await this.call<{ model_versions?: ModelVersionInfo[]; next_page_token?: string }>(
        'GET',
        'model-versions/search',
        {
          query: {
            filter: `name='${escape(name)}' and run_id='${escape(runId)}'`,
            max_results: 200,
            page_token: token,
          },
        },
      );
      return { items: reply.model_versions ?? [], ...(reply.next_page_token ? { next: reply.next_page_token } : {}) };
    });
  }

  async createModelVersion(fields: {
    name: string;
    source: string;
    run_id: string;
    description?: string;
    tags?: KeyValue[];
  }): Promise<string> {
    const reply = await this.call<{ model_version?: { version?: string | number } }>('POST', 'model-versions/create', {
      body: fields,
    });
    return String(reply.model_version?.version ?? '?');
  }
}
