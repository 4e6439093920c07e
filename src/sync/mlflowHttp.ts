/**
 * HTTP to a tracking server, the way MLflow's client does it (mlflow/utils/rest_utils.py), with the
 * one thing it gets wrong fixed. Requests carry MLflow's Authorization header; HTTPS is verified
 * unless MLFLOW_TRACKING_INSECURE_TLS says otherwise. 408, 429, 5xx (but 501 and 505, which no
 * retry changes) and connection failures are retried with exponential backoff and jitter, waiting
 * what `Retry-After` asks (at most 5 minutes); other 4xx are not retried.
 *
 * What MLflow gets wrong (#8238): it retries every request blindly, so a `runs/create` whose answer
 * was lost creates a second run. Here a request that changes something and is not idempotent says
 * what to do when its fate is unknown (`uncertain`): the caller looks at the server and either
 * finds the work done or says what to send again. A failure is uncertain when the request may have
 * been processed: the connection broke after it was sent, the answer timed out, or the server said
 * 500, 502 or 504. 408, 429 and 503 and a refused connection mean it was not.
 *
 * Nothing here writes a credential into a message: errors name the server by its URI, which holds
 * none (serverUri.ts).
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { quoteBigIntegers } from '../mlflow/wire';
import type { Credentials, HttpPolicy, TlsSettings } from './credentials';
import { authorizationHeader } from './credentials';
import type { Answer } from './httpErrors';
import { CancelledError, ConnectionError, HttpError, answerError, backoffMs, cleanText } from './httpErrors';

export interface Connection {
  /** normalizeServerUri's form: no credentials, no trailing slash. */
  readonly uri: string;
  readonly credentials: Credentials;
  readonly tls: TlsSettings;
  readonly policy: HttpPolicy;
}

