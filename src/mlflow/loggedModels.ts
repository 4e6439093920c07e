/**
 * MLflow 3's logged models as the endpoint speaks of them: the `LoggedModel` entity of
 * `service.proto`, the status enum (by name or number), ids, and `search-logged-models`' filter and
 * order. The models themselves live in `<store>/models/events.jsonl` (journal format 3); reads go
 * through the store's `loggedModels` query.
 */
import { randomBytes } from 'node:crypto';
import { encodeWireNumber } from '../store/events';
import type { LoggedModelRecord } from '../store/types';
import { likeComparer } from './experimentHandlers';
import type { Fields } from './wire';
import { invalid } from './wire';

/** MLflow's logged model ids: `m-` and 32 hex digits. */
export function newModelId(): string {
  return `m-${randomBytes(16).toString('hex')}`;
}

/** Where a logged model's files are, as MLflow lays it out under the experiment's artifact root. */
export function loggedModelArtifactUri(model: { experimentId: string; id: string }): string {
  return `mlflow-artifacts:/${model.experimentId}/models/${model.id}/artifacts`;
}

const STATUS_NAMES = {
  PENDING: 'LOGGED_MODEL_PENDING',
  READY: 'LOGGED_MODEL_READY',
  FAILED: 'LOGGED_MODEL_UPLOAD_FAILED',
} as const;

/**
 * `FinalizeLoggedModel.status`, as MLflow's client sends it (the enum's name, from protobuf's JSON)
 * or as a number: READY or FAILED; anything else is refused.
 */
export function finalStatus(raw: unknown): 'READY' | 'FAILED' {
  if (raw === 'LOGGED_MODEL_READY' || raw === 2 || raw === '2' || raw === 'READY') return 'READY';
  if (raw === 'LOGGED_MODEL_UPLOAD_FAILED' || raw === 3 || raw === '3' || raw === 'FAILED') return 'FAILED';
  throw invalid(
    `Invalid value for parameter 'status': a logged model is finalized as LOGGED_MODEL_READY (2) or LOGGED_MODEL_UPLOAD_FAILED (3), not ${JSON.stringify(raw ?? null)}.`,
  );
}

const pairs = (record: Readonly<Record<string, string>>): { key: string; value: string }[] =>
  Object.entries(record).map(([key, value]) => ({ key, value }));

/** A logged model as `GetLoggedModel` and `SearchLoggedModels` answer it. */
export function loggedModelEntity(model: LoggedModelRecord): Record<string, unknown> {
  return {
    info: {
      model_id: model.id,
      experiment_id: model.experimentId,
      name: model.name,
      creation_timestamp_ms: model.created,
      last_updated_timestamp_ms: model.updated,
      artifact_uri: loggedModelArtifactUri(model),
      status: STATUS_NAMES[model.status],
      ...(model.modelType ? { model_type: model.modelType } : {}),
      ...(model.sourceRunId ? { source_run_id: model.sourceRunId } : {}),
      tags: pairs(model.tags),
      registrations: model.registrations.map((r) => ({ name: r.name, version: String(r.version) })),
    },
    data: {
      params: pairs(model.params),
      metrics: model.metrics.map((m) => ({
        key: m.key,
        value: encodeWireNumber(m.value),
        timestamp: m.time,
        step: m.step,
        model_id: model.id,
        ...(m.runId ? { run_id: m.runId } : {}),
        ...(m.datasetName ? { dataset_name: m.datasetName } : {}),
        ...(m.datasetDigest ? { dataset_digest: m.datasetDigest } : {}),
      })),
    },
  };
}

/** The datasets a search's metric clauses and orderings look at (none: every metric). */
export interface DatasetScope {
  readonly name: string;
  readonly digest?: string;
}

