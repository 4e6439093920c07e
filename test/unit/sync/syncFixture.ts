// Stores, runs and a team server (the MLflow endpoint `runlog serve` runs, in this process) for the
// sync tests; and a fake server in front of it that loses answers, throttles and dies.
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer, request as httpRequest } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowEndpoint } from '../../../src/mlflow/server';
import { RunStore } from '../../../src/store/runStore';
import type { RunDetails, RunRecord } from '../../../src/store/types';
import type { HttpPolicy } from '../../../src/sync/credentials';
import { MlflowHttp } from '../../../src/sync/mlflowHttp';
import type { LocalRuns, PullSummary } from '../../../src/sync/pull';
import { pullRuns } from '../../../src/sync/pull';
import type { PushOptions, PushSummary } from '../../../src/sync/push';
import { pushRuns } from '../../../src/sync/push';
import { readsFromStore } from '../../support/storeReads';

export const T0 = 1_732_600_000_000;

export const FAST: HttpPolicy = {
  maxRetries: 3,
  backoffFactor: 0,
  backoffJitter: 0,
  timeoutMs: 10_000,
  respectRetryAfter: true,
};

export async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'runlog-sync-'));
}

export const line = (event: Record<string, unknown>): string => `${JSON.stringify(event)}\n`;

export function metricLine(ts: number, key: string, value: number | string, step: number | string): string {
  const v =
    typeof value === 'string' || !Number.isFinite(value)
      ? JSON.stringify(String(value))
      : Object.is(value, -0)
        ? '-0.0'
        : String(value);
  return `{"t":"metric","ts":${ts},"key":${JSON.stringify(key)},"value":${v},"step":${step}}\n`;
}

/** Writes a run's journal (and its artifact files, with the artifact events' digests). */
export async function writeRun(
  storeDir: string,
  id: string,
  text: string,
  files: Record<string, string> = {},
): Promise<void> {
  const dir = join(storeDir, 'runs', id);
  await mkdir(join(dir, 'artifacts'), { recursive: true });
  let events = text;
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, 'artifacts', ...path.split('/'));
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, content);
    const sha256 = createHash('sha256').update(content).digest('hex');
    events += line({ t: 'artifact', ts: T0 + 5, path, size: Buffer.byteLength(content), sha256 });
  }
  await writeFile(join(dir, 'events.jsonl'), events);
}

export function startLine(
  id: string,
  name: string,
  experiment = 'house-prices',
  extra: Record<string, unknown> = {},
): string {
  return line({ t: 'run_start', ts: T0, run_id: id, name, experiment, ...extra });
}

/** A run with every kind of event the push preserves. */
export function fullRun(id: string, name: string, points: number): string {
  let text = startLine(id, name, 'house-prices', { user: 'ada', source: 'train.py' });
  text += line({
    t: 'git',
    ts: T0 + 1,
    commit: 'c0ffee',
    branch: 'main',
    remote: 'git@example.com:team/repo.git',
    dirty: true,
    patch: 'diff --git a/train.py b/train.py\n+lr = 0.1\n',
    untracked: [{ path: 'notes.py', content: 'x = 1\n' }],
  });
  text += line({ t: 'param', ts: T0 + 2, key: 'lr', value: '0.01' });
  text += line({ t: 'param', ts: T0 + 2, key: 'model', value: 'forest' });
  text += line({ t: 'tag', ts: T0 + 3, key: 'team', value: 'vision' });
  text += line({
    t: 'input',
    ts: T0 + 3,
    name: 'houses',
    path: 'data/houses.csv',
    digest: 'd1g3st',
    shape: [100, 3],
    columns: ['a', 'b', 'c'],
  });
  for (let step = 0; step < points; step++) text += metricLine(T0 + 10 + step, 'loss', 1 / (step + 1), step);
  text += metricLine(T0 + 9, 'odd', Number.NaN, 0);
  text += metricLine(T0 + 9, 'odd', Number.POSITIVE_INFINITY, 1);
  text += metricLine(T0 + 9, 'odd', Number.NEGATIVE_INFINITY, 2);
  text += metricLine(T0 + 9, 'odd', 0.25, '9007199254740993');
  text += line({ t: 'run_end', ts: T0 + 60_000, status: 'FINISHED', exit_code: 0 });
  return text;
}

/** A team server: the MLflow endpoint over a store of its own. */
export class Team {
  private constructor(
    readonly dir: string,
    readonly store: RunStore,
    readonly endpoint: MlflowEndpoint,
  ) {}

  static async start(root: string): Promise<Team> {
    const dir = join(root, 'team', '.runlog');
    await mkdir(join(dir, 'runs'), { recursive: true });
    const store = await RunStore.open({ dir, writer: false, version: 'test' });
    const endpoint = await MlflowEndpoint.start({ storeDir: dir, reads: readsFromStore(store), log: () => undefined });
    return new Team(dir, store, endpoint);
  }

