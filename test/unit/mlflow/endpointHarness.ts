import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readsFromStore } from '../../support/storeReads';
import type { EndpointOptions } from '../../../src/mlflow/server';
import { MlflowEndpoint } from '../../../src/mlflow/server';
import { RunStore } from '../../../src/store/runStore';

export interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly raw: Buffer;
}

export interface RequestOptions {
  readonly method?: string;
  readonly body?: unknown;
  readonly rawBody?: Buffer | string;
  readonly headers?: Record<string, string>;
  /** false: send no Authorization header. */
  readonly auth?: boolean;
  /** Another endpoint's port (same token): default this harness's endpoint. */
  readonly port?: number;
}

/**
 * An endpoint on port 0 over a temporary store, and a raw HTTP client: node:http sends the path
 * exactly as written (fetch would normalise `..` away before the server could refuse it).
 */
export class Harness {
  readonly logs: string[] = [];
  private constructor(
    readonly dir: string,
    readonly store: RunStore,
    readonly endpoint: MlflowEndpoint,
  ) {}

  static async start(options: Partial<EndpointOptions> = {}): Promise<Harness> {
    const dir = join(await mkdtemp(join(tmpdir(), 'runlog-mlflow-')), '.runlog');
    const store = await RunStore.open({ dir, writer: false, version: 'test' });
    const logs: string[] = [];
    const endpoint = await MlflowEndpoint.start({
      storeDir: dir,
      reads: readsFromStore(store),
      log: (level, message) => logs.push(`${level}: ${message}`),
      ...options,
    });
    const harness = new Harness(dir, store, endpoint);
    harness.logs.push(...logs);
    (harness as { logs: string[] }).logs = logs;
    return harness;
  }

  async stop(): Promise<void> {
    await this.endpoint.close();
    this.store.close();
    await rm(join(this.dir, '..'), { recursive: true, force: true });
  }

  request(path: string, options: RequestOptions = {}): Promise<Reply> {
    const method = options.method ?? (options.body === undefined && options.rawBody === undefined ? 'GET' : 'POST');
    const payload =
      options.rawBody !== undefined
        ? Buffer.from(options.rawBody)
        : options.body !== undefined
          ? Buffer.from(JSON.stringify(options.body))
          : undefined;
    const port = options.port ?? this.endpoint.port;
    const headers: Record<string, string> = {
      Host: `127.0.0.1:${port}`,
      ...(options.auth === false ? {} : { Authorization: `Bearer ${this.endpoint.token}` }),
      ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(payload ? { 'Content-Length': String(payload.length) } : {}),
      ...options.headers,
    };
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          let body: Record<string, unknown> = {};
          if ((res.headers['content-type'] ?? '').startsWith('application/json')) {
            body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
          }
          resolve({ status: res.statusCode ?? 0, body, raw });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** POST to the tracking API. */
  post(name: string, body: unknown): Promise<Reply> {
    return this.request(`/api/2.0/mlflow/${name}`, { body });
  }

  get(name: string, query: Record<string, string | string[]> = {}): Promise<Reply> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) for (const one of [v].flat()) params.append(k, one);
    return this.request(`/api/2.0/mlflow/${name}?${params.toString()}`);
  }

  async createRun(fields: Record<string, unknown> = {}): Promise<string> {
    const reply = await this.post('runs/create', { experiment_id: '0', ...fields });
    if (reply.status !== 200) throw new Error(JSON.stringify(reply.body));
    return (reply.body['run'] as { info: { run_id: string } }).info.run_id;
  }
}

/**
 * A fresh endpoint for every test of the calling `describe` (with a new run in it when `withRun`),
 * handed to `use` before each test and stopped after it.
 */
export function harnessPerTest(
  use: (made: { h: Harness; runId: string }) => void,
  { withRun = false, ...options }: Partial<EndpointOptions> & { withRun?: boolean } = {},
): void {
  let harness: Harness | undefined;
  beforeEach(async () => {
    harness = await Harness.start(options);
    use({ h: harness, runId: withRun ? await harness.createRun() : '' });
  });
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });
}