export interface HttpOptions {
  readonly signal?: AbortSignal;
  /** Sockets kept open to the server (default 8). */
  readonly sockets?: number;
  /** For tests: how to wait, and the jitter's randomness. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

/** What a caller decides after a request whose fate is unknown: the work is done, or send this. */
export type Uncertain<T> = { readonly done: T } | { readonly resend: string };

export interface CallOptions<T> {
  readonly query?: Readonly<Record<string, string | number | readonly string[] | undefined>>;
  /** A JSON body: an object, or its text already encoded. */
  readonly body?: unknown;
  /** Set for a request that must not simply be sent twice (see the file's comment). */
  readonly uncertain?: () => Promise<Uncertain<T>>;
}

/** What went over the wire: `writes` counts requests that change the server (searches are reads). */
export interface HttpStats {
  requests: number;
  writes: number;
  bytesSent: number;
}

const MAX_JSON_BYTES = 256 * 1024 * 1024;
/** Statuses that no retry changes, although they are 5xx. */
const PERMANENT_5XX = [501, 505];
/** Answers that say the request was not processed. */
const NOT_PROCESSED = [408, 429, 503];
/** Connection errors that happen before anything was sent. */
const NOT_SENT = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'];
const TLS_VERIFY = /CERT|SELF_SIGNED|UNABLE_TO_(?:GET|VERIFY)|HOSTNAME|ERR_TLS|DEPTH_ZERO/;

/** One attempt's failure, classified for the retry loop. */
class AttemptFailure extends Error {
  constructor(
    readonly final: Error,
    readonly retryable: boolean,
    /** The request may have been processed. */
    readonly uncertain: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(final.message);
  }
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CancelledError());
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function queryString(query: CallOptions<unknown>['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) params.append(key, v);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** A client of one tracking server: keep-alive sockets, MLflow's auth, TLS and retries. */
export class MlflowHttp {
  readonly stats: HttpStats = { requests: 0, writes: 0, bytesSent: 0 };
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly base: URL;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;

  private constructor(
    readonly connection: Connection,
    agent: HttpAgent | HttpsAgent,
    private readonly options: HttpOptions,
  ) {
    this.agent = agent;
    this.base = new URL(connection.uri);
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
  }

  /** Reads the certificate files the TLS settings name (a missing file is an error that says which). */
  static async open(connection: Connection, options: HttpOptions = {}): Promise<MlflowHttp> {
    const sockets = options.sockets ?? 8;
    if (!connection.uri.startsWith('https:')) {
      return new MlflowHttp(connection, new HttpAgent({ keepAlive: true, maxSockets: sockets }), options);
    }
    const read = async (path: string | undefined, what: string): Promise<Buffer | undefined> => {
      if (!path) return undefined;
      try {
        return await readFile(path);
      } catch (error) {
        throw new Error(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
          cause: error,
        });
      }
    };
    const ca = await read(connection.tls.serverCertPath, 'the server certificate (MLFLOW_TRACKING_SERVER_CERT_PATH)');
    const client = await read(
      connection.tls.clientCertPath,
      'the client certificate (MLFLOW_TRACKING_CLIENT_CERT_PATH)',
    );
    const agent = new HttpsAgent({
      keepAlive: true,
      maxSockets: sockets,
      rejectUnauthorized: !connection.tls.insecure,
      ...(ca ? { ca } : {}),
      // One PEM with both, as `requests` takes it: Node picks the certificate and the key out of it.
      ...(client ? { cert: client, key: client } : {}),
    });
    return new MlflowHttp(connection, agent, options);
  }

  get uri(): string {
    return this.connection.uri;
  }

  /** `GET`/`POST` of a REST endpoint under `/api/2.0/` (`mlflow/runs/create`), JSON in and out. */
  async call<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    endpoint: string,
    options: CallOptions<T> = {},
  ): Promise<T> {
    const path = `${this.base.pathname.replace(/\/$/, '')}/api/2.0/${endpoint}${queryString(options.query)}`;
    let body: string | undefined =
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body);
    const write = method !== 'GET' && !endpoint.endsWith('/search');
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await this.attempt(method, path, body, write);
        return parseJson<T>(answer.body, `${method} ${endpoint}`);
      } catch (error) {
        const failure = this.classify(error, `${method} ${endpoint}`);
        if (!failure.retryable || attempt >= this.connection.policy.maxRetries) throw failure.final;
        await this.wait(attempt + 1, failure.retryAfterMs);
        if (failure.uncertain && options.uncertain) {
          const decision = await options.uncertain();
          if ('done' in decision) return decision.done;
          body = decision.resend;
        }
      }
    }
  }

  /**
   * PUT of a file (an artifact) to a path under `/api/2.0/`, streamed; a failed upload starts again
   * from its first byte (`open` gives a fresh stream each time). PUT overwrites: retrying is safe.
   */
  async put(endpoint: string, open: () => Promise<Readable>, size: number): Promise<void> {
    const path = `${this.base.pathname.replace(/\/$/, '')}/api/2.0/${endpoint}`;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.attempt('PUT', path, open, true, size);
        return;
      } catch (error) {
        const failure = this.classify(error, `PUT ${endpoint.split('/').slice(0, 3).join('/')}/…`);
        if (!failure.retryable || attempt >= this.connection.policy.maxRetries) throw failure.final;
        await this.wait(attempt + 1, failure.retryAfterMs);
      }
    }
  }

  /** GET of a file under `/api/2.0/`, streamed into `sink`; a broken download starts again (`sink` is told). */
  async download(endpoint: string, sink: (stream: IncomingMessage) => Promise<void>): Promise<void> {
    const path = `${this.base.pathname.replace(/\/$/, '')}/api/2.0/${endpoint}`;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.attempt('GET', path, undefined, false, undefined, sink);
        return;
      } catch (error) {
        const failure = this.classify(error, `GET ${endpoint.split('/').slice(0, 3).join('/')}/…`);
        if (!failure.retryable || attempt >= this.connection.policy.maxRetries) throw failure.final;
        await this.wait(attempt + 1, failure.retryAfterMs);
      }
    }
  }

  /**
   * PUT of one part of a multipart upload to the presigned URL the server gave (cloud storage): no
   * Authorization header goes there, the URL authorizes itself. Returns the part's ETag.
   */
  async putPart(url: string, data: Buffer, headers: Readonly<Record<string, string>>): Promise<string> {
    const target = new URL(url);
    if (target.protocol !== 'https:' && target.protocol !== 'http:') {
      throw new Error(`the server gave a part URL of scheme ${target.protocol}`);
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await this.send(
          target,
          'PUT',
          data,
          { ...headers, 'Content-Length': String(data.length) },
          true,
        );
        const etag = answer.headers.etag;
        return typeof etag === 'string' ? etag : '';
      } catch (error) {
        const failure = this.classify(error, 'PUT of an upload part');
        if (!failure.retryable || attempt >= this.connection.policy.maxRetries) throw failure.final;
        await this.wait(attempt + 1, failure.retryAfterMs);
      }
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private async wait(retry: number, retryAfter: number | undefined): Promise<void> {
    const ms =
      retryAfter !== undefined && this.connection.policy.respectRetryAfter
        ? retryAfter
        : backoffMs(this.connection.policy, retry, this.random);
    if (ms > 0) await this.sleep(ms, this.options.signal);
    else if (this.options.signal?.aborted) throw new CancelledError();
  }

  private attempt(
    method: string,
    path: string,
    body: string | (() => Promise<Readable>) | undefined,
    write: boolean,
    size?: number,
    sink?: (stream: IncomingMessage) => Promise<void>,
  ): Promise<Answer> {
    const url = new URL(path, this.base);
    const auth = authorizationHeader(this.connection.credentials);
    const headers: OutgoingHttpHeaders = {
      Accept: 'application/json',
      'User-Agent': 'runlog-sync',
      ...(auth ? { Authorization: auth } : {}),
    };
    if (typeof body === 'string') {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    } else if (body) {
      headers['Content-Type'] = 'application/octet-stream';
      headers['Content-Length'] = size ?? 0;
    }
    return this.send(url, method, body, headers, write, sink);
  }

  private async send(
    url: URL,
    method: string,
    body: string | Buffer | (() => Promise<Readable>) | undefined,
    headers: OutgoingHttpHeaders,
    write: boolean,
    sink?: (stream: IncomingMessage) => Promise<void>,
  ): Promise<Answer> {
    const signal = this.options.signal;
    if (signal?.aborted) throw new CancelledError();
    const stream = typeof body === 'function' ? await body() : undefined;
    this.stats.requests++;
    if (write) this.stats.writes++;
    const external = url.origin !== this.base.origin;
    return new Promise<Answer>((resolve, reject) => {
      let settled = false;
      const done = (error: Error | undefined, answer?: Answer): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        stream?.destroy();
        if (error) reject(error);
        else resolve(answer as Answer);
      };
      const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = request(
        url,
        { method, headers, ...(external ? {} : { agent: this.agent }), timeout: this.connection.policy.timeoutMs },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status === 200 && sink) {
            sink(res).then(
              () => done(undefined, { status, headers: res.headers, body: Buffer.alloc(0) }),
              (error: unknown) => {
                res.destroy();
                done(error instanceof Error ? error : new Error(String(error)));
              },
            );
            return;
          }
          const chunks: Buffer[] = [];
          let length = 0;
          res.on('data', (chunk: Buffer) => {
            length += chunk.length;
            if (length > MAX_JSON_BYTES) {
              res.destroy(new Error(`the answer is larger than ${MAX_JSON_BYTES >> 20} MB`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => done(undefined, { status, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', (error) => done(error));
        },
      );
      const onAbort = (): void => {
        req.destroy(new CancelledError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (error) => done(error));
      if (stream) {
        stream.on('error', (error) => req.destroy(error));
        stream.on('data', (chunk: Buffer) => (this.stats.bytesSent += chunk.length));
        stream.pipe(req);
      } else {
        if (body !== undefined && typeof body !== 'function') this.stats.bytesSent += Buffer.byteLength(body);
        req.end(body as string | Buffer | undefined);
      }
    }).then((answer) => {
      if (answer.status === 200) return answer;
      throw answerError(answer, `${method} ${url.pathname}`, this.connection.uri);
    });
  }

  private classify(error: unknown, what: string): AttemptFailure {
    if (error instanceof CancelledError || this.options.signal?.aborted) {
      return new AttemptFailure(new CancelledError(), false, false);
    }
    if (error instanceof HttpError) {
      const status = error.status;
      const retryable = status === 408 || status === 429 || (status >= 500 && !PERMANENT_5XX.includes(status));
      const after = (error as HttpError & { retryAfter?: number }).retryAfter;
      return new AttemptFailure(error, retryable, !NOT_PROCESSED.includes(status), after);
    }
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const reason = (error as Error).message || String(error);
    if (TLS_VERIFY.test(code)) {
      return new AttemptFailure(
        new ConnectionError(
          `${this.connection.uri}: the server's TLS certificate could not be verified (${cleanText(reason)}); give its CA in MLFLOW_TRACKING_SERVER_CERT_PATH, or set MLFLOW_TRACKING_INSECURE_TLS=true to skip verifying it`,
        ),
        false,
        false,
      );
    }
    if (error instanceof SyntaxError || (error as Error).name === 'ResponseError') {
      return new AttemptFailure(error as Error, false, false);
    }
    const message =
      code === 'ETIMEDOUT'
        ? `${this.connection.uri} did not answer ${what} within ${this.connection.policy.timeoutMs / 1000} s (MLFLOW_HTTP_REQUEST_TIMEOUT)`
        : `${this.connection.uri} could not be reached for ${what}: ${cleanText(code || reason)}`;
    return new AttemptFailure(new ConnectionError(message), true, !NOT_SENT.includes(code));
  }
}

function parseJson<T>(body: Buffer, what: string): T {
  const text = body.toString('utf8');
  if (text.trim() === '') return {} as T;
  try {
    return JSON.parse(quoteBigIntegers(text)) as T;
  } catch {
    const error = new Error(`the server's answer to ${what} is not JSON: ${cleanText(text, 120)}`);
    error.name = 'ResponseError';
    throw error;
  }
}