  get uri(): string {
    return this.endpoint.uri;
  }

  get token(): string {
    return this.endpoint.token;
  }

  async runs(): Promise<RunRecord[]> {
    await this.store.syncJournals();
    return this.store.query('listRuns', { deleted: 'all' }).runs;
  }

  async close(): Promise<void> {
    await this.endpoint.close();
    this.store.close();
  }
}

export function connect(
  uri: string,
  token: string,
  policy: HttpPolicy = FAST,
  extra: { sleeps?: number[]; signal?: AbortSignal } = {},
): Promise<MlflowHttp> {
  return MlflowHttp.open(
    { uri, credentials: { token }, tls: { insecure: false }, policy },
    {
      ...(extra.signal ? { signal: extra.signal } : {}),
      sleep: (ms) => {
        extra.sleeps?.push(ms);
        return Promise.resolve();
      },
    },
  );
}

/** A store opened as the CLI opens it, read again on each call. */
export async function openStore(dir: string): Promise<RunStore> {
  await mkdir(join(dir, 'runs'), { recursive: true });
  return RunStore.open({ dir, writer: false, version: 'test' });
}

export function localRuns(store: RunStore): LocalRuns {
  return {
    getRun: async (id) => {
      await store.syncJournals();
      return store.query('getRun', id);
    },
    series: (id, key) => Promise.resolve(store.query('series', id, key, 'step')),
  };
}

/** Pushes every active run of the store at `dir`, as `runlog push` does without RUNs. */
export async function push(dir: string, http: MlflowHttp, extra: Partial<PushOptions> = {}): Promise<PushSummary> {
  const store = await openStore(dir);
  try {
    const runs = store
      .query('listRuns', { deleted: 'active' })
      .runs.map((r) => store.query('getRun', r.id))
      .filter((r): r is RunDetails => r !== undefined);
    return await pushRuns({ storeDir: dir, runs, http, models: store.query('registeredModels'), ...extra });
  } finally {
    store.close();
  }
}

/** Pulls every run of every experiment into the store at `dir`. */
export async function pull(dir: string, http: MlflowHttp, artifacts = true): Promise<PullSummary> {
  const store = await openStore(dir);
  try {
    return await pullRuns({ storeDir: dir, http, local: localRuns(store), artifacts });
  } finally {
    store.close();
  }
}

export async function removeRoot(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}

/** What the fake server does with one request. */
export type Fault =
  | 'forward'
  /** Forward it, then cut the connection instead of answering: processed, answer lost. */
  | 'drop'
  | { readonly status: 429 | 503 | 500 | 400; readonly retryAfter?: string };

/**
 * A server in front of the team's: each request is forwarded, or answered by `fault(request)`.
 * `die()` stops it mid-push (every connection cut); `requests` lists what reached it.
 */
export class FakeServer {
  readonly requests: string[] = [];
  readonly forwarded: string[] = [];
  private readonly sockets = new Set<Socket>();
  private constructor(
    private server: Server,
    readonly port: number,
    private readonly upstream: number,
    private readonly fault: (method: string, path: string, index: number) => Fault,
  ) {}

  static async start(upstream: number, fault: FakeServer['fault'], port = 0): Promise<FakeServer> {
    const holder: { fake?: FakeServer } = {};
    const server = createServer((req, res) => holder.fake?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const fake = new FakeServer(server, (server.address() as AddressInfo).port, upstream, fault);
    holder.fake = fake;
    server.on('connection', (socket) => {
      fake.sockets.add(socket);
      socket.on('close', () => fake.sockets.delete(socket));
    });
    return fake;
  }

  get uri(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    const index = this.requests.push(`${method} ${path}`) - 1;
    const fault = this.fault(method, path, index);
    if (typeof fault === 'object') {
      req.resume();
      res.writeHead(fault.status, {
        'Content-Type': 'application/json',
        ...(fault.retryAfter !== undefined ? { 'Retry-After': fault.retryAfter } : {}),
      });
      res.end(
        JSON.stringify({
          error_code: fault.status === 400 ? 'INVALID_PARAMETER_VALUE' : 'TEMPORARILY_UNAVAILABLE',
          message: 'fake',
        }),
      );
      return;
    }
    this.forwarded.push(`${method} ${path}`);
    const headers = { ...req.headers, host: `127.0.0.1:${this.upstream}` };
    const up = httpRequest({ host: '127.0.0.1', port: this.upstream, method, path, headers }, (answer) => {
      if (fault === 'drop') {
        answer.resume();
        answer.on('end', () => res.socket?.destroy());
        return;
      }
      res.writeHead(answer.statusCode ?? 500, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  }

  /** Stops listening and cuts every connection, as a server that dies. */
  async die(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async revive(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
  }

  close(): Promise<void> {
    return this.die();
  }
}
