/**
 * The MLflow tracking endpoint: Node's `http` on 127.0.0.1, MLflow's REST paths under both
 * `/api/<version>.0/` and `/ajax-api/<version>.0/` as the route table (routes.ts) has them, and the
 * `mlflow-artifacts` proxy. Every request passes the gate in security.ts before a handler sees it;
 * refusals are logged with the reason.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogLevel } from './context';
import { EndpointContext, sendJson as send } from './context';
import { matchRoute } from './routes';
import { Refusal, checkAuthorization, checkHost, checkJsonContentType, checkOrigin, newToken } from './security';
import type { StoreReads } from './storeReads';
import type { Fields } from './wire';
import { MlflowError, parseJsonBody, queryFields } from './wire';

export const MAX_JSON_BYTES = 16 * 1024 * 1024;
export const MAX_UPLOAD_BYTES = 4 * 1024 * 1024 * 1024;

export interface EndpointOptions {
  readonly storeDir: string;
  readonly reads: StoreReads;
  readonly log: (level: LogLevel, message: string) => void;
  /** 0 (the default): a free port the system picks. */
  readonly port?: number;
  readonly token?: string;
  readonly maxJsonBytes?: number;
  readonly maxUploadBytes?: number;
}

const BODY_METHODS = ['POST', 'PATCH', 'PUT'];

const REFUSAL_CODES: Readonly<Record<Refusal['status'], string>> = {
  400: 'INVALID_PARAMETER_VALUE',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  413: 'REQUEST_LIMIT_EXCEEDED',
  415: 'BAD_REQUEST',
};

/** Reads a body of at most `limit` bytes; the rest of a larger one is drained and dropped. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limit) reject(new Refusal(413, `the request body is larger than ${limit} bytes`));
      else resolve(Buffer.concat(chunks, size));
    });
    req.on('error', reject);
  });
}

export class MlflowEndpoint {
  private constructor(
    private readonly server: ReturnType<typeof createServer>,
    readonly port: number,
    readonly token: string,
  ) {}

  static async start(options: EndpointOptions): Promise<MlflowEndpoint> {
    const token = options.token ?? newToken();
    const context = new EndpointContext(options.storeDir, options.reads, options.log);
    const limits = {
      json: options.maxJsonBytes ?? MAX_JSON_BYTES,
      upload: options.maxUploadBytes ?? MAX_UPLOAD_BYTES,
    };
    let port = 0;
    const server = createServer((req, res) => {
      void handle(req, res, { context, token, port: () => port, limits, log: options.log });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // Loopback only: nothing on the network can reach it.
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    port = (server.address() as AddressInfo).port;
    return new MlflowEndpoint(server, port, token);
  }

  get uri(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What a launched run needs to log into this endpoint (and into `runId`, when given). */
  env(runId?: string): Record<string, string> {
    return {
      MLFLOW_TRACKING_URI: this.uri,
      MLFLOW_TRACKING_TOKEN: this.token,
      ...(runId ? { MLFLOW_RUN_ID: runId } : {}),
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** What a client is told of an unexpected failure: the reason, with the store's paths made relative. */
function internalMessage(error: unknown, storeDir: string): string {
  return String(error).split(storeDir).join('<store>');
}

interface Gate {
  readonly context: EndpointContext;
  readonly token: string;
  readonly port: () => number;
  readonly limits: { readonly json: number; readonly upload: number };
  readonly log: (level: LogLevel, message: string) => void;
}

async function handle(req: IncomingMessage, res: ServerResponse, gate: Gate): Promise<void> {
  const url = req.url ?? '/';
  const method = (req.method ?? 'GET').toUpperCase();
  const question = url.indexOf('?');
  // The raw path, never normalised by a URL parser: `..` and `%2e` must reach the checks as sent.
  const path = question === -1 ? url : url.slice(0, question);
  const query = question === -1 ? '' : url.slice(question + 1);
  try {
    checkHost(req.headers.host, gate.port());
    checkOrigin(req.headers.origin);
    checkAuthorization(req.headers.authorization, gate.token);
    const match = matchRoute(method, path);
    if (match.kind === 'refused') throw new MlflowError('ENDPOINT_NOT_FOUND', match.refused.message);
    if (match.kind === 'missing') {
      throw new MlflowError('ENDPOINT_NOT_FOUND', `No endpoint ${method} ${path.slice(0, 200)}.`);
    }
    const { route, params } = match;
    if ('stream' in route) {
      await route.stream(gate.context, params, queryFields(query), { req, res, uploadLimit: gate.limits.upload });
      return;
    }
    // Path parameters ({model_id}) join the query's fields and win over a body's.
    let fields: Fields = { ...queryFields(query), ...params };
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (BODY_METHODS.includes(method) || hasBody) {
      checkJsonContentType(req.headers['content-type']);
      const body = await readBody(req, gate.limits.json);
      const fast = route.fastBody?.(gate.context, body, fields);
      if (fast) {
        send(res, 200, await fast);
        return;
      }
      fields = { ...fields, ...parseJsonBody(body.toString('utf8')), ...params };
    }
    send(res, 200, await route.handler(gate.context, fields));
  } catch (error) {
    if (error instanceof Refusal) {
      gate.log('warn', `MLflow endpoint refused ${method} ${path.slice(0, 200)}: ${error.reason}`);
      req.resume();
      send(res, error.status, { error_code: REFUSAL_CODES[error.status], message: error.reason });
    } else if (error instanceof MlflowError) {
      req.resume();
      send(res, error.status, { error_code: error.code, message: error.message });
    } else {
      gate.log('error', `MLflow endpoint: ${method} ${path.slice(0, 200)} failed: ${String(error)}`);
      req.resume();
      send(res, 500, { error_code: 'INTERNAL_ERROR', message: internalMessage(error, gate.context.storeDir) });
    }
  }
}
