/**
 * MLflow's wire conventions (as MLflow's `rest_utils.py` and `service.proto` have them): request fields from the query
 * string or a JSON body, `{error_code, message}` errors with MLflow's HTTP statuses, and the
 * field readers every handler uses so a bad field always becomes INVALID_PARAMETER_VALUE, never a crash.
 */
import { decodeWireNumber } from '../store/events';

export const ERROR_STATUS = {
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  REQUEST_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  INVALID_STATE: 500,
  TEMPORARILY_UNAVAILABLE: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

export class MlflowError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const invalid = (message: string): MlflowError => new MlflowError('INVALID_PARAMETER_VALUE', message);
export const missing = (message: string): MlflowError => new MlflowError('RESOURCE_DOES_NOT_EXIST', message);

/** A request message: JSON body fields, or query parameters where a repeated key is a list. */
export type Fields = Readonly<Record<string, unknown>>;

/** Query parameters as MLflow's client sends a GET: repeated keys are lists (`run_ids=a&run_ids=b`). */
export function queryFields(query: string): Fields {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(query)) {
    const before = fields[key];
    if (before === undefined) fields[key] = value;
    else fields[key] = Array.isArray(before) ? [...(before as unknown[]), value] : [before, value];
  }
  return fields;
}

export function parseJsonBody(text: string): Fields {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MlflowError('BAD_REQUEST', 'The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MlflowError('BAD_REQUEST', 'The request body must be a JSON object.');
  }
  return value as Fields;
}

export function optionalString(fields: Fields, name: string): string | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`Invalid value for parameter '${name}': expected a string.`);
  return value;
}

export function requiredString(fields: Fields, name: string): string {
  const value = optionalString(fields, name);
  if (value === undefined || value === '') throw invalid(`Missing value for required parameter '${name}'.`);
  return value;
}

/** int64 fields travel as numbers; protobuf's own JSON writes them as strings, so both are accepted. */
export function optionalInteger(fields: Fields, name: string): number | undefined {
  const value = fields[name];
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (!Number.isSafeInteger(number)) throw invalid(`Invalid value for parameter '${name}': expected an integer.`);
  return number as number;
}

/** A double that may be NaN or ±Infinity, sent as the strings "NaN", "Infinity", "-Infinity". */
export function requiredDouble(fields: Fields, name: string): number {
  const raw = fields[name];
  const value =
    typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : decodeWireNumber(raw);
  if (value === undefined) throw invalid(`Invalid value for parameter '${name}': expected a number.`);
  return value;
}

/** A repeated field: a list in JSON, one or more repeated keys in a query string. */
export function stringList(fields: Fields, name: string): string[] {
  const value = fields[name];
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((v) => typeof v === 'string'))
    throw invalid(`Invalid value for parameter '${name}': expected strings.`);
  return list;
}

export function objectList(fields: Fields, name: string): Fields[] {
  const value = fields[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
    throw invalid(`Invalid value for parameter '${name}': expected a list of objects.`);
  }
  return value as Fields[];
}

/** Run-scoped calls carry `run_id` and the legacy `run_uuid`; either will do. */
export function runIdOf(fields: Fields): string {
  const id = optionalString(fields, 'run_id') || optionalString(fields, 'run_uuid');
  if (!id) throw invalid("Missing value for required parameter 'run_id'.");
  return id;
}

/** Page tokens are opaque to clients: here, the offset of the next page. */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

export function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  try {
    const offset = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown }).offset;
    if (Number.isSafeInteger(offset) && (offset as number) >= 0) return offset as number;
  } catch {
    // fall through to the error below
  }
  throw invalid(`Invalid page token '${token}'.`);
}

export function maxResults(fields: Fields, fallback: number, limit: number): number {
  const value = optionalInteger(fields, 'max_results') ?? fallback;
  if (value < 1 || value > limit) {
    throw invalid(`Invalid value ${value} for parameter 'max_results': it must be between 1 and ${limit}.`);
  }
  return value;
}