/** A model's latest value of a metric (by step, then time), from the datasets in scope. */
function metricValue(model: LoggedModelRecord, key: string, datasets: readonly DatasetScope[]): number | undefined {
  let best: LoggedModelRecord['metrics'][number] | undefined;
  for (const m of model.metrics) {
    if (m.key !== key) continue;
    if (
      datasets.length > 0 &&
      !datasets.some((d) => d.name === m.datasetName && (d.digest === undefined || d.digest === m.datasetDigest))
    ) {
      continue;
    }
    if (!best || m.step > best.step || (m.step === best.step && m.time >= best.time)) best = m;
  }
  return best?.value;
}

type Value = string | number | undefined;

const ATTRIBUTES = new Set([
  'name',
  'model_id',
  'model_type',
  'status',
  'source_run_id',
  'experiment_id',
  'creation_timestamp',
  'creation_time',
  'creation_timestamp_ms',
  'last_updated_timestamp',
  'last_updated_timestamp_ms',
]);

function checkAttribute(name: string): string {
  if (!ATTRIBUTES.has(name)) {
    throw invalid(`Invalid attribute '${name}' of a logged model: one of ${[...ATTRIBUTES].join(', ')}.`);
  }
  return name;
}

/** A model's attribute by MLflow's names for it (checkAttribute first). */
function attribute(model: LoggedModelRecord, name: string): Value {
  switch (name) {
    case 'name':
      return model.name;
    case 'model_id':
      return model.id;
    case 'model_type':
      return model.modelType ?? undefined;
    case 'status':
      return STATUS_NAMES[model.status];
    case 'source_run_id':
      return model.sourceRunId ?? undefined;
    case 'experiment_id':
      return model.experimentId;
    case 'creation_timestamp':
    case 'creation_time':
    case 'creation_timestamp_ms':
      return model.created;
    default:
      return model.updated;
  }
}

const IDENTIFIER = String.raw`(?:(metrics?|params?|tags?|attributes?)\.)?(\`[^\`]+\`|"[^"]+"|[\w.-]+)`;
const OPERATOR = String.raw`(<=|>=|!=|=|<|>|NOT\s+IN|IN|ILIKE|LIKE)`;
const LITERAL = String.raw`('(?:[^']|'')*'|"[^"]*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\((?:[^()'"]|'(?:[^']|'')*'|"[^"]*")*\))`;
const CLAUSE = new RegExp(String.raw`^\s*${IDENTIFIER}\s*${OPERATOR}\s*${LITERAL}\s*$`, 'i');

function unquote(text: string): string {
  if (text.startsWith("'")) return text.slice(1, -1).replace(/''/g, "'");
  if (text.startsWith('"') || text.startsWith('`')) return text.slice(1, -1);
  return text;
}

function literal(text: string): string | number | string[] {
  if (text.startsWith('(')) {
    return [...text.slice(1, -1).matchAll(/'((?:[^']|'')*)'|"([^"]*)"/g)].map((m) =>
      m[1] !== undefined ? m[1].replace(/''/g, "'") : (m[2] ?? ''),
    );
  }
  return /^['"]/.test(text) ? unquote(text) : Number(text);
}

/** Splits on AND outside quotes and parentheses. */
function clauses(filter: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < filter.length; i++) {
    const c = filter.charAt(i);
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') {
      quote = c;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
    } else if (depth === 0 && /^\s+and\s+/i.test(filter.slice(i)) && /\s/.test(c)) {
      const match = /^\s+and\s+/i.exec(filter.slice(i));
      parts.push(filter.slice(start, i));
      i += (match?.[0].length ?? 1) - 1;
      start = i + 1;
    }
  }
  parts.push(filter.slice(start));
  return parts.filter((p) => p.trim() !== '');
}

