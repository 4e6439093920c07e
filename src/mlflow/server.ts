/**
 * The MLflow tracking endpoint: Node's `http` on 127.0.0.1, MLflow's REST paths under both
 * `/api/2.0/mlflow/` and `/ajax-api/2.0/mlflow/`, and the `mlflow-artifacts` proxy. Every request
 * passes the gate in security.ts before a handler sees it; refusals are logged with the reason.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listArtifacts, proxyDownload, proxyList, proxyUpload } from './artifacts';
import type { LogLevel, Route } from './context';
import { EndpointContext } from './context';
import { EXPERIMENT_ROUTES } from './experimentHandlers';
import { ALIAS_HANDLERS, REGISTRY_ROUTES } from './registryHandlers';
import { RUN_ROUTES } from './runHandlers';
import {
  Refusal,
  checkAuthorization,
  checkHost,
  checkJsonContentType,
  checkOrigin,
  newToken,
  reencodePath,
} from './security';
import type { StoreReads } from './storeReads';
import type { Fields } from './wire';
import { MlflowError, optionalString, parseJsonBody, queryFields } from './wire';

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

const ROUTES: Readonly<Record<string, Route>> = {
  ...EXPERIMENT_ROUTES,
  ...RUN_ROUTES,
  ...REGISTRY_ROUTES,
  'artifacts/list': { methods: ['GET'], handler: listArtifacts },
};

const API_PREFIXES = ['/api/2.0/mlflow/', '/ajax-api/2.0/mlflow/'];
const ARTIFACT_PREFIXES = ['/api/2.0/mlflow-artifacts/artifacts', '/ajax-api/2.0/mlflow-artifacts/artifacts'];
const BODY_METHODS = ['POST', 'PATCH', 'PUT'];

const REFUSAL_CODES: Readonly<Record<Refusal['status'], string>> = {
  400: 'INVALID_PARAMETER_VALUE',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  413: 'REQUEST_LIMIT_EXCEEDED',
  415: 'BAD_REQUEST',
};

function send(res: ServerResponse, status: number, body: object): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

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
    const artifactPrefix = ARTIFACT_PREFIXES.find((p) => path === p || path.startsWith(`${p}/`));
    if (artifactPrefix !== undefined) {
      const rest = path.slice(artifactPrefix.length + 1);
      if (method === 'PUT') {
        send(res, 200, await proxyUpload(gate.context, rest, req, gate.limits.upload));
      } else if (method === 'GET' && rest === '') {
        const dir = optionalString(queryFields(query), 'path') ?? '';
        send(res, 200, await proxyList(gate.context, reencodePath(dir)));
      } else if (method === 'GET') {
        await proxyDownload(gate.context, rest, res);
      } else {
        throw new MlflowError('ENDPOINT_NOT_FOUND', `${method} is not supported on artifacts.`);
      }
      return;
    }
    const prefix = API_PREFIXES.find((p) => path.startsWith(p));
    const name = prefix === undefined ? undefined : path.slice(prefix.length);
    const route = name === undefined ? undefined : ROUTES[name];
    if (!route || !route.methods.includes(method)) {
      throw new MlflowError('ENDPOINT_NOT_FOUND', `No endpoint ${method} ${path.slice(0, 200)}.`);
    }
    let fields: Fields = queryFields(query);
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (BODY_METHODS.includes(method) || hasBody) {
      checkJsonContentType(req.headers['content-type']);
      const body = await readBody(req, gate.limits.json);
      const fast = route.fastBody?.(gate.context, body, fields);
      if (fast) {
        send(res, 200, await fast);
        return;
      }
      fields = { ...fields, ...parseJsonBody(body.toString('utf8')) };
    }
    const handler = name === 'registered-models/alias' ? (ALIAS_HANDLERS[method] ?? route.handler) : route.handler;
    send(res, 200, await handler(gate.context, fields));
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
