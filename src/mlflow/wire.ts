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

/**
 * Sixteen digits that start a number (not a fraction's digits, which follow a digit or a point): the
 * cheap test before scanning a body for integers past 2^53. Metric values such as 0.0012345678901234567
 * do not trip it, so a batch of ordinary points is parsed without the scan.
 */
const LONG_DIGITS = /[:[,\s]-?\d{16}/;
const NUMBER_CHAR = /[0-9.eE+-]/;

/**
 * Integer literals past 2^53 turned into strings of the same digits, so JSON.parse keeps them exact:
 * MLflow's int64 fields (steps, timestamps) take any int64, and protobuf's own JSON writes them as
 * strings anyway. Strings in the body are left alone.
 */
export function quoteBigIntegers(text: string): string {
  if (!LONG_DIGITS.test(text)) return text;
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < text.length && NUMBER_CHAR.test(text.charAt(end))) end++;
      const token = text.slice(i, end);
      if (/^-?\d{16,}$/.test(token) && !Number.isSafeInteger(Number(token))) {
        out += `${text.slice(last, i)}"${token}"`;
        last = end;
      }
      i = end - 1;
    }
  }
  return out + text.slice(last);
}

export function parseJsonBody(text: string): Fields {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(quoteBigIntegers(text));
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

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * An int64 field, exact: a number when it is a safe integer, a bigint beyond 2^53. int64 fields
 * travel as numbers, or as strings (protobuf's own JSON; and parseJsonBody turns long integer
 * literals into strings to keep their digits).
 */
export function optionalExactInteger(fields: Fields, name: string): number | bigint | undefined {
  const value = fields[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  const text = typeof value === 'string' ? value : '';
  if (/^-?\d{1,20}$/.test(text)) {
    const big = BigInt(text);
    if (big >= INT64_MIN && big <= INT64_MAX) return Number.isSafeInteger(Number(big)) ? Number(big) : big;
  }
  throw invalid(`Invalid value for parameter '${name}': expected an integer (int64).`);
}

/** An int64 field as a number: exact up to 2^53, the nearest double beyond (start and end times). */
export function optionalInteger(fields: Fields, name: string): number | undefined {
  const value = optionalExactInteger(fields, name);
  return value === undefined ? undefined : Number(value);
}

/** JSON's number grammar: what a double field accepts as a string besides NaN and the infinities. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * A double, as MLflow takes it: a JSON number, the same number written as a string ("1e309" is
 * Infinity), or "NaN", "Infinity", "-Infinity". Other strings ("0x10", " 1", "") are refused.
 */
export function requiredDouble(fields: Fields, name: string): number {
  const raw = fields[name];
  const value = typeof raw === 'string' && JSON_NUMBER.test(raw) ? Number(raw) : decodeWireNumber(raw);
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