function compare(op: string, actual: Value, expected: string | number | string[]): boolean {
  if (actual === undefined) return op === '!=' || /^NOT/i.test(op);
  const upper = op.toUpperCase().replace(/\s+/g, ' ');
  if (upper === 'IN' || upper === 'NOT IN') {
    if (!Array.isArray(expected)) throw invalid(`'${op}' takes a list in parentheses.`);
    const inList = expected.includes(String(actual));
    return upper === 'IN' ? inList : !inList;
  }
  if (Array.isArray(expected)) throw invalid(`'${op}' cannot compare with a list.`);
  if (upper === 'LIKE' || upper === 'ILIKE') return likeComparer(upper, String(expected))(String(actual));
  if (typeof actual === 'number' || typeof expected === 'number') {
    const a = Number(actual);
    const b = Number(expected);
    if (Number.isNaN(b)) throw invalid(`'${String(expected)}' is not a number.`);
    switch (upper) {
      case '=':
        return a === b;
      case '!=':
        return a !== b;
      case '<':
        return a < b;
      case '<=':
        return a <= b;
      case '>':
        return a > b;
      default:
        return a >= b;
    }
  }
  if (upper === '=') return actual === expected;
  if (upper === '!=') return actual !== expected;
  throw invalid(`'${op}' compares numbers; '${String(expected)}' is text.`);
}

/**
 * MLflow's logged model filter: clauses joined by AND, each `[attributes.|metrics.|params.|tags.]name
 * <op> <value>`, with =, !=, <, <=, >, >= (numbers and timestamps), LIKE, ILIKE, IN, NOT IN.
 */
export function loggedModelMatcher(
  filter: string | undefined,
  datasets: readonly DatasetScope[],
): (model: LoggedModelRecord) => boolean {
  if (!filter?.trim()) return () => true;
  const tests = clauses(filter).map((text) => {
    const match = CLAUSE.exec(text);
    if (!match) throw invalid(`Invalid filter '${filter}': cannot read '${text.trim()}'.`);
    const [, prefix = 'attributes', rawName = '', op = '', rawValue = ''] = match;
    const name = unquote(rawName);
    const expected = literal(rawValue);
    const kind = prefix.toLowerCase().replace(/s$/, '');
    if (kind === 'attribute') checkAttribute(name);
    return (model: LoggedModelRecord): boolean => {
      const actual =
        kind === 'metric'
          ? metricValue(model, name, datasets)
          : kind === 'param'
            ? model.params[name]
            : kind === 'tag'
              ? model.tags[name]
              : attribute(model, name);
      return compare(op, actual, expected);
    };
  });
  return (model) => tests.every((test) => test(model));
}

/** `SearchLoggedModels.order_by`: `{field_name, ascending?, dataset_name?, dataset_digest?}`. */
export function loggedModelOrder(orderBy: readonly Fields[]): (a: LoggedModelRecord, b: LoggedModelRecord) => number {
  const keys = orderBy.map((entry) => {
    const field = entry['field_name'];
    if (typeof field !== 'string' || field === '') throw invalid("Each order_by entry needs a 'field_name'.");
    const ascending = entry['ascending'] !== false && entry['ascending'] !== 'false';
    const dataset = typeof entry['dataset_name'] === 'string' ? entry['dataset_name'] : undefined;
    const digest = typeof entry['dataset_digest'] === 'string' ? entry['dataset_digest'] : undefined;
    const metric = /^metrics?\.(.+)$/.exec(field)?.[1];
    const scope = dataset ? [{ name: dataset, ...(digest ? { digest } : {}) }] : [];
    const name = metric === undefined ? checkAttribute(field.replace(/^attributes?\./, '')) : unquote(metric);
    const get = (m: LoggedModelRecord): Value =>
      metric !== undefined ? metricValue(m, name, scope) : attribute(m, name);
    return { get, sign: ascending ? 1 : -1 };
  });
  // MLflow's default and tie-break: the newest first, then by id.
  return (a, b) => {
    for (const { get, sign } of keys) {
      const x = get(a);
      const y = get(b);
      if (x === y) continue;
      // Models without the value come last, either way.
      if (x === undefined || (typeof x === 'number' && Number.isNaN(x))) return 1;
      if (y === undefined || (typeof y === 'number' && Number.isNaN(y))) return -1;
      return (x < y ? -1 : 1) * sign;
    }
    return b.created - a.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  };
}
