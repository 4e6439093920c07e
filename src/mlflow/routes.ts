/**
 * The endpoint's route table: every MLflow REST path it serves, every other path of MLflow's protos
 * (`service.proto`, `model_registry.proto`, `webhooks.proto`, `mlflow_artifacts.proto`) it refuses
 * with a reason (refusals.ts), and how a request path finds its route. docs/MLFLOW_ENDPOINTS.md is
 * written from this table (scripts/mlflowEndpoints.mjs), and a unit test fails when they differ.
 */
import type { Route, RouteSet } from './context';
import { ARTIFACT_LIST_ROUTES, ARTIFACT_ROUTES } from './artifacts';
import { EXPERIMENT_ROUTES } from './experimentHandlers';
import { LOGGED_MODEL_ROUTES } from './loggedModelHandlers';
import { METRIC_ROUTES } from './metricHandlers';
import type { RefusedEndpoint } from './refusals';
import { REFUSED_ENDPOINTS } from './refusals';
import { REGISTRY_ROUTES } from './registryHandlers';
import { RUN_ROUTES } from './runHandlers';
import { SERVER_ROUTES } from './serverInfo';
import { VERSION_ROUTES } from './versionHandlers';

/** One served path: `/api/<version>.0/<path>` (and `/ajax-api/…`), `{name}` one segment, `<path:name>` the rest. */
export interface ServedEndpoint {
  readonly version: number;
  readonly path: string;
  readonly route: Route;
}

function served(version: number, prefix: string, routes: RouteSet): ServedEndpoint[] {
  return Object.entries(routes).flatMap(([path, entry]) =>
    (Array.isArray(entry) ? (entry as readonly Route[]) : [entry as Route]).map((route) => ({
      version,
      path: `${prefix}${path}`,
      route,
    })),
  );
}

export const SERVED_ENDPOINTS: readonly ServedEndpoint[] = [
  ...served(2, 'mlflow/', EXPERIMENT_ROUTES),
  ...served(2, 'mlflow/', RUN_ROUTES),
  ...served(2, 'mlflow/', ARTIFACT_LIST_ROUTES),
  ...served(2, 'mlflow/', METRIC_ROUTES),
  ...served(2, 'mlflow/', LOGGED_MODEL_ROUTES),
  ...served(2, 'mlflow/', REGISTRY_ROUTES),
  ...served(2, 'mlflow/', VERSION_ROUTES),
  ...served(2, 'mlflow-artifacts/', ARTIFACT_ROUTES),
  ...served(3, 'mlflow/', SERVER_ROUTES),
];

export { REFUSED_ENDPOINTS };

interface Compiled<T> {
  readonly version: number;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  /** The names of `<path:…>` parameters: they stay percent-encoded. */
  readonly rest: readonly string[];
  readonly methods: readonly string[];
  readonly entry: T;
}

/** A path template as a pattern over the raw (still percent-encoded) path. */
function compile(path: string): { pattern: RegExp; names: string[]; rest: string[] } {
  const names: string[] = [];
  const restNames: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const rest = /^<path:(\w+)>$/.exec(segment);
      if (rest?.[1]) {
        names.push(rest[1]);
        restNames.push(rest[1]);
        return '(.*)';
      }
      const param = /^\{([\w.]+)\}$/.exec(segment);
      if (param?.[1]) {
        names.push(param[1]);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { pattern: new RegExp(`^${source}$`), names, rest: restNames };
}

const COMPILED_SERVED: readonly Compiled<Route>[] = SERVED_ENDPOINTS.map((e) => ({
  version: e.version,
  ...compile(e.path),
  methods: e.route.methods,
  entry: e.route,
}));
const COMPILED_REFUSED: readonly Compiled<RefusedEndpoint>[] = REFUSED_ENDPOINTS.map((e) => ({
  version: e.version,
  ...compile(e.path),
  methods: e.methods,
  entry: e,
}));

export type RouteMatch =
  | { readonly kind: 'served'; readonly route: Route; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'refused'; readonly refused: RefusedEndpoint }
  | { readonly kind: 'missing' };

/** The API prefixes, with the major version each serves. */
const PREFIX = /^\/(?:api|ajax-api)\/(\d+)\.0\/(.*)$/;

/**
 * The route of a request: a served one with its path parameters (decoded once; a `<path:…>` one
 * stays encoded, for artifactSegments to check), a refused one, or none.
 */
export function matchRoute(method: string, rawPath: string): RouteMatch {
  const prefix = PREFIX.exec(rawPath);
  if (!prefix) return { kind: 'missing' };
  const version = Number(prefix[1]);
  const rest = prefix[2] ?? '';
  const find = <T>(table: readonly Compiled<T>[]): { compiled: Compiled<T>; match: RegExpExecArray } | undefined => {
    for (const compiled of table) {
      const match = compiled.version === version ? compiled.pattern.exec(rest) : null;
      if (match && compiled.methods.includes(method)) return { compiled, match };
    }
    return undefined;
  };
  const served = find(COMPILED_SERVED);
  if (served) {
    const params: Record<string, string> = {};
    served.compiled.names.forEach((name, i) => {
      const raw = served.match[i + 1] ?? '';
      params[name] = served.compiled.rest.includes(name) ? raw : safeDecode(raw);
    });
    return { kind: 'served', route: served.compiled.entry, params };
  }
  const refused = find(COMPILED_REFUSED);
  return refused ? { kind: 'refused', refused: refused.compiled.entry } : { kind: 'missing' };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
